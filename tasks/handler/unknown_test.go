package handler_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/smsmode/smsmodetest"
	"github.com/smsq/smsq/tasks"
)

// An answer that does not prove a refusal — a 502 or 504 from a proxy, a
// 500, code 31 — may come after the provider accepted: the retry looks in
// smsList.do and adopts the message instead of paying for it again. One
// acceptance per task, whatever the fault.
func TestUnknownOutcomesAreReconciled(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault func(*smsmodetest.Server)
	}{
		{"accept then 502", func(s *smsmodetest.Server) { s.AcceptThenFailHTTP("sendSMS.do", http.StatusBadGateway, 1) }},
		{"accept then 504", func(s *smsmodetest.Server) { s.AcceptThenFailHTTP("sendSMS.do", http.StatusGatewayTimeout, 1) }},
		{"accept then 500", func(s *smsmodetest.Server) { s.AcceptThenFailHTTP("sendSMS.do", http.StatusInternalServerError, 1) }},
		{"accept then code 31", func(s *smsmodetest.Server) { s.AcceptThenFail("sendSMS.do", smsmode.CodeInternalError, 1) }},
		{"accept then cut", func(s *smsmodetest.Server) { s.DropAfterAccept("sendSMS.do", 1) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := setup(t)
			tc.fault(b.fake)
			b.startWorker(t)
			for i := range 3 {
				_, err := b.enqueuer.Send(context.Background(), tasks.SendPayload{To: []string{fmt.Sprintf("061234567%d", i)}, Message: "unknown outcome"}, tasks.WithTaskID(fmt.Sprintf("u%d", i)))
				require.NoError(t, err)
			}
			for i := range 3 {
				id := fmt.Sprintf("u%d", i)
				st := b.waitState(t, id, tasks.StateCompleted)
				require.Len(t, b.sends(id), 1, "%s: one acceptance", id)
				require.Equal(t, b.sends(id)[0].SMSID, st.Result.SMSID)
			}
			require.Len(t, b.fake.Messages(), 3, "nothing paid twice")
		})
	}
}

// A refusal proven by the answer (code 50, an HTTP 4xx) needs no look in
// smsList.do: the retry sends at once.
func TestProvenRefusalsNeedNoReconciliation(t *testing.T) {
	b := setup(t)
	b.fake.FailNext("sendSMS.do", smsmode.CodeTemporarilyUnavailable, 1)
	b.fake.FailHTTP("sendSMS.do", http.StatusTooManyRequests, 1)
	b.startWorker(t)
	_, err := b.enqueuer.Send(context.Background(), tasks.SendPayload{To: []string{"0612345678"}, Message: "refused twice"}, tasks.WithTaskID("r"))
	require.NoError(t, err)
	st := b.waitState(t, "r", tasks.StateCompleted)
	require.False(t, st.Acceptance.Reconciled)
	for _, r := range b.fake.Requests() {
		require.NotEqual(t, "smsList.do", r.Endpoint, "no reconciliation after a proven refusal")
	}
}

// A send to a group has no number to compare: with two unclaimed rows of
// the same text in the window, the outcome cannot be decided and the task
// is archived as "outcome unknown" naming the smsIDs, never adopted.
func TestGroupReconciliationNeedsASingleCandidate(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	b.fake.AddGroup("clients", "33612345678", "33698765432")
	// Another producer sent the same text to the group just before.
	_, err := b.fake.Client().SendSMS(ctx, &smsmode.SMS{Group: "clients", Message: "Soldes ce samedi"})
	require.NoError(t, err)
	b.fake.DropAfterAccept("sendSMS.do", 1)
	b.startWorker(t)
	_, err = b.enqueuer.Send(ctx, tasks.SendPayload{Group: "clients", Message: "Soldes ce samedi"}, tasks.WithTaskID("g"))
	require.NoError(t, err)
	st := b.waitState(t, "g", tasks.StateArchived)
	require.Contains(t, st.LastError, "outcome unknown")
	require.Contains(t, st.LastError, "2 messages to a group")
	require.Len(t, b.fake.Messages(), 2, "not sent a third time")
}

// Alone in the window, a group send whose outcome is unknown is adopted.
func TestGroupReconciliationAdoptsTheOnlyCandidate(t *testing.T) {
	ctx := context.Background()
	b2 := setup(t)
	b2.fake.AddGroup("clients", "33612345678")
	b2.fake.DropAfterAccept("sendSMS.do", 1)
	b2.startWorker(t)
	_, err := b2.enqueuer.Send(ctx, tasks.SendPayload{Group: "clients", Message: "Soldes ce samedi"}, tasks.WithTaskID("g"))
	require.NoError(t, err)
	st := b2.waitState(t, "g", tasks.StateCompleted)
	require.True(t, st.Acceptance.Reconciled)
	require.Len(t, b2.fake.Messages(), 1)
}

// A unicode message comes back from smsList.do with "?" for what
// ISO-8859-15 lacks: it is recognised anyway, not sent twice.
func TestUnicodeMessageReconciled(t *testing.T) {
	b := setup(t)
	b.fake.DropAfterAccept("sendSMS.do", 1)
	b.startWorker(t)
	_, err := b.enqueuer.Send(context.Background(), tasks.SendPayload{To: []string{"0612345678"}, Message: "Bon anniversaire 🎂 Żaneta"}, tasks.WithTaskID("uni"))
	require.NoError(t, err)
	st := b.waitState(t, "uni", tasks.StateCompleted)
	require.True(t, st.Acceptance.Reconciled)
	require.Len(t, b.sends("uni"), 1)
}
