package handler_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/marketing"
	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/tasks/handler"
	"github.com/smsq/smsq/tasks/store"
)

// sendRequestsAfter counts the sendSMS.do requests the fake received at or
// after t.
func (b *bundle) sendRequestsAfter(t time.Time) int {
	n := 0
	for _, r := range b.fake.Requests() {
		if r.Endpoint == "sendSMS.do" && !r.Time.Before(t) {
			n++
		}
	}
	return n
}

// During a provider outage the task is retried, never past its expires_at,
// and ends expired: not sent, not archived, not retried any more.
func TestExpiryDuringOutage(t *testing.T) {
	b := setup(t)
	b.fake.FailNext("sendSMS.do", smsmode.CodeTemporarilyUnavailable, -1)
	b.cfg.RetryBaseDelay, b.cfg.RetryMaxDelay = 200*time.Millisecond, time.Minute
	b.startWorker(t)
	expires := time.Now().Add(1500 * time.Millisecond)
	_, err := b.enqueuer.Send(context.Background(), tasks.SendPayload{To: []string{"0612345678"}, Message: "code 4821", ExpiresAt: expires}, tasks.WithTaskID("otp-outage"))
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		e, err := b.ledger.Ending(context.Background(), "otp-outage")
		return err == nil && e != nil
	}, 20*time.Second, 10*time.Millisecond, "the worker ends the task")
	st := b.waitState(t, "otp-outage", tasks.StateExpired)
	require.Greater(t, st.Attempts, 1, "it was retried before it expired")
	require.Empty(t, b.sends("otp-outage"))
	require.Zero(t, b.sendRequestsAfter(expires), "no provider call at or after expires_at")
	require.Equal(t, tasks.StateExpired, st.Result.State)
	require.NotNil(t, st.Ending)
}

// A backlog with no worker: the task is reported expired as soon as
// expires_at passes, and the worker that comes later ends it so without a
// call.
func TestExpiryInBacklog(t *testing.T) {
	b := setup(t)
	_, err := b.enqueuer.Send(context.Background(), tasks.SendPayload{To: []string{"0612345678"}, Message: "code 1234", ExpiresAt: time.Now().Add(300 * time.Millisecond)}, tasks.WithTaskID("otp-backlog"))
	require.NoError(t, err)
	b.waitState(t, "otp-backlog", tasks.StateExpired) // before any worker runs
	b.startWorker(t)
	require.Eventually(t, func() bool {
		info, err := b.inspect.GetTaskInfo(tasks.QueueDefault, "otp-backlog")
		return err == nil && info.State == asynq.TaskStateCompleted
	}, 20*time.Second, 10*time.Millisecond)
	e, err := b.ledger.Ending(context.Background(), "otp-backlog")
	require.NoError(t, err)
	require.Equal(t, store.StateExpired, e.State)
	require.Empty(t, b.fake.Messages())
	require.Zero(t, b.sendRequestsAfter(time.Time{}))
}

// An expires_at already past is refused at enqueue, naming the field.
func TestExpiryRefusedAtEnqueue(t *testing.T) {
	b := setup(t)
	_, err := b.enqueuer.Send(context.Background(), tasks.SendPayload{To: []string{"0612345678"}, Message: "x", ExpiresAt: time.Now().Add(-time.Second)})
	var ve *tasks.ValidationError
	require.ErrorAs(t, err, &ve)
	require.Equal(t, "expires_at", ve.Field)
	_, err = b.enqueuer.Send(context.Background(), tasks.SendPayload{To: []string{"0612345678"}, Message: "x", SendAt: time.Now().Add(time.Hour), ExpiresAt: time.Now().Add(time.Minute)})
	require.ErrorAs(t, err, &ve)
	require.Equal(t, "expires_at", ve.Field)
}

func frenchWindow(t *testing.T) *marketing.Window {
	t.Helper()
	h, err := marketing.ParseHours("Mon-Sat 08:00-20:00")
	require.NoError(t, err)
	hd, err := marketing.ParseHolidays("FR")
	require.NoError(t, err)
	w, err := marketing.New(h, hd, paris)
	require.NoError(t, err)
	return w
}

// The worker checks the window right before the call: a marketing send
// handed over on Saturday at 20:30 gets Monday 08:00 as date_envoi; a
// transactional one goes at once.
func TestMarketingDeferredByTheWorker(t *testing.T) {
	b := setup(t)
	saturday := time.Date(2026, 12, 5, 20, 30, 0, 0, paris)
	b.startWorker(t, func(c *handler.SenderConfig) {
		c.Now = func() time.Time { return saturday }
		c.Marketing = frenchWindow(t)
	})
	for id, marketing := range map[string]bool{"promo": true, "receipt": false} {
		raw, err := json.Marshal(tasks.SendPayload{To: []string{"33612345678"}, Message: "Soldes -20 % STOP au 36180", Sender: "MYSHOP", Stop: 1, Marketing: marketing})
		require.NoError(t, err)
		_, err = b.enqueueRaw(t, asynq.NewTask(tasks.TypeSend, raw), id)
		require.NoError(t, err)
	}
	st := b.waitState(t, "promo", tasks.StateCompleted)
	require.Equal(t, "07122026-08:00", st.Result.DateEnvoi)
	require.True(t, st.Result.DeferredUntil.Equal(time.Date(2026, 12, 7, 8, 0, 0, 0, paris)))
	require.True(t, b.sends("promo")[0].SendAt.Equal(time.Date(2026, 12, 7, 8, 0, 0, 0, paris)))
	st = b.waitState(t, "receipt", tasks.StateCompleted)
	require.Empty(t, st.Result.DateEnvoi)
	require.True(t, st.Result.DeferredUntil.IsZero())
}

// The STOP rules of commercial messages are refused at enqueue, naming
// the field or the row; transactional messages are unaffected.
func TestMarketingStopRules(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	_, err := b.enqueuer.PlanSend(ctx, tasks.SendPayload{To: []string{"0612345678"}, Message: "Soldes", Sender: "MYSHOP", Marketing: true})
	var ve *tasks.ValidationError
	require.ErrorAs(t, err, &ve)
	require.Equal(t, "stop", ve.Field)
	for _, stop := range []int{1, 2} {
		_, err = b.enqueuer.PlanSend(ctx, tasks.SendPayload{To: []string{"0612345678"}, Message: "Soldes", Sender: "MYSHOP", Marketing: true, Stop: stop})
		require.NoError(t, err, "stop %d", stop)
	}
	_, err = b.enqueuer.PlanSend(ctx, tasks.SendPayload{To: []string{"0612345678"}, Message: "Soldes", Sender: "MYSHOP"})
	require.NoError(t, err, "not marketing: no STOP needed")

	rows := []tasks.BatchRow{
		{To: "0612345678", Message: "Soldes STOP au 36180"},
		{To: "0612345679", Message: "Soldes sans mention"},
	}
	_, err = b.enqueuer.PlanBatch(ctx, tasks.BatchPayload{Rows: rows, Sender: "MYSHOP", Marketing: true})
	require.ErrorAs(t, err, &ve)
	require.Equal(t, "rows[1].message", ve.Field)
	i, ok := ve.Row()
	require.True(t, ok)
	require.Equal(t, 1, i)
	_, err = b.enqueuer.PlanBatch(ctx, tasks.BatchPayload{Rows: rows, Marketing: true})
	require.NoError(t, err, "no custom sender: the account's short code carries the opt-out")
}

// The fraud guard: destinations outside ALLOWED_COUNTRIES, and beyond the
// day's cap, are archived by the worker (a producer that skipped the
// checks) with the reason, and counted.
func TestDestinationsRecheckedByTheWorker(t *testing.T) {
	b := setup(t)
	caps, err := store.NewCaps(b.rdb)
	require.NoError(t, err)
	b.startWorker(t, func(c *handler.SenderConfig) {
		c.AllowedCountries = []string{"FR", "GB"}
		c.DailyCap = map[string]int{"GB": 2}
		c.Caps = caps
	})
	send := func(id, to string) {
		raw, err := json.Marshal(tasks.SendPayload{To: []string{to}, Message: "code 4821"})
		require.NoError(t, err)
		_, err = b.enqueueRaw(t, asynq.NewTask(tasks.TypeSend, raw), id)
		require.NoError(t, err)
	}
	send("de", "4915112345678")
	st := b.waitState(t, "de", tasks.StateArchived)
	require.Contains(t, st.LastError, `"DE" is not allowed`)
	for _, id := range []string{"gb-1", "gb-2"} {
		send(id, "447400123456")
		b.waitState(t, id, tasks.StateCompleted)
	}
	send("gb-3", "447400123456")
	st = b.waitState(t, "gb-3", tasks.StateArchived)
	require.Contains(t, st.LastError, "daily cap of 2 messages to GB")
	send("fr", "33612345678")
	b.waitState(t, "fr", tasks.StateCompleted)
	require.Len(t, b.fake.Messages(), 3)
}

// The producer refuses the same destinations at enqueue, naming the
// recipient.
func TestDestinationsRefusedAtEnqueue(t *testing.T) {
	b := setup(t)
	o := b.cfg.TaskOptions()
	o.AllowedCountries = []string{"FR"}
	enq, err := tasks.NewEnqueuer(b.rdb, o)
	require.NoError(t, err)
	_, err = enq.Send(context.Background(), tasks.SendPayload{To: []string{"0612345678", "+44 7911 123456"}, Message: "x"})
	var ve *tasks.ValidationError
	require.ErrorAs(t, err, &ve)
	require.Equal(t, "to[1]", ve.Field)
	require.Contains(t, ve.Reason, "ALLOWED_COUNTRIES")
}

// A marketing send that fails at 19:59 and is retried after 20:00 is
// handed over for the next opening: the window is checked at every
// attempt, not once.
func TestMarketingRetryCrossingTheEndOfTheWindow(t *testing.T) {
	b := setup(t)
	b.fake.FailNext("sendSMS.do", smsmode.CodeTemporarilyUnavailable, 1)
	var attempts atomic.Int32
	b.startWorker(t, func(c *handler.SenderConfig) {
		c.Marketing = frenchWindow(t)
		c.Now = func() time.Time {
			// The first attempt is at 19:59 on a Saturday, every later one after 20:00.
			if attempts.Load() == 0 {
				return time.Date(2026, 12, 5, 19, 59, 0, 0, paris)
			}
			return time.Date(2026, 12, 5, 20, 1, 0, 0, paris)
		}
		c.Provider = countingProvider{Provider: c.Provider, calls: &attempts}
	})
	raw, err := json.Marshal(tasks.SendPayload{To: []string{"33612345678"}, Message: "Soldes STOP au 36180", Marketing: true})
	require.NoError(t, err)
	_, err = b.enqueueRaw(t, asynq.NewTask(tasks.TypeSend, raw), "late-promo")
	require.NoError(t, err)
	st := b.waitState(t, "late-promo", tasks.StateCompleted)
	require.Equal(t, int32(2), attempts.Load(), "refused at 19:59, accepted on the retry")
	require.Equal(t, "07122026-08:00", st.Result.DateEnvoi, "handed over for Monday's opening")
	require.True(t, b.sends("late-promo")[0].SendAt.Equal(time.Date(2026, 12, 7, 8, 0, 0, 0, paris)))
}

// countingProvider counts sendSMS.do calls.
type countingProvider struct {
	handler.Provider
	calls *atomic.Int32
}

func (p countingProvider) SendSMS(ctx context.Context, m *smsmode.SMS) (*smsmode.SendResult, error) {
	defer p.calls.Add(1)
	return p.Provider.SendSMS(ctx, m)
}
