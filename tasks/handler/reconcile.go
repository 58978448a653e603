package handler

import (
	"context"
	"fmt"
	"time"

	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/tasks/store"
)

// reconcile looks for a message an earlier, unanswered call may have made
// (a crash or a timeout after the request left) among the provider's recent
// sends. It returns nil when there is none, so sending is safe.
//
// smsList.do lists the most recent messages first: it is read page after
// page (ReconcileWindow rows each) until a page reaches back before the
// first unanswered call. Running out of pages before that point proves
// nothing, so it is an error, never "not found".
func (s *Sender) reconcile(ctx context.Context, id string, j job, since time.Time) (*store.Acceptance, error) {
	// smsList dates have minute precision, in the provider's zone.
	from := since.Add(-2 * time.Minute)
	page := s.cfg.ReconcileWindow
	for start := 0; start < maxReconcileRows; start += page {
		rows, err := s.cfg.Provider.SMSList(ctx, smsmode.ListOptions{Start: start, Offset: page})
		if err != nil {
			return nil, err
		}
		reachedFrom := len(rows) < page // the account's whole history is listed
		for _, r := range rows {
			if !r.SentAt.IsZero() && r.SentAt.Before(from) {
				reachedFrom = true
				continue
			}
			if len(j.recipients) > 0 && r.Number != "" && r.Number != j.recipients[0] {
				continue
			}
			if r.Text != j.text && !hasPrefix(r.Text, j.text) {
				continue
			}
			claimed, err := s.cfg.Ledger.Claimed(ctx, r.SMSID, id)
			if err != nil {
				return nil, err
			}
			if claimed {
				continue
			}
			return &store.Acceptance{
				TaskID: id, Type: j.typ, SMSID: r.SMSID, Ref: j.ref, Recipients: j.recipients,
				Segments: j.segments, Encoding: j.encoding, AcceptedAt: s.cfg.Now(), Reconciled: true,
			}, nil
		}
		if reachedFrom {
			return nil, nil
		}
	}
	return nil, Archive(fmt.Errorf("outcome of the call made at %s unknown: more than %d messages sent since, smsList.do cannot tell whether it was accepted; check sMsmode before re-running", since.Format(time.RFC3339), maxReconcileRows))
}

// maxReconcileRows bounds the smsList.do rows reconcile reads (the API's
// own maximum offset is 10,000).
const maxReconcileRows = 10_000

func hasPrefix(s, prefix string) bool { return len(s) >= len(prefix) && s[:len(prefix)] == prefix }
