package handler_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/smsmode/smsmodetest"
	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/tasks/handler"
)

func TestSendAccentedEndToEnd(t *testing.T) {
	b := setup(t)
	b.startWorker(t)
	ctx := context.Background()

	res, err := b.enqueuer.Send(ctx, tasks.SendPayload{
		To:      []string{"06 12 34 56 78"},
		Message: "Votre commande est expédiée : 12 € TTC",
		Sender:  "MYSHOP",
	}, tasks.WithTaskID("order-42"))
	require.NoError(t, err)
	require.Equal(t, "order-42", res.ID)

	st := b.waitState(t, "order-42", "completed")
	require.NotNil(t, st.Result)
	require.NotEmpty(t, st.Result.SMSID)
	require.Equal(t, "gsm", st.Result.Encoding)
	require.Equal(t, 1, st.Result.Segments)
	require.Empty(t, st.Result.DateEnvoi)

	msgs := b.sends("order-42") // ref defaults to the task ID
	require.Len(t, msgs, 1)
	m := msgs[0]
	require.Equal(t, st.Result.SMSID, m.SMSID)
	require.Equal(t, []string{"33612345678"}, m.Numbers)
	require.Equal(t, "Votre commande est expédiée : 12 € TTC", m.Text)
	require.Equal(t, "MYSHOP", m.Sender)
	require.False(t, m.Unicode)

	// On the wire: ISO-8859-15 bytes, percent-encoded.
	var body string
	for _, r := range b.fake.Requests() {
		if r.Endpoint == "sendSMS.do" {
			body = string(r.Body) + r.URL
		}
	}
	require.Contains(t, body, "exp%E9di%E9e")
	require.Contains(t, body, "12+%A4+TTC")
}

func TestSendSubstitutesLookAlikesAndFallsBackToUnicode(t *testing.T) {
	b := setup(t)
	b.startWorker(t)
	ctx := context.Background()

	_, err := b.enqueuer.Send(ctx, tasks.SendPayload{To: []string{"0612345678"}, Message: "C’est prêt… à 18 h"}, tasks.WithTaskID("subst"))
	require.NoError(t, err)
	_, err = b.enqueuer.Send(ctx, tasks.SendPayload{To: []string{"0612345678"}, Message: "Bon anniversaire 🎂"}, tasks.WithTaskID("emoji"))
	require.NoError(t, err)

	st := b.waitState(t, "subst", "completed")
	require.Equal(t, "gsm", st.Result.Encoding)
	require.Equal(t, "C'est pret... à 18 h", b.sends("subst")[0].Text)

	st = b.waitState(t, "emoji", "completed")
	require.Equal(t, "unicode", st.Result.Encoding)
	m := b.sends("emoji")[0]
	require.True(t, m.Unicode)
	require.Equal(t, 9, m.Class)
	require.Equal(t, "Bon anniversaire 🎂", m.Text)
}

func TestRetriesOnCode50UntilAcceptedOnce(t *testing.T) {
	b := setup(t)
	b.fake.FailNext("sendSMS.do", smsmode.CodeTemporarilyUnavailable, 3)
	b.startWorker(t)

	_, err := b.enqueuer.Send(context.Background(), tasks.SendPayload{To: []string{"0612345678"}, Message: "code 4821"}, tasks.WithTaskID("otp-1"))
	require.NoError(t, err)

	st := b.waitState(t, "otp-1", "completed")
	require.Equal(t, 4, st.Attempts, "three refusals then one acceptance")
	require.Len(t, b.sends("otp-1"), 1, "exactly one accepted send")
}

func TestPermanentCodesAreArchivedAtOnce(t *testing.T) {
	for _, code := range []smsmode.Code{smsmode.CodeAuthentication, smsmode.CodeInsufficientCredit, smsmode.CodeInvalidParameter} {
		t.Run(code.String(), func(t *testing.T) {
			b := setup(t)
			b.fake.FailNext("sendSMS.do", code, 100)
			b.startWorker(t)
			_, err := b.enqueuer.Send(context.Background(), tasks.SendPayload{To: []string{"0612345678"}, Message: "hello"}, tasks.WithTaskID("t"))
			require.NoError(t, err)

			st := b.waitState(t, "t", "archived")
			require.Equal(t, 1, st.Attempts, "no retry")
			require.Contains(t, st.LastError, fmt.Sprintf("code %d", code))
			require.Empty(t, b.fake.Messages())
		})
	}
}

func TestInternalErrorIsRetriedAFewTimes(t *testing.T) {
	b := setup(t)
	b.fake.FailNext("sendSMS.do", smsmode.CodeInternalError, 100)
	b.startWorker(t, func(c *handler.SenderConfig) { c.InternalErrorRetries = 2 })
	_, err := b.enqueuer.Send(context.Background(), tasks.SendPayload{To: []string{"0612345678"}, Message: "hello"}, tasks.WithTaskID("t31"))
	require.NoError(t, err)

	st := b.waitState(t, "t31", "archived")
	require.Equal(t, 3, st.Attempts, "first run and two retries")
	require.Contains(t, st.LastError, "code 31")
}

func TestDuplicateIDNeverSendsTwice(t *testing.T) {
	b := setup(t)
	b.startWorker(t)
	ctx := context.Background()
	p := tasks.SendPayload{To: []string{"0612345678"}, Message: "once"}

	first, err := b.enqueuer.Send(ctx, p, tasks.WithTaskID("dup"))
	require.NoError(t, err)
	require.False(t, first.Duplicate)
	again, err := b.enqueuer.Send(ctx, p, tasks.WithTaskID("dup"))
	require.NoError(t, err)
	require.True(t, again.Duplicate)
	b.waitState(t, "dup", "completed")

	// Even once the queue has forgotten the task (retention over), the
	// ledger remembers: the producer calls it a duplicate…
	require.NoError(t, b.inspect.DeleteTask("default", "dup"))
	third, err := b.enqueuer.Send(ctx, p, tasks.WithTaskID("dup"))
	require.NoError(t, err)
	require.True(t, third.Duplicate)
	// …and a careless producer writing the task anyway gets no second send.
	raw, err := json.Marshal(tasks.SendPayload{To: []string{"33612345678"}, Message: "once"})
	require.NoError(t, err)
	_, err = b.enqueueRaw(t, asynq.NewTask(tasks.TypeSend, raw), "dup")
	require.NoError(t, err)
	b.waitState(t, "dup", "completed")
	require.Len(t, b.sends("dup"), 1)
}

func TestAmbiguousSendIsReconciledNotRepeated(t *testing.T) {
	b := setup(t)
	// The provider accepts, then the connection dies before the answer.
	b.fake.DropAfterAccept("sendSMS.do", 1)
	b.startWorker(t)
	_, err := b.enqueuer.Send(context.Background(), tasks.SendPayload{To: []string{"0612345678"}, Message: "ambiguous"}, tasks.WithTaskID("amb"))
	require.NoError(t, err)

	st := b.waitState(t, "amb", "completed")
	msgs := b.sends("amb")
	require.Len(t, msgs, 1, "the retry found the first send in smsList.do instead of sending again")
	require.Equal(t, msgs[0].SMSID, st.Result.SMSID)
	require.True(t, st.Acceptance.Reconciled)
}

func TestScheduledSendDateEnvoi(t *testing.T) {
	// "now" is pinned before every case so they all count as future.
	now := time.Date(2026, 1, 10, 12, 0, 0, 0, paris)
	cases := []struct {
		name   string
		sendAt time.Time
		want   string
	}{
		{"winter", time.Date(2026, 12, 24, 18, 30, 0, 0, paris), "24122026-18:30"},
		{"summer", time.Date(2026, 7, 14, 8, 0, 0, 0, time.UTC), "14072026-10:00"},
		{"spring forward", time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC), "29032026-03:30"},
		{"fall back, first 02:30", time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), "25102026-02:30"},
		{"fall back, second 02:30", time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), "25102026-02:30"},
		{"seconds round up", time.Date(2026, 2, 1, 9, 0, 30, 0, paris), "01022026-09:01"},
	}
	b := setup(t)
	b.startWorker(t, func(c *handler.SenderConfig) { c.Now = func() time.Time { return now } })
	for i, tc := range cases {
		id := fmt.Sprintf("sched-%d", i)
		_, err := b.enqueuer.Send(context.Background(), tasks.SendPayload{To: []string{"0612345678"}, Message: tc.name, SendAt: tc.sendAt}, tasks.WithTaskID(id))
		require.NoError(t, err)
		st := b.waitState(t, id, "completed")
		require.Equal(t, tc.want, st.Result.DateEnvoi, tc.name)
		var raw string
		for _, r := range b.fake.Requests() {
			if r.Params.Get("refClient") == id {
				raw = r.Params.Get("date_envoi")
			}
		}
		require.Equal(t, tc.want, raw, tc.name)
	}
}

func TestPastOrImminentSendAtSendsNow(t *testing.T) {
	b := setup(t)
	b.startWorker(t)
	for i, at := range []time.Time{time.Now().Add(-time.Hour), time.Now().Add(30 * time.Second)} {
		id := fmt.Sprintf("now-%d", i)
		_, err := b.enqueuer.Send(context.Background(), tasks.SendPayload{To: []string{"0612345678"}, Message: "now", SendAt: at}, tasks.WithTaskID(id))
		require.NoError(t, err)
		st := b.waitState(t, id, "completed")
		require.Empty(t, st.Result.DateEnvoi)
		require.True(t, b.sends(id)[0].SendAt.IsZero())
	}
}

func TestThreeHundredFiftyRecipientsInOnePost(t *testing.T) {
	b := setup(t)
	b.startWorker(t)
	to := make([]string, 350)
	for i := range to {
		to[i] = fmt.Sprintf("+33 6 12 34 %02d %02d", i/100, i%100)
	}
	_, err := b.enqueuer.Send(context.Background(), tasks.SendPayload{To: to, Message: "bulk"}, tasks.WithTaskID("bulk"))
	require.NoError(t, err)
	b.waitState(t, "bulk", "completed")
	msgs := b.sends("bulk")
	require.Len(t, msgs, 1)
	require.Len(t, msgs[0].Numbers, 350)
	posts := 0
	for _, r := range b.fake.Requests() {
		if r.Endpoint == "sendSMS.do" {
			require.Equal(t, "POST", r.Method)
			posts++
		}
	}
	require.Equal(t, 1, posts)
}

func TestBatchOf2500RowsInChunksEachRowOnce(t *testing.T) {
	b := setup(t, smsmodetest.WithCredit(1e6))
	b.startWorker(t)
	rows := make([]tasks.BatchRow, 2500)
	for i := range rows {
		rows[i] = tasks.BatchRow{To: fmt.Sprintf("0612%06d", i), Message: fmt.Sprintf("Bonjour n. %d, votre remise de 10 € vous attend", i)}
	}
	res, err := b.enqueuer.Batch(context.Background(), tasks.BatchPayload{Rows: rows, Sender: "SHOP"}, tasks.WithTaskID("camp"))
	require.NoError(t, err)
	require.Len(t, res, 3)
	for i, r := range res {
		require.Equal(t, fmt.Sprintf("camp-%d", i+1), r.ID)
		require.Equal(t, "low", r.Queue)
		b.waitState(t, r.ID, "completed")
	}
	seen := map[string]int{}
	for _, m := range b.fake.Messages() {
		require.Equal(t, "sendSMSBatch.do", m.Endpoint)
		for _, n := range m.Numbers {
			seen[n]++
		}
	}
	require.Len(t, seen, 2500)
	for n, c := range seen {
		require.Equal(t, 1, c, n)
	}
}

func TestVoiceEndToEnd(t *testing.T) {
	b := setup(t)
	b.startWorker(t)
	_, err := b.enqueuer.Voice(context.Background(), tasks.VoicePayload{To: []string{"01 23 45 67 89"}, Message: "Votre code est 4 8 2 1", Title: "Ma boutique", Language: "fr-FR"}, tasks.WithTaskID("voice"))
	require.NoError(t, err)
	st := b.waitState(t, "voice", "completed")
	require.NotEmpty(t, st.Result.SMSID)
	var found bool
	for _, m := range b.fake.Messages() {
		if m.Endpoint == "sendVoiceMessage.do" {
			found = true
			require.Equal(t, "fr-FR", m.Language)
			require.Equal(t, []string{"33123456789"}, m.Numbers)
		}
	}
	require.True(t, found)
}

func TestCancelBeforeAndAfterHandOver(t *testing.T) {
	b := setup(t)
	ctx := context.Background()

	// Before: no worker is running, the task waits in its queue.
	_, err := b.enqueuer.Send(ctx, tasks.SendPayload{To: []string{"0612345678"}, Message: "later"}, tasks.WithTaskID("c1"))
	require.NoError(t, err)
	out, err := b.insp.Cancel(ctx, "c1", b.fake.Client(), time.Now())
	require.NoError(t, err)
	require.Equal(t, tasks.CancelledInQueue, out)
	st, err := b.insp.Status(ctx, "c1")
	require.NoError(t, err)
	require.Equal(t, tasks.StateCancelled, st.State)
	out, err = b.insp.Cancel(ctx, "c1", b.fake.Client(), time.Now())
	require.NoError(t, err, "cancelling again is fine")
	require.Equal(t, tasks.AlreadyCancelled, out)
	again, err := b.enqueuer.Send(ctx, tasks.SendPayload{To: []string{"0612345678"}, Message: "later"}, tasks.WithTaskID("c1"))
	require.NoError(t, err)
	require.True(t, again.Duplicate, "a cancelled ID is not enqueued again")

	// After: sMsmode holds it for tomorrow.
	b.startWorker(t)
	_, err = b.enqueuer.Send(ctx, tasks.SendPayload{To: []string{"0612345678"}, Message: "tomorrow", SendAt: time.Now().Add(24 * time.Hour)}, tasks.WithTaskID("c2"))
	require.NoError(t, err)
	st = b.waitState(t, "c2", "completed")
	out, err = b.insp.Cancel(ctx, "c2", b.fake.Client(), time.Now())
	require.NoError(t, err)
	require.Equal(t, tasks.CancelledAtProvider, out)
	m, ok := b.fake.Message(st.Result.SMSID)
	require.True(t, ok)
	require.True(t, m.Deleted)
	require.Empty(t, b.sends("c1"))
	st, err = b.insp.Status(ctx, "c2")
	require.NoError(t, err)
	require.Equal(t, tasks.StateCancelled, st.State, "cancelled after hand-over, not completed")
	require.Equal(t, m.SMSID, st.Ending.SMSID)
	out, err = b.insp.Cancel(ctx, "c2", b.fake.Client(), time.Now())
	require.NoError(t, err)
	require.Equal(t, tasks.AlreadyCancelled, out, "no second deleteSMS.do (which would answer 61)")

	// Without the provider's credentials a worker cancels it on the
	// producer's behalf.
	_, err = b.enqueuer.Send(ctx, tasks.SendPayload{To: []string{"0612345678"}, Message: "tomorrow too", SendAt: time.Now().Add(24 * time.Hour)}, tasks.WithTaskID("c4"))
	require.NoError(t, err)
	st = b.waitState(t, "c4", "completed")
	out, err = b.insp.Cancel(ctx, "c4", nil, time.Now())
	require.NoError(t, err)
	require.Equal(t, tasks.CancelledAtProvider, out)
	m, _ = b.fake.Message(st.Result.SMSID)
	require.True(t, m.Deleted)

	// An immediate send cannot be called back.
	_, err = b.enqueuer.Send(ctx, tasks.SendPayload{To: []string{"0612345678"}, Message: "now"}, tasks.WithTaskID("c3"))
	require.NoError(t, err)
	b.waitState(t, "c3", "completed")
	_, err = b.insp.Cancel(ctx, "c3", b.fake.Client(), time.Now())
	var ce *tasks.CancelError
	require.ErrorAs(t, err, &ce)
	require.False(t, ce.Temporary, "too late is final")
	_, err = b.insp.Cancel(ctx, "nope", b.fake.Client(), time.Now())
	require.ErrorIs(t, err, tasks.ErrNotFound)
}

func TestRateLimitIsSharedAndNotAFailure(t *testing.T) {
	b := setup(t)
	// Two workers share one budget of 20 requests per second.
	for range 2 {
		b.startWorker(t, func(c *handler.SenderConfig) { c.Limiter = handler.NewRedisLimiter(b.rdb, 20) })
	}
	const n = 60
	for i := range n {
		_, err := b.enqueuer.Send(context.Background(), tasks.SendPayload{To: []string{"0612345678"}, Message: "rl"}, tasks.WithTaskID(fmt.Sprintf("rl-%d", i)))
		require.NoError(t, err)
	}
	for i := range n {
		st := b.waitState(t, fmt.Sprintf("rl-%d", i), "completed")
		require.Equal(t, 1, st.Attempts, "waiting for the budget must not count as a failed attempt")
	}
	// The budget held across both workers: 60 requests at 20 a second take
	// at least 59 intervals of 50 ms, less the one of burst. A slow machine
	// only stretches the span. (What the provider sees in any one second is
	// checked exactly, in virtual time, by TestLimiterSteadyState: here the
	// fake's clock adds the scheduling jitter between grant and receipt.)
	var times []time.Time
	for _, r := range b.fake.Requests() {
		if r.Endpoint == "sendSMS.do" {
			times = append(times, r.Time)
		}
	}
	require.Len(t, times, n)
	slices.SortFunc(times, time.Time.Compare)
	span := times[n-1].Sub(times[0])
	require.GreaterOrEqual(t, span, time.Duration(n-2)*time.Second/20-200*time.Millisecond,
		"60 sends through one budget of 20/s went out in %v", span)
}

func TestInvalidPayloadInQueueIsArchivedWithReason(t *testing.T) {
	b := setup(t)
	b.startWorker(t)
	// A producer that bypassed validation (or an operator's edit).
	_, err := b.enqueueRaw(t, asynq.NewTask(tasks.TypeSend, []byte(`{"to":["12"],"message":"x"}`)), "raw")
	require.NoError(t, err)
	st := b.waitState(t, "raw", "archived")
	require.Contains(t, st.LastError, "invalid to")
	require.Empty(t, b.fake.Messages())
}

// An unanswered send is found even when more than one smsList.do page of
// other messages went out since: reconciliation reads page after page.
func TestReconcileReadsBeyondOnePage(t *testing.T) {
	b := setup(t, smsmodetest.WithCredit(1e6))
	ctx := context.Background()
	client := b.fake.Client()

	// A worker sent the task's message, the answer was lost and the worker
	// died with the call marked in flight.
	_, err := b.ledger.Begin(ctx, "needle", time.Now().Add(-time.Second))
	require.NoError(t, err)
	b.fake.DropAfterAccept("sendSMS.do", 1)
	_, err = client.SendSMS(ctx, &smsmode.SMS{Numbers: []string{"33612345678"}, Message: "needle", RefClient: "needle"})
	require.Error(t, err, "the answer is lost")
	// 120 other messages follow: the lost one is on the third page of 50.
	for i := range 120 {
		_, err := client.SendSMS(ctx, &smsmode.SMS{Numbers: []string{"33698765432"}, Message: fmt.Sprintf("other %d", i)})
		require.NoError(t, err)
	}

	b.startWorker(t, func(c *handler.SenderConfig) { c.ReconcileWindow = 50 })
	// The task is still in its queue (the producer's Enqueuer would call
	// this ID a duplicate: a call for it is in flight).
	raw, err := json.Marshal(tasks.SendPayload{To: []string{"33612345678"}, Message: "needle"})
	require.NoError(t, err)
	_, err = b.enqueueRaw(t, asynq.NewTask(tasks.TypeSend, raw), "needle")
	require.NoError(t, err)
	st := b.waitState(t, "needle", "completed")
	require.True(t, st.Acceptance.Reconciled, "adopted from the third page")
	require.Len(t, b.sends("needle"), 1, "not sent twice")
}
