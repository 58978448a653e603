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
// a GCRA schedule (one request every 1/rate seconds) in one Lua script that
// reads Redis's clock, so that the pods' clocks do not matter.
//
// Priority is a matter of how far ahead of the schedule a request may go:
//
//   - a normal request only books the next slot (at most one interval
//     ahead) and leaves when it comes. Booking it, rather than asking again
//     at that instant, keeps the rate whole when waiters wake up late: a
//     campaign alone gets the entire rate in steady state.
//   - a critical request may leave up to reserve intervals before its slot
//     (the reserve is a burst only critical requests may take), and may book
//     slots up to a second ahead (or one interval when that is longer). It
//     therefore never waits behind normal waiters, which can only ever hold
//     the next slot: with a reserve of 2 or more, a critical request arriving
//     while a campaign drains the budget leaves at once; with 1 it waits at
//     most one interval; with 0 at most two.
//
// What the provider sees: rate requests per second on average, and in any
// one-second window at most ⌈rate⌉ + reserve, the reserve's burst being
// taken out of the normal requests' share right after (give or take the
// pods' timer jitter). After a lull, a campaign starts at one request per
// interval, without a burst.
type RedisLimiter struct {
	rdb     redis.UniversalClient
	key     string
	reserve int
	// Script arguments, in microseconds.
	interval, criticalTolerance, criticalHorizon string
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
// may leave) and horizon (how far ahead it may book), in microseconds.
// It returns {1, wait} when booked, {0, retry} when not.
var reserveScript = redis.NewScript(`
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local horizon = tonumber(ARGV[3])
local t = redis.call("TIME")
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
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
	tolerance, horizon := "0", l.interval // normal: the next slot at most
	if p == PriorityCritical {
		tolerance, horizon = l.criticalTolerance, l.criticalHorizon
	}
	res, err := reserveScript.Run(ctx, l.rdb, []string{l.key}, l.interval, tolerance, horizon).Int64Slice()
	if err != nil {
		return Reservation{}, err
	}
	if len(res) != 2 {
		return Reservation{}, fmt.Errorf("rate limiter script answered %v", res)
	}
	return Reservation{Booked: res[0] == 1, Delay: time.Duration(res[1]) * time.Microsecond}, nil
}
