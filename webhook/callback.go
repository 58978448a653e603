package webhook

import (
	"context"
	"net/url"

	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/tasks"
)

// delivery maps a delivery report to its sms:delivery payload.
func (h *Handler) delivery(ctx context.Context, v url.Values, rec *logRecord) (*tasks.DeliveryPayload, error) {
	dr, err := smsmode.ParseDeliveryReport(v, h.cfg.Location)
	if err != nil {
		return nil, err
	}
	rec.smsID = dr.SMSID
	rec.statusCode = int(dr.Status)
	p := tasks.DeliveryPayload{
		SMSID:      dr.SMSID,
		To:         dr.Number,
		Status:     int(dr.Status),
		StatusText: dr.Status.String(),
		Final:      dr.Status.Final(),
		ReceivedAt: dr.ReceivedAt,
		Ref:        dr.RefClient,
		TaskID:     h.lookup(ctx, dr.SMSID, rec),
		MCCMNC:     dr.MCCMNC,
		Cost:       dr.Cost,
	}
	return &p, nil
}

// reply maps a reply to its sms:reply payload.
func (h *Handler) reply(ctx context.Context, v url.Values, rec *logRecord) (*tasks.ReplyPayload, error) {
	rc, err := smsmode.ParseReply(v, h.cfg.Location)
	if err != nil {
		return nil, err
	}
	rec.smsID = rc.SMSID
	p := tasks.ReplyPayload{
		SMSID:      rc.SMSID,
		From:       rc.From,
		To:         rc.To,
		Message:    rc.Message,
		ReceivedAt: rc.ReceivedAt,
		Ref:        rc.RefClient,
		ResponseID: rc.ResponseID,
	}
	if rc.SMSID != "" {
		p.TaskID = h.lookup(ctx, rc.SMSID, rec)
	}
	return &p, nil
}

// lookup returns the send task of smsID, or "" when it is unknown or the
// look-up fails: the callback must be stored either way.
func (h *Handler) lookup(ctx context.Context, smsID string, rec *logRecord) string {
	if h.cfg.Ledger == nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, h.cfg.EnqueueTimeout/3)
	defer cancel()
	id, err := h.cfg.Ledger.TaskForSMS(ctx, smsID)
	if err != nil {
		rec.ledgerErr = err.Error()
		return ""
	}
	rec.sendTask = id
	return id
}
