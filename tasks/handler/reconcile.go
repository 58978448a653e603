package handler

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/tasks/store"
)

// reconcile looks for a message an earlier call whose outcome is unknown
// may have made (a crash or a timeout after the request left, a 5xx from
// a proxy, code 31) among the provider's recent sends. It returns nil when
// there is none, so sending is safe.
//
// smsList.do lists the most recent messages first: it is read page after
// page (ReconcileWindow rows each) until a page reaches back before the
// first unanswered call. Running out of pages before that point proves
// nothing, so it is an error, never "not found". Texts are compared as the
// list shows them (smsmode.MatchListed: "?" for what ISO-8859-15 lacks, a
// STOP mention appended, a cut copy).
//
// A send with recipients adopts the newest unclaimed row to its first
// number with its text. A send to a group has no number to compare: it
// adopts a row only when exactly one unclaimed row in the window has its
// text; with several, the outcome cannot be decided and the task is
// archived with the smsIDs an operator must check.
func (s *Sender) reconcile(ctx context.Context, id string, j job, since time.Time) (*store.Acceptance, error) {
	// smsList dates have minute precision, in the provider's zone.
	from := since.Add(-2 * time.Minute)
	page := s.cfg.ReconcileWindow
	adopt := func(smsID string) *store.Acceptance {
		return &store.Acceptance{
			TaskID: id, Type: j.typ, SMSID: smsID, Ref: j.ref, Recipients: j.recipients,
			Segments: j.segments, Encoding: j.encoding, AcceptedAt: s.cfg.Now(), Reconciled: true,
		}
	}
	var candidates []string // group sends: every unclaimed row with the text
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
			if !smsmode.MatchListed(j.text, r.Text) {
				continue
			}
			claimed, err := s.cfg.Ledger.Claimed(ctx, r.SMSID, id)
			if err != nil {
				return nil, err
			}
			if claimed {
				continue
			}
			if len(j.recipients) > 0 {
				return adopt(r.SMSID), nil
			}
			candidates = append(candidates, r.SMSID)
		}
		if reachedFrom {
			switch len(candidates) {
			case 0:
				return nil, nil
			case 1:
				return adopt(candidates[0]), nil
			}
			return nil, Archive(fmt.Errorf("%w: the call made at %s: %d messages to a group with this text since (smsIDs %s) and none can be told apart; check them in sMsmode before re-running (a re-run may send it again)",
				ErrOutcomeUnknown, since.Format(time.RFC3339), len(candidates), strings.Join(candidates[:min(len(candidates), 10)], ", ")))
		}
	}
	return nil, Archive(fmt.Errorf("%w: the call made at %s: more than %d messages sent since, smsList.do cannot tell whether it was accepted; check sMsmode before re-running", ErrOutcomeUnknown, since.Format(time.RFC3339), maxReconcileRows))
}

// maxReconcileRows bounds the smsList.do rows reconcile reads (the API's
// own maximum offset is 10,000).
const maxReconcileRows = 10_000
