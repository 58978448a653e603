package handler_test

import (
	"context"
	"fmt"
	"slices"
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
// took to get there, never longer.
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
			{normal, false, 1}, {normal, false, 1}, // …and the rest of it waits, booking nothing
			{critical, true, 0},  // an OTP leaves at once, ahead of every waiter
			{critical, true, 0},  // so does a second one: the reserve's burst
			{critical, true, 1},  // a third one books the next slot
			{normal, false, 4},   // the waiters now wait for the reserve to come back
			{critical, false, 1}, // a fourth one in a burst waits for the budget, not for the campaign
		},
	}, {
		name:    "reserve 1",
		reserve: 1,
		steps: []step{
			{normal, true, 0}, {normal, false, 1},
			{critical, true, 0}, // the reserve of one, even while the campaign waits
			{normal, false, 2},
			{critical, true, 1}, // the next slot: before every normal waiter
		},
	}, {
		name:    "after a lull",
		reserve: 2,
		steps: []step{
			{critical, true, 0}, {critical, true, 0}, {critical, true, 0}, // the reserve's burst: 1 + 2
			{critical, true, 1},
			{normal, false, 4}, // the campaign gets no burst
		},
	}, {
		name:    "normal requests alone",
		reserve: 2,
		steps: []step{
			{normal, true, 0}, {normal, false, 1}, {normal, false, 1}, // one request per interval, no burst
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
// waiters (up to a second ahead), without any burst.
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
	require.False(t, reserve(normal).Booked, "normal waiters book nothing")
	r := reserve(critical)
	require.True(t, r.Booked, "critical books the next slot…")
	require.LessOrEqual(t, r.Delay, interval)
	r = reserve(normal)
	require.False(t, r.Booked)
	require.Greater(t, r.Delay, interval, "…and the normal waiters come after it")
}

// simulation replays traffic against a RedisLimiter in virtual time: a
// campaign of workers waiters asking as Sender.wait does (not booked: ask
// again after Delay, late by late; booked: leave after Delay), and a
// critical request every otpEvery, each asking until it is booked.
type simulation struct {
	rate     float64
	reserve  int
	workers  int
	late     time.Duration
	otpEvery time.Duration // 0: none
	length   time.Duration
}

type simResult struct {
	campaign, otps []time.Time     // departures
	otpWaits       []time.Duration // arrival to departure
}

// maxInOneSecond is the most requests that left within any one second.
func (r simResult) maxInOneSecond() int {
	all := append(slices.Clone(r.campaign), r.otps...)
	slices.SortFunc(all, func(a, b time.Time) int { return a.Compare(b) })
	most := 0
	for i := range all {
		j := i
		for j < len(all) && all[j].Sub(all[i]) < time.Second {
			j++
		}
		most = max(most, j-i)
	}
	return most
}

func (s simulation) run(t *testing.T) simResult {
	t.Helper()
	rdb := redistest.Start(t).Client()
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var vt time.Duration // virtual time since start
	l := handler.NewRedisLimiter(rdb, s.rate, handler.WithReserve(s.reserve))
	handler.SetLimiterClock(l, func() time.Time { return start.Add(vt) })

	type waiter struct {
		p       handler.Priority
		wake    time.Duration
		arrived time.Duration
	}
	ws := make([]*waiter, s.workers)
	for i := range ws {
		ws[i] = &waiter{p: normal}
	}
	nextOTP := s.otpEvery
	var res simResult
	ctx := context.Background()
	for {
		if s.otpEvery > 0 && nextOTP <= vt {
			ws = append(ws, &waiter{p: critical, wake: nextOTP, arrived: nextOTP})
			nextOTP += s.otpEvery
		}
		next := slices.MinFunc(ws, func(a, b *waiter) int { return int(a.wake - b.wake) })
		if s.otpEvery > 0 && nextOTP < next.wake {
			vt = nextOTP
			continue
		}
		if next.wake >= s.length {
			return res
		}
		vt = next.wake
		r, err := l.Reserve(ctx, next.p)
		require.NoError(t, err)
		switch {
		case !r.Booked:
			next.wake = vt + r.Delay + s.late
		case next.p == critical:
			res.otps = append(res.otps, start.Add(vt+r.Delay))
			res.otpWaits = append(res.otpWaits, vt+r.Delay-next.arrived)
			ws = slices.DeleteFunc(ws, func(w *waiter) bool { return w == next })
		default:
			res.campaign = append(res.campaign, start.Add(vt+r.Delay))
			next.wake = vt + r.Delay // its next task asks at once
		}
	}
}

// The steady state, replayed in virtual time (deterministic): a campaign
// alone gets the whole rate, whatever the reserve (a burst, not a share of
// the rate); OTPs pass at once, ahead of its waiters; the provider never sees
// more than rate + reserve in a second.
func TestLimiterSteadyState(t *testing.T) {
	const rate, length = 20, 10 * time.Second
	interval := time.Second / rate
	for _, tc := range []struct {
		name            string
		sim             simulation
		campaignAtLeast float64       // requests per second
		otpWaitAtMost   time.Duration // every OTP
		perSecondAtMost int
	}{
		{"campaign alone", simulation{rate: rate, reserve: 2, workers: 20}, rate, 0, rate},
		{"campaign alone, no reserve", simulation{rate: rate, workers: 20}, rate, 0, rate},
		// What a waiter late by a Redis round trip costs: 1 ms a slot.
		{"campaign alone, waiters 1 ms late", simulation{rate: rate, reserve: 2, workers: 20, late: time.Millisecond}, 0.95 * rate, 0, rate},
		{"OTPs during a campaign", simulation{rate: rate, reserve: 2, workers: 20, otpEvery: 500 * time.Millisecond}, 0.95 * (rate - 2), 0, rate + 2},
		{"OTPs during a campaign, reserve 1", simulation{rate: rate, reserve: 1, workers: 20, otpEvery: 500 * time.Millisecond}, 0.95 * (rate - 2), 0, rate + 1},
		{"OTPs during a campaign, no reserve", simulation{rate: rate, workers: 20, otpEvery: 500 * time.Millisecond}, 0.95 * (rate - 2), interval, rate},
		// OTPs at 5/6 of the rate: they all pass at once, the campaign gets the rest.
		{"OTP flood", simulation{rate: rate, reserve: 2, workers: 20, otpEvery: 60 * time.Millisecond}, 0.95 * (rate - 50.0/3), 0, rate + 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.sim.length = length
			res := tc.sim.run(t)
			got := float64(len(res.campaign)) / length.Seconds()
			t.Logf("campaign %.1f/s, %d OTPs, at most %d in a second", got, len(res.otps), res.maxInOneSecond())
			require.GreaterOrEqual(t, got, tc.campaignAtLeast-1/length.Seconds(), "the campaign's rate")
			for i, w := range res.otpWaits {
				require.LessOrEqual(t, w, tc.otpWaitAtMost, "OTP %d", i)
			}
			require.LessOrEqual(t, res.maxInOneSecond(), tc.perSecondAtMost, "what the provider sees in a second")
			if tc.sim.otpEvery > 0 {
				require.Greater(t, len(res.otps), int(0.9*float64(length/tc.sim.otpEvery)), "the OTPs went out")
			}
		})
	}
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
	for _, q := range []string{tasks.QueueLow, tasks.QueueCritical} {
		archived, err := b.inspect.ListArchivedTasks(q)
		require.NoError(t, err)
		require.Empty(t, archived)
	}
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
