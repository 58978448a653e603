package handler_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/redistest"
	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/tasks/handler"
)

// step is one Reserve call and what it must answer. Delays are in
// intervals of the schedule; the answer may be shorter by the time the test
// took to get there (time only brings slots nearer), never longer.
type step struct {
	p      handler.Priority
	booked bool
	delay  float64
}

var (
	normal   = handler.PriorityNormal
	critical = handler.PriorityCritical
)

// With one request an hour, the milliseconds the test takes are nothing:
// the answers are deterministic.
func TestLimiterCriticalPassesAheadOfNormalWaiters(t *testing.T) {
	const interval = time.Hour
	for _, tc := range []struct {
		name    string
		reserve int
		steps   []step
	}{{
		name:    "reserve 2",
		reserve: 2,
		steps: []step{
			{normal, true, 0},                      // a campaign takes the budget…
			{normal, true, 1},                      // …books the next slot…
			{normal, false, 1}, {normal, false, 1}, // …and the rest of it waits, booking nothing
			{critical, true, 0},  // an OTP leaves at once, ahead of every waiter
			{critical, true, 1},  // a second one books the next slot
			{normal, false, 3},   // the waiters now wait for the reserve to come back
			{critical, false, 1}, // a third OTP in a burst waits for the budget, not for the campaign
		},
	}, {
		name:    "reserve 1",
		reserve: 1,
		steps: []step{
			{normal, true, 0}, {normal, true, 1}, {normal, false, 1},
			{critical, true, 1}, // behind the one slot a normal request booked, not behind its waiters
			{normal, false, 2},
		},
	}, {
		name:    "after a lull",
		reserve: 2,
		steps: []step{
			{critical, true, 0}, {critical, true, 0}, {critical, true, 0}, // the reserve's burst: 1 + 2
			{critical, true, 1},
			{normal, false, 3}, // the campaign gets no burst
		},
	}, {
		name:    "normal requests alone",
		reserve: 2,
		steps: []step{
			{normal, true, 0}, {normal, true, 1}, {normal, false, 1}, // one request per interval, no burst
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rdb := redistest.Start(t).Client()
			l := handler.NewRedisLimiter(rdb, 1/interval.Seconds(), handler.WithReserve(tc.reserve))
			for i, s := range tc.steps {
				r, err := l.Reserve(context.Background(), s.p)
				require.NoError(t, err)
				want := time.Duration(s.delay * float64(interval))
				require.Equal(t, s.booked, r.Booked, "step %d (%s)", i, s.p)
				require.LessOrEqual(t, r.Delay, want, "step %d (%s)", i, s.p)
				require.Greater(t, r.Delay, want-time.Minute, "step %d (%s)", i, s.p)
			}
		})
	}
}

// Without a reserve, a critical request still books ahead of the normal
// waiters (up to a second ahead), without any burst: the provider never sees
// more than the rate.
func TestLimiterWithoutReserveStillPutsCriticalFirst(t *testing.T) {
	t.Parallel()
	rdb := redistest.Start(t).Client()
	const rate = 2 // an interval of 500 ms; critical requests book up to 1 s ahead
	interval := time.Second / rate
	l := handler.NewRedisLimiter(rdb, rate)
	ctx := context.Background()
	reserve := func(p handler.Priority) handler.Reservation {
		r, err := l.Reserve(ctx, p)
		require.NoError(t, err)
		return r
	}
	require.Equal(t, handler.Reservation{Booked: true}, reserve(normal))
	r := reserve(normal)
	require.True(t, r.Booked)
	require.LessOrEqual(t, r.Delay, interval)
	require.False(t, reserve(normal).Booked, "normal waiters book one slot ahead at most")
	r = reserve(critical)
	require.True(t, r.Booked, "critical books beyond the waiters")
	require.LessOrEqual(t, r.Delay, 2*interval, "after the slot a normal request holds, not after its waiters")
	r = reserve(normal)
	require.False(t, r.Booked)
	require.Greater(t, r.Delay, interval, "the waiters now come after the critical request")
}

// sendLoop does what Sender.wait does, n times in all across workers
// goroutines, and returns the times the requests left.
func sendLoop(t *testing.T, l handler.Limiter, p handler.Priority, workers, n int) []time.Time {
	t.Helper()
	var (
		mu    sync.Mutex
		sent  []time.Time
		wg    sync.WaitGroup
		ctx   = context.Background()
		taken = 0
	)
	for range workers {
		wg.Go(func() {
			for {
				mu.Lock()
				if taken == n {
					mu.Unlock()
					return
				}
				taken++
				mu.Unlock()
				for {
					r, err := l.Reserve(ctx, p)
					if err != nil {
						t.Error(err)
						return
					}
					time.Sleep(r.Delay) // the wait for the budget itself, as in Sender.wait
					if r.Booked {
						break
					}
				}
				mu.Lock()
				sent = append(sent, time.Now())
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	slices.SortFunc(sent, func(a, b time.Time) int { return a.Compare(b) })
	return sent
}

// maxInOneSecond is the most requests that left within any one second.
func maxInOneSecond(times []time.Time) int {
	most := 0
	for i := range times {
		j := i
		for j < len(times) && times[j].Sub(times[i]) < time.Second {
			j++
		}
		most = max(most, j-i)
	}
	return most
}

// A campaign alone gets the whole rate: slots are booked, so a waiter that
// wakes up late does not lose its turn (it would take every waiter
// oversleeping by more than an interval to lose one).
func TestLimiterCampaignAloneGetsTheWholeRate(t *testing.T) {
	t.Parallel()
	rdb := redistest.Start(t).Client()
	const rate, n = 10, 31
	l := handler.NewRedisLimiter(rdb, rate, handler.WithReserve(2))
	sent := sendLoop(t, l, normal, 20, n)
	require.Len(t, sent, n)
	got := float64(n-1) / sent[n-1].Sub(sent[0]).Seconds()
	t.Logf("%.2f requests/s for a rate of %d", got, rate)
	require.GreaterOrEqual(t, got, 0.95*rate, "steady-state rate of a campaign alone")
	require.LessOrEqual(t, maxInOneSecond(sent), rate+1, "no burst for normal requests (one of timer jitter)")
}

// The provider never sees more than rate + reserve requests in a second,
// however critical and normal requests mix.
func TestLimiterBoundsWhatTheProviderSees(t *testing.T) {
	t.Parallel()
	rdb := redistest.Start(t).Client()
	const rate, reserve = 10, 2
	l := handler.NewRedisLimiter(rdb, rate, handler.WithReserve(reserve))
	var (
		wg               sync.WaitGroup
		campaign, otps   []time.Time
		campaignN, otpsN = 25, 15
	)
	wg.Go(func() { campaign = sendLoop(t, l, normal, 10, campaignN) })
	wg.Go(func() { otps = sendLoop(t, l, critical, 5, otpsN) })
	wg.Wait()
	all := append(slices.Clone(campaign), otps...)
	slices.SortFunc(all, func(a, b time.Time) int { return a.Compare(b) })
	require.Len(t, all, campaignN+otpsN)
	require.LessOrEqual(t, maxInOneSecond(all), rate+reserve+1, "rate + reserve (and one of timer jitter)")
}

// Being rate limited never archives a task nor consumes a retry, even with
// MAX_RETRY=0: the enqueuer keeps one asynq retry in hand for it.
func TestRateLimitedTasksWithoutRetriesAreAllDelivered(t *testing.T) {
	b := setup(t)
	b.cfg.MaxRetry = 0
	var err error
	b.enqueuer, err = tasks.NewEnqueuer(b.rdb, b.cfg.TaskOptions())
	require.NoError(t, err)
	// Waiting in place at most 10 ms: almost every task goes back to the
	// queue rate limited, some of them several times.
	const maxWait = 10 * time.Millisecond
	lim := &requeueCounter{Limiter: handler.NewRedisLimiter(b.rdb, 20, handler.WithReserve(2)), beyond: maxWait}
	for range 2 {
		b.startWorker(t, func(c *handler.SenderConfig) {
			c.Limiter = lim
			c.MaxRateWait = maxWait
		})
	}
	const n = 40
	ctx := context.Background()
	for i := range n {
		q := tasks.QueueLow
		if i%10 == 0 {
			q = tasks.QueueCritical
		}
		_, err := b.enqueuer.Send(ctx, tasks.SendPayload{To: []string{"0612345678"}, Message: "rl"}, tasks.WithTaskID(fmt.Sprintf("rl0-%d", i)), tasks.WithQueue(q))
		require.NoError(t, err)
	}
	for i := range n {
		st := b.waitState(t, fmt.Sprintf("rl0-%d", i), "completed")
		require.Equal(t, 1, st.Attempts, "waiting for the budget is not an attempt")
	}
	require.Len(t, b.sends("rl0-0"), 1)
	require.Greater(t, lim.requeues.Load(), int64(n/2), "most tasks went back to the queue rate limited")
	archived, err := b.inspect.ListArchivedTasks(tasks.QueueLow)
	require.NoError(t, err)
	require.Empty(t, archived)
}

// requeueCounter counts the answers that send a task back to the queue: not
// booked, and asking again only after the sender's MaxRateWait.
type requeueCounter struct {
	handler.Limiter
	beyond   time.Duration
	requeues atomic.Int64
}

func (c *requeueCounter) Reserve(ctx context.Context, p handler.Priority) (handler.Reservation, error) {
	r, err := c.Limiter.Reserve(ctx, p)
	if err == nil && !r.Booked && r.Delay > c.beyond {
		c.requeues.Add(1)
	}
	return r, err
}
