package handler_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/tasks/handler"
	"github.com/smsq/smsq/tasks/store"
	"github.com/smsq/smsq/webhook"
)

// clock is a settable time source shared by a test and its pollers.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock(t time.Time) *clock { return &clock{now: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// outcomes counts what a poller's Observe was told.
type outcomes struct {
	mu       sync.Mutex
	n        map[string]int
	statuses int
}

func (o *outcomes) observe(outcome string, statuses int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.n == nil {
		o.n = map[string]int{}
	}
	o.n[outcome]++
	o.statuses += statuses
}

func (o *outcomes) get(outcome string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.n[outcome]
}

const (
	pollAfter = 15 * time.Minute
	pollUntil = 48 * time.Hour
)

// newPoller is a poller on the bundle's Redis and fake, DLR_POLL_AFTER=15m
// and DLR_POLL_UNTIL=48h, with the default intervals (1m doubling to 2h),
// on clock c.
func (b *bundle) newPoller(t *testing.T, c *clock, obs *outcomes, tune ...func(*handler.PollerConfig)) *handler.Poller {
	t.Helper()
	polls, err := store.NewDeliveryPolls(b.rdb)
	require.NoError(t, err)
	cfg := handler.PollerConfig{
		Provider: b.fake.Client(), Polls: polls, Events: b.enqueuer,
		After: pollAfter, Until: pollUntil, Rate: 100,
	}
	if c != nil {
		cfg.Now = c.Now
	}
	if obs != nil {
		cfg.Observe = obs.observe
	}
	for _, f := range tune {
		f(&cfg)
	}
	p, err := handler.NewPoller(cfg)
	require.NoError(t, err)
	return p
}

// accept sends m through the fake directly (no notification_url: the fake
// makes no callback) and records the acceptance at the given time, as the
// send handler does.
func (b *bundle) accept(t *testing.T, taskID string, m smsmode.SMS, at time.Time) *store.Acceptance {
	t.Helper()
	res, err := b.fake.Client().SendSMS(context.Background(), &m)
	require.NoError(t, err)
	a := &store.Acceptance{
		TaskID: taskID, Type: tasks.TypeSend, SMSID: res.SMSID, Ref: taskID, Recipients: m.Numbers,
		Segments: 1, Encoding: "gsm", SendAt: m.SendAt, AcceptedAt: at,
	}
	require.NoError(t, b.ledger.Record(context.Background(), a))
	return a
}

func (b *bundle) sweep(t *testing.T, p *handler.Poller) handler.SweepResult {
	t.Helper()
	res, err := p.Sweep(context.Background())
	require.NoError(t, err)
	require.NoError(t, res.Err)
	return res
}

func (b *bundle) indexLen(t *testing.T) int64 {
	t.Helper()
	polls, err := store.NewDeliveryPolls(b.rdb)
	require.NoError(t, err)
	fresh, polled, err := polls.Len(context.Background())
	require.NoError(t, err)
	return fresh + polled
}

// deliveryEvents returns the sms:delivery tasks of the events queue, in any
// state, by task ID.
func (b *bundle) deliveryEvents(t *testing.T) map[string]tasks.DeliveryPayload {
	t.Helper()
	out := map[string]tasks.DeliveryPayload{}
	lists := []func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error){
		b.inspect.ListPendingTasks, b.inspect.ListActiveTasks, b.inspect.ListCompletedTasks,
		b.inspect.ListRetryTasks, b.inspect.ListArchivedTasks, b.inspect.ListScheduledTasks,
	}
	for _, list := range lists {
		tis, err := list(tasks.QueueEvents, asynq.PageSize(1000))
		if err != nil {
			continue // the queue does not exist yet
		}
		for _, ti := range tis {
			if ti.Type != tasks.TypeDelivery {
				continue
			}
			var p tasks.DeliveryPayload
			require.NoError(t, json.Unmarshal(ti.Payload, &p))
			out[ti.ID] = p
		}
	}
	return out
}

// With no callback at all, the production worker gets every recipient's
// status from polling; a callback arriving afterwards with a status the
// poll found is the same task (a duplicate), and the poller stops once
// every recipient is final.
func TestPollerStatusesWithoutCallbacks(t *testing.T) {
	b := setup(t)
	b.startWorker(t)
	ctx := context.Background()
	res, err := b.enqueuer.Send(ctx, tasks.SendPayload{To: []string{"0612345678", "0698765432"}, Message: "Votre colis arrive"}, tasks.WithTaskID("parcel-1"))
	require.NoError(t, err)
	st := b.waitState(t, res.ID, "completed")
	smsID := st.Result.SMSID
	require.Empty(t, b.sends("parcel-1")[0].NotificationURL, "no callbacks in this test")
	require.NoError(t, b.fake.Deliver(smsID, "33612345678", smsmode.StatusReceived))
	require.NoError(t, b.fake.Deliver(smsID, "33698765432", smsmode.StatusDeliveredToOperator))

	acc, err := b.ledger.Lookup(ctx, res.ID)
	require.NoError(t, err)
	c := newClock(acc.AcceptedAt)
	var obs outcomes
	p := b.newPoller(t, c, &obs)

	require.Zero(t, b.sweep(t, p).Claimed, "nothing before DLR_POLL_AFTER")
	c.Set(acc.AcceptedAt.Add(pollAfter))
	r := b.sweep(t, p)
	require.Equal(t, handler.SweepResult{Claimed: 1, Requests: 1, Statuses: 2}, r)
	require.Eventually(t, func() bool {
		s, err := b.insp.Status(ctx, res.ID)
		return err == nil && len(s.Recipients) == 2 && s.Recipients[0].Status == 11 && s.Recipients[1].Status == 13
	}, 10*time.Second, 10*time.Millisecond, "the polled statuses never reached the recipient store")

	// A late callback of the status the poll found adds no event.
	const secret = "late-callback-secret-1234"
	var outcome string
	wh, err := webhook.New(webhook.Config{
		Secrets: []string{secret}, Enqueuer: b.enqueuer, Ledger: b.ledger, Location: paris,
		Observe: func(_, o string) { outcome = o },
	})
	require.NoError(t, err)
	q := url.Values{"numero": {"33612345678"}, "statut": {"11"}, "smsID": {smsID}, "date_reception": {"2026-07-14 10:30:00"}}
	rec := httptest.NewRecorder()
	wh.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, webhook.DeliveryURL("http://smsq.example", secret, "")+"?"+q.Encode(), nil))
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, "duplicate", outcome)
	events := b.deliveryEvents(t)
	require.Len(t, events, 2, "one event per status, whoever found it")
	for id, p := range events {
		require.Equal(t, tasks.DeliveryEventID(p), id)
		require.Equal(t, "parcel-1", p.TaskID)
		require.Equal(t, "parcel-1", p.Ref)
	}

	// The second recipient is still only with its operator: polled again
	// after the back-off, and done once it is final.
	c.Set(acc.AcceptedAt.Add(pollAfter + time.Minute))
	r = b.sweep(t, p)
	require.Equal(t, handler.SweepResult{Claimed: 1, Requests: 1}, r, "13 again is no new status")
	require.NoError(t, b.fake.Deliver(smsID, "33698765432", smsmode.StatusReceived))
	c.Set(acc.AcceptedAt.Add(pollAfter + 2*time.Minute))
	r = b.sweep(t, p)
	require.Equal(t, handler.SweepResult{Claimed: 1, Requests: 1, Statuses: 1, Done: 1}, r)
	require.Zero(t, b.indexLen(t))
	require.Len(t, b.deliveryEvents(t), 3)
	require.Equal(t, 3, obs.get(handler.PollOK))
	require.Equal(t, 3, obs.statuses)
	require.Eventually(t, func() bool {
		s, err := b.insp.Status(ctx, res.ID)
		return err == nil && len(s.Recipients) == 2 && s.Recipients[1].Final
	}, 10*time.Second, 10*time.Millisecond)
}

// A message whose recipients are all final already (callbacks) costs no
// request; one the provider or the ledger does not know is dropped.
func TestPollerSkipsFinalAndUnknown(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	t0 := time.Now()
	a := b.accept(t, "final-1", smsmode.SMS{Numbers: []string{"33612345678"}, Message: "x"}, t0)
	_, err := b.recips.Record(ctx, a.TaskID, store.RecipientState{Number: "33612345678", SMSID: a.SMSID, Status: 11, Final: true, ReceivedAt: t0})
	require.NoError(t, err)
	require.NoError(t, b.ledger.Record(ctx, &store.Acceptance{TaskID: "unknown-1", SMSID: "NOSUCHSMS", Recipients: []string{"33600000000"}, AcceptedAt: t0}))
	b.accept(t, "gone-1", smsmode.SMS{Numbers: []string{"33612345678"}, Message: "y"}, t0)
	require.NoError(t, b.rdb.Del(ctx, "smsq:{gone-1}:accepted").Err())

	var obs outcomes
	p := b.newPoller(t, newClock(t0.Add(pollAfter)), &obs)
	r := b.sweep(t, p)
	require.Equal(t, handler.SweepResult{Claimed: 3, Requests: 1, Done: 3}, r)
	require.Equal(t, 1, b.fake.RequestCount("compteRendu.do"), "only the unknown smsID was asked for (61)")
	require.Equal(t, 1, obs.get(handler.PollFinal))
	require.Equal(t, 2, obs.get(handler.PollNotFound))
	require.Zero(t, b.indexLen(t))
}

// Polls back off: a message that stays non-final is asked for at
// DLR_POLL_AFTER, then after 1, 1, 2, 4 … minutes, never in between.
func TestPollerBackOff(t *testing.T) {
	b := setup(t)
	t0 := time.Now()
	a := b.accept(t, "slow-1", smsmode.SMS{Numbers: []string{"33612345678"}, Message: "x"}, t0)
	require.NoError(t, b.fake.Deliver(a.SMSID, "33612345678", smsmode.StatusDeliveredToOperator))
	c := newClock(t0)
	p := b.newPoller(t, c, nil)

	start := t0.Add(pollAfter)
	var want []int // requests made so far, after each sweep
	at := []time.Duration{-time.Millisecond, 0, 30 * time.Second, time.Minute - time.Millisecond, time.Minute, 90 * time.Second, 2 * time.Minute, 4*time.Minute - time.Millisecond, 4 * time.Minute, 7 * time.Minute, 8 * time.Minute}
	polledAt := map[time.Duration]bool{0: true, time.Minute: true, 2 * time.Minute: true, 4 * time.Minute: true, 8 * time.Minute: true}
	var got []int
	n := 0
	for _, d := range at {
		if polledAt[d] {
			n++
		}
		want = append(want, n)
		c.Set(start.Add(d))
		b.sweep(t, p)
		got = append(got, b.fake.RequestCount("compteRendu.do"))
	}
	require.Equal(t, want, got, "sweeps at %v after DLR_POLL_AFTER", at)
	require.Len(t, b.deliveryEvents(t), 1, "the same status polled five times is one event")
}

// No poll after DLR_POLL_UNTIL: the last one is made at DLR_POLL_UNTIL and
// the message leaves the index; a message first seen past it (the workers
// were down) is dropped without a request.
func TestPollerUntil(t *testing.T) {
	b := setup(t)
	t0 := time.Now()
	b.accept(t, "never-final", smsmode.SMS{Numbers: []string{"33612345678"}, Message: "x"}, t0)
	c := newClock(t0.Add(pollAfter))
	var obs outcomes
	p := b.newPoller(t, c, &obs)

	// Sweep every minute for 49 hours of the test clock.
	requests := 0
	for at := t0.Add(pollAfter); at.Before(t0.Add(pollUntil + time.Hour)); at = at.Add(time.Minute) {
		c.Set(at)
		r := b.sweep(t, p)
		requests += r.Requests
		if at.After(t0.Add(pollUntil)) {
			require.Zero(t, r.Claimed, "polled at %v, after DLR_POLL_UNTIL", at.Sub(t0))
		}
	}
	require.Equal(t, requests, b.fake.RequestCount("compteRendu.do"))
	require.Zero(t, b.indexLen(t))
	t.Logf("a message never final cost %d compteRendu.do requests over DLR_POLL_UNTIL=%v", requests, pollUntil)
	// 15 min, 16, 17, 19, 23, 31, 47, 1 h 19, 2 h 23, then every 2 hours
	// and a last poll at 48 h: the schedule docs/delivery-reports.md gives.
	require.Equal(t, 32, requests)

	b.accept(t, "too-late", smsmode.SMS{Numbers: []string{"33612345678"}, Message: "y"}, t0)
	c.Set(t0.Add(pollUntil + 2*time.Minute))
	r := b.sweep(t, p)
	require.Equal(t, handler.SweepResult{Expired: 1}, r)
	require.Equal(t, requests, b.fake.RequestCount("compteRendu.do"))
	require.Equal(t, 1, obs.get(handler.PollExpired))
}

// A scheduled message is polled from DLR_POLL_AFTER after its date_envoi,
// not after its acceptance.
func TestPollerScheduled(t *testing.T) {
	b := setup(t)
	t0 := time.Now()
	sendAt := t0.Add(3 * time.Hour).Truncate(time.Minute)
	b.accept(t, "later-1", smsmode.SMS{Numbers: []string{"33612345678"}, Message: "x", SendAt: sendAt}, t0)
	c := newClock(t0)
	p := b.newPoller(t, c, nil)
	for _, at := range []time.Time{t0.Add(pollAfter), t0.Add(time.Hour), sendAt, sendAt.Add(pollAfter - time.Millisecond)} {
		c.Set(at)
		require.Zero(t, b.sweep(t, p).Claimed, "polled at %v, before date_envoi + DLR_POLL_AFTER", at.Sub(t0))
	}
	require.Zero(t, b.fake.RequestCount("compteRendu.do"))
	c.Set(sendAt.Add(pollAfter))
	r := b.sweep(t, p)
	require.Equal(t, 1, r.Requests)
	require.Empty(t, b.deliveryEvents(t), "scheduled (10) is no delivery report")
}

// Two pollers on the same Redis (two pods) never poll the same message at
// once: each message is asked for exactly once, by one of them.
func TestTwoPollersPollEachMessageOnce(t *testing.T) {
	b := setup(t)
	b.fake.SetLatency(5 * time.Millisecond) // sweeps overlap
	const n = 60
	t0 := time.Now()
	for i := range n {
		a := b.accept(t, fmt.Sprintf("m%02d", i), smsmode.SMS{Numbers: []string{fmt.Sprintf("336%08d", i)}, Message: "x"}, t0)
		require.NoError(t, b.fake.Deliver(a.SMSID, fmt.Sprintf("336%08d", i), smsmode.StatusReceived))
	}
	cp := &concurrencyProbe{Next: b.fake.Client(), inFlight: map[string]int{}, calls: map[string]int{}}
	c := newClock(t0.Add(pollAfter))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	var sweeps [2]atomic.Int64
	for i := range 2 {
		p := b.newPoller(t, c, nil, func(cfg *handler.PollerConfig) { cfg.Provider = cp; cfg.Rate = 7 })
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if _, err := p.Sweep(ctx); err != nil && ctx.Err() == nil {
					t.Error(err)
					return
				}
				sweeps[i].Add(1)
				// A quota of 7 per second: move the clock on as time would.
				c.Set(c.Now().Add(100 * time.Millisecond))
			}
		}()
	}
	require.Eventually(t, func() bool { return b.indexLen(t) == 0 }, 20*time.Second, 10*time.Millisecond, "not every message was polled")
	cancel()
	wg.Wait()
	require.Zero(t, cp.maxInFlight(), "a message was polled by two pollers at once")
	require.Len(t, cp.callCounts(), n)
	for id, k := range cp.callCounts() {
		require.Equal(t, 1, k, "smsID %s polled %d times", id, k)
	}
	require.Len(t, b.deliveryEvents(t), n)
	t.Logf("sweeps: %d and %d", sweeps[0].Load(), sweeps[1].Load())
}

// On the real clock, with messages that stay non-final and are polled
// again and again, two pollers never have a request for the same message
// in flight at the same time.
func TestTwoPollersNeverOverlap(t *testing.T) {
	b := setup(t)
	b.fake.SetLatency(5 * time.Millisecond)
	const n = 20
	t0 := time.Now()
	for i := range n {
		a := b.accept(t, fmt.Sprintf("m%02d", i), smsmode.SMS{Numbers: []string{fmt.Sprintf("336%08d", i)}, Message: "x"}, t0)
		require.NoError(t, b.fake.Deliver(a.SMSID, fmt.Sprintf("336%08d", i), smsmode.StatusDeliveredToOperator))
	}
	cp := &concurrencyProbe{Next: b.fake.Client(), inFlight: map[string]int{}, calls: map[string]int{}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for range 2 {
		p := b.newPoller(t, nil, nil, func(cfg *handler.PollerConfig) {
			cfg.Provider, cfg.Now = cp, time.Now
			cfg.After, cfg.Until, cfg.MinInterval, cfg.Rate = time.Millisecond, time.Hour, 300*time.Millisecond, 1000
		})
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if _, err := p.Sweep(ctx); err != nil && ctx.Err() == nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	require.Eventually(t, func() bool {
		calls := cp.callCounts()
		if len(calls) < n {
			return false
		}
		for _, k := range calls {
			if k < 3 {
				return false
			}
		}
		return true
	}, 30*time.Second, 10*time.Millisecond, "every message should be polled three times")
	cancel()
	wg.Wait()
	require.Zero(t, cp.maxInFlight(), "a message was polled by two pollers at once")
}

// concurrencyProbe records, per smsID, how many requests overlap and how
// many were made.
type concurrencyProbe struct {
	Next     handler.Reporter
	mu       sync.Mutex
	inFlight map[string]int
	calls    map[string]int
	overlaps int
}

func (p *concurrencyProbe) DeliveryReport(ctx context.Context, smsID string) ([]smsmode.RecipientStatus, error) {
	p.mu.Lock()
	p.inFlight[smsID]++
	p.calls[smsID]++
	if p.inFlight[smsID] > 1 {
		p.overlaps++
	}
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.inFlight[smsID]--
		p.mu.Unlock()
	}()
	return p.Next.DeliveryReport(ctx, smsID)
}

func (p *concurrencyProbe) maxInFlight() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.overlaps
}

func (p *concurrencyProbe) callCounts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]int{}
	for k, v := range p.calls {
		out[k] = v
	}
	return out
}

// A message sent to a contact group has no recipient list: its recipients
// are the numbers compteRendu.do lists, and it is done when all are final.
func TestPollerGroup(t *testing.T) {
	b := setup(t)
	b.fake.AddGroup("clients", "0611111111", "0622222222")
	t0 := time.Now()
	a := b.accept(t, "group-1", smsmode.SMS{Group: "clients", Message: "x"}, t0)
	require.Empty(t, a.Recipients)
	c := newClock(t0.Add(pollAfter))
	p := b.newPoller(t, c, nil)

	r := b.sweep(t, p)
	require.Equal(t, handler.SweepResult{Claimed: 1, Requests: 1}, r, "both only sent: nothing to report")
	require.NoError(t, b.fake.Deliver(a.SMSID, "33611111111", smsmode.StatusReceived))
	require.NoError(t, b.fake.Deliver(a.SMSID, "33622222222", smsmode.StatusRejected))
	c.Set(t0.Add(pollAfter + time.Minute))
	r = b.sweep(t, p)
	require.Equal(t, handler.SweepResult{Claimed: 1, Requests: 1, Statuses: 2, Done: 1}, r)
	got := map[string]int{}
	for _, ev := range b.deliveryEvents(t) {
		got[ev.To] = ev.Status
	}
	require.Equal(t, map[string]int{"33611111111": 11, "33622222222": 22}, got)
}

// A batch chunk is polled with its campagneID, once for all its rows.
func TestPollerBatch(t *testing.T) {
	b := setup(t)
	t0 := time.Now()
	rows := []smsmode.BatchRow{{Number: "33611111111", Message: "a"}, {Number: "33622222222", Message: "b"}, {Number: "33633333333", Message: "c"}}
	res, err := b.fake.Client().SendBatch(context.Background(), &smsmode.Batch{Rows: rows})
	require.NoError(t, err)
	require.NoError(t, b.ledger.Record(context.Background(), &store.Acceptance{
		TaskID: "batch-1", Type: tasks.TypeBatch, SMSID: res.SMSID,
		Recipients: []string{"33611111111", "33622222222", "33633333333"}, AcceptedAt: t0,
	}))
	for _, r := range rows {
		require.NoError(t, b.fake.Deliver(res.SMSID, r.Number, smsmode.StatusReceived))
	}
	p := b.newPoller(t, newClock(t0.Add(pollAfter)), nil)
	r := b.sweep(t, p)
	require.Equal(t, handler.SweepResult{Claimed: 1, Requests: 1, Statuses: 3, Done: 1}, r)
	for _, ev := range b.deliveryEvents(t) {
		require.Equal(t, res.SMSID, ev.SMSID, "the campagneID, as callbacks carry it")
		require.Equal(t, "batch-1", ev.TaskID)
	}
}

// A failed request is made again at the next back-off; the shared rate
// budget is asked before every request, and a refusal defers the poll.
func TestPollerErrorsAndRateBudget(t *testing.T) {
	b := setup(t)
	t0 := time.Now()
	a := b.accept(t, "flaky-1", smsmode.SMS{Numbers: []string{"33612345678"}, Message: "x"}, t0)
	require.NoError(t, b.fake.Deliver(a.SMSID, "33612345678", smsmode.StatusReceived))
	c := newClock(t0.Add(pollAfter))
	var obs outcomes
	var waits atomic.Int64
	refuse := atomic.Bool{}
	p := b.newPoller(t, c, &obs, func(cfg *handler.PollerConfig) {
		cfg.Wait = func(ctx context.Context) error {
			waits.Add(1)
			if refuse.Load() {
				return errors.New("budget spent")
			}
			return nil
		}
	})

	b.fake.FailNext("compteRendu.do", smsmode.CodeInternalError, 1)
	r, err := p.Sweep(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, r.Errors)
	require.ErrorContains(t, r.Err, "compteRendu.do of "+a.SMSID)
	require.Equal(t, 1, obs.get(handler.PollError))

	refuse.Store(true)
	c.Set(t0.Add(pollAfter + time.Minute))
	r = b.sweep(t, p)
	require.Equal(t, handler.SweepResult{Claimed: 1}, r)
	require.Equal(t, 1, obs.get(handler.PollDeferred))
	require.Equal(t, 1, b.fake.RequestCount("compteRendu.do"))

	refuse.Store(false)
	c.Set(t0.Add(pollAfter + 2*time.Minute))
	r = b.sweep(t, p)
	require.Equal(t, handler.SweepResult{Claimed: 1, Requests: 1, Statuses: 1, Done: 1}, r)
	require.Equal(t, int64(3), waits.Load())
}

func TestNewPollerRefusesMissingSettings(t *testing.T) {
	b := setup(t)
	polls, err := store.NewDeliveryPolls(b.rdb)
	require.NoError(t, err)
	good := handler.PollerConfig{Provider: b.fake.Client(), Polls: polls, Events: b.enqueuer, After: time.Minute, Until: time.Hour}
	_, err = handler.NewPoller(good)
	require.NoError(t, err)
	for _, tc := range []struct {
		name   string
		change func(c *handler.PollerConfig)
	}{
		{"no provider", func(c *handler.PollerConfig) { c.Provider = nil }},
		{"no index", func(c *handler.PollerConfig) { c.Polls = nil }},
		{"no enqueuer", func(c *handler.PollerConfig) { c.Events = nil }},
		{"polling off", func(c *handler.PollerConfig) { c.After = 0 }},
		{"until before after", func(c *handler.PollerConfig) { c.Until = time.Second }},
		{"negative rate", func(c *handler.PollerConfig) { c.Rate = -1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			tc.change(&c)
			_, err := handler.NewPoller(c)
			require.Error(t, err)
		})
	}
}
