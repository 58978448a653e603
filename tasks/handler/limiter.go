package handler

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/smsq/smsq/tasks"
)

// Priority is a request's rank in the shared rate budget.
type Priority int

// Priorities.
const (
	PriorityNormal   Priority = iota // every queue but critical
	PriorityCritical                 // queue critical: OTPs and other messages a person waits for
)

// String is the word logs use.
func (p Priority) String() string {
	if p == PriorityCritical {
		return "critical"
	}
	return "normal"
}

// priorityOf is the priority of the running task, from its queue.
func priorityOf(ctx context.Context) Priority {
	if q, _ := asynq.GetQueueName(ctx); q == tasks.QueueCritical {
		return PriorityCritical
	}
	return PriorityNormal
}

// Limiter bounds provider requests per second across every worker pod.
type Limiter interface {
	// Reserve asks for one request of the budget at priority p. A booked
	// reservation may leave after its Delay without asking again; otherwise
	// nothing was taken and the caller asks again after Delay.
	Reserve(ctx context.Context, p Priority) (Reservation, error)
}

// Reservation is a Limiter's answer.
type Reservation struct {
	Booked bool          // a slot is the caller's: it leaves after Delay
	Delay  time.Duration // booked: until the slot; not booked: until asking again makes sense
}

// RedisLimiter is the rate budget shared by every pod through one Redis key:
// a GCRA schedule (one request every interval = 1/rate) in one Lua script
// that reads Redis's clock, so that the pods' clocks do not matter.
//
// Priority is a matter of how far ahead of the schedule a request may go:
//
//   - a normal request leaves when its turn has come; otherwise it is told
//     when to ask again and takes nothing.
//   - a critical request may leave up to reserve intervals before its turn
//     (the reserve is a burst only critical requests may take), and when it
//     cannot leave now it books a later slot, up to a second ahead (or one
//     interval when that is longer). Normal waiters book nothing, so a
//     critical request never waits behind them: with a reserve of 1 or more
//     it leaves at once even while a campaign drains the budget; with 0 it
//     waits at most one interval.
//
// The reserve is a burst, not a share of the rate: a campaign alone gets the
// whole rate in steady state (less what its waiters lose by waking up late:
// a Redis round trip per request, as any shared limiter).
//
// What the provider sees: rate requests per second on average (what the
// reserve's burst gives critical requests is taken from the normal ones
// right after), and in any one-second window at most ⌈rate⌉ + reserve
// requests, give or take the pods' timer and network jitter. After a lull,
// a campaign starts at one request per interval, without a burst.
type RedisLimiter struct {
	rdb     redis.UniversalClient
	key     string
	reserve int
	// Script arguments, in microseconds.
	interval, criticalTolerance, criticalHorizon string
	now                                          func() time.Time // tests: instead of Redis's clock
}

// LimiterOption configures a RedisLimiter.
type LimiterOption func(*RedisLimiter)

// WithReserve keeps n requests of burst that only critical requests may
// take (SMSMODE_RATE_RESERVE); 0, the default, keeps none (critical
// requests still pass ahead of normal waiters).
func WithReserve(n int) LimiterOption {
	return func(l *RedisLimiter) { l.reserve = max(n, 0) }
}

// NewRedisLimiter allows perSecond requests per second across every pod
// sharing rdb (fractions allowed: 0.5 is one request every two seconds; 0
// or less is one request an hour).
func NewRedisLimiter(rdb redis.UniversalClient, perSecond float64, opts ...LimiterOption) *RedisLimiter {
	if perSecond <= 0 {
		perSecond = 1.0 / 3600
	}
	l := &RedisLimiter{rdb: rdb, key: "smsq:ratelimit:smsmode"}
	for _, o := range opts {
		o(l)
	}
	interval := 1e6 / perSecond
	us := func(x float64) string { return strconv.FormatFloat(x, 'f', 3, 64) }
	l.interval = us(interval)
	l.criticalTolerance = us(float64(l.reserve) * interval)
	l.criticalHorizon = us(max(interval, 1e6))
	return l
}

// reserveScript books one request in the schedule stored at KEYS[1] (the
// theoretical arrival time of the next request, in microseconds of Redis's
// clock). ARGV: interval, tolerance (how long before its slot the request
// may leave) and horizon (how far ahead it may book), in microseconds, and
// optionally the time for tests. It returns {1, wait} when booked, {0,
// retry} when not.
var reserveScript = redis.NewScript(`
-- TIME before a write: Redis before 5 replicates effects only when asked.
redis.replicate_commands()
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local horizon = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
if not now then
	local t = redis.call("TIME")
	now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local tat = tonumber(redis.call("GET", KEYS[1]) or "0")
if tat < now then
	tat = now
end
local at = tat - tolerance
if at < now then
	at = now
end
local wait = at - now
if wait > horizon then
	return {0, math.ceil(wait - horizon)}
end
tat = tat + interval
redis.call("SET", KEYS[1], string.format("%.0f", tat), "PX", math.ceil((tat - now) / 1000) + 1000)
return {1, math.ceil(wait)}
`)

// Reserve implements Limiter.
func (l *RedisLimiter) Reserve(ctx context.Context, p Priority) (Reservation, error) {
	tolerance, horizon := "0", "0" // normal requests book nothing
	if p == PriorityCritical {
		tolerance, horizon = l.criticalTolerance, l.criticalHorizon
	}
	now := ""
	if l.now != nil {
		now = strconv.FormatInt(l.now().UnixMicro(), 10)
	}
	res, err := reserveScript.Run(ctx, l.rdb, []string{l.key}, l.interval, tolerance, horizon, now).Int64Slice()
	if err != nil {
		return Reservation{}, err
	}
	if len(res) != 2 {
		return Reservation{}, fmt.Errorf("rate limiter script answered %v", res)
	}
	return Reservation{Booked: res[0] == 1, Delay: time.Duration(res[1]) * time.Microsecond}, nil
}
