package handler

import (
	"context"
	"math"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// Limiter bounds provider requests per second across every worker pod.
type Limiter interface {
	// Reserve takes one request from the budget, or says how long to wait.
	Reserve(ctx context.Context) (wait time.Duration, err error)
}

// RedisLimiter is a GCRA limiter shared through Redis (go-redis's redis_rate).
type RedisLimiter struct {
	lim   *redis_rate.Limiter
	limit redis_rate.Limit
	key   string
}

// NewRedisLimiter allows perSecond requests per second (fractions allowed:
// 0.5 is one request every two seconds), evenly spaced.
func NewRedisLimiter(rdb redis.UniversalClient, perSecond float64) *RedisLimiter {
	limit := redis_rate.Limit{Rate: int(math.Max(1, math.Floor(perSecond))), Period: time.Second}
	if perSecond < 1 {
		limit.Period = time.Duration(float64(time.Second) / perSecond)
	}
	// No burst: within any one-second window at most perSecond requests
	// leave, which is what a provider's per-second quota means.
	limit.Burst = 1
	return &RedisLimiter{lim: redis_rate.NewLimiter(rdb), limit: limit, key: "smsq:ratelimit:smsmode"}
}

// Reserve implements Limiter.
func (l *RedisLimiter) Reserve(ctx context.Context) (time.Duration, error) {
	res, err := l.lim.Allow(ctx, l.key, l.limit)
	if err != nil {
		return 0, err
	}
	if res.Allowed > 0 {
		return 0, nil
	}
	return res.RetryAfter, nil
}
