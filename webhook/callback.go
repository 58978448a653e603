package webhook

import (
	"context"
	"net/url"

	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/tasks"
)

// delivery maps a delivery report to its sms:delivery payload. task is
// the send task the callback's path names ("" on the route without task).
func (h *Handler) delivery(ctx context.Context, v url.Values, task string, rec *logRecord) (*tasks.DeliveryPayload, error) {
	dr, err := smsmode.ParseDeliveryReport(v, h.cfg.Location)
	if err != nil {
		return nil, err
	}
	if err := checkDelivery(dr); err != nil {
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
		TaskID:     h.taskOf(ctx, task, dr.SMSID, rec),
		MCCMNC:     dr.MCCMNC,
		Cost:       dr.Cost,
	}
	return &p, nil
}

// reply maps a reply to its sms:reply payload.
func (h *Handler) reply(ctx context.Context, v url.Values, task string, rec *logRecord) (*tasks.ReplyPayload, error) {
	rc, err := smsmode.ParseReply(v, h.cfg.Location)
	if err != nil {
		return nil, err
	}
	if err := checkReply(rc); err != nil {
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
		p.TaskID = h.taskOf(ctx, task, rc.SMSID, rec)
	}
	return &p, nil
}

// taskOf returns the send task of a callback: the one its path names, as
// smsq put it in the URL when it sent the message; otherwise (a URL the
// task chose itself, a message sent before the task travelled in the path)
// the ledger's, or "" when it is unknown or the look-up fails: the
// callback must be stored either way. The event handler checks the task
// against the ledger before it trusts it (a forger can write any path).
func (h *Handler) taskOf(ctx context.Context, task, smsID string, rec *logRecord) string {
	if task != "" {
		rec.sendTask = task
		return task
	}
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
