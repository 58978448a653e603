package handler

import (
	"errors"
	"math/rand/v2"
	"time"

	"github.com/hibiken/asynq"
)

// RateLimitedError means the shared request budget is spent for now. It is
// not a failure: the task is rescheduled without consuming a retry.
type RateLimitedError struct {
	RetryAfter time.Duration
}

// Error implements error.
func (e *RateLimitedError) Error() string {
	return "rate limited: SMSMODE_RATE budget spent, retrying in " + e.RetryAfter.Round(time.Millisecond).String()
}

// RetryPolicy is the back-off of retried sends.
type RetryPolicy struct {
	Base time.Duration // RETRY_BASE_DELAY
	Max  time.Duration // RETRY_MAX_DELAY
}

// Delay implements asynq.RetryDelayFunc: exponential from Base, capped at
// Max, with "equal jitter" (half fixed, half random) so that a burst of tasks
// failing together on code 50 does not come back together.
func (p RetryPolicy) Delay(n int, err error, _ *asynq.Task) time.Duration {
	var rl *RateLimitedError
	if errors.As(err, &rl) {
		return rl.RetryAfter
	}
	d := p.Max
	if n < 30 {
		if e := p.Base << n; e > 0 && e < p.Max {
			d = e
		}
	}
	half := d / 2
	return half + rand.N(half+1)
}

// IsFailure implements asynq's Config.IsFailure: being rate limited is not a failure.
func IsFailure(err error) bool {
	var rl *RateLimitedError
	return !errors.As(err, &rl)
}
