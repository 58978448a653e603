package handler

import (
	"bytes"
	"encoding/json"
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
	Base time.Duration    // RETRY_BASE_DELAY
	Max  time.Duration    // RETRY_MAX_DELAY
	Now  func() time.Time // nil: time.Now (tests)
}

// Delay implements asynq.RetryDelayFunc: exponential from Base, capped at
// Max, with "equal jitter" (half fixed, half random) so that a burst of tasks
// failing together on code 50 does not come back together.
//
// A task with an expires_at is never put off past it when it could still
// be tried before: a delay that would reach it becomes one last attempt a
// second before it (or, with less than two seconds left, a run at the
// expiry, which ends the task expired without a call), so the last
// retries are not burnt in a burst. asynq keeps a retry's time in whole
// seconds and may run it up to a second early, so "at the expiry" is the
// first whole second at or after it: an early run would be one more call
// and one more retry spent, until none is left and the task is archived
// instead of expired.
func (p RetryPolicy) Delay(n int, err error, t *asynq.Task) time.Duration {
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
	d = half + rand.N(half+1)
	if t == nil {
		return d
	}
	if exp := payloadExpiry(t.Payload()); !exp.IsZero() {
		now := time.Now
		if p.Now != nil {
			now = p.Now
		}
		t0 := now()
		if left := exp.Sub(t0); d >= left {
			if left > 2*time.Second {
				return left - time.Second
			}
			at := exp.Truncate(time.Second)
			if at.Before(exp) {
				at = at.Add(time.Second)
			}
			d = max(at.Sub(t0), 0)
		}
	}
	return d
}

// payloadExpiry reads a send, voice or batch payload's expires_at without
// decoding the rest.
func payloadExpiry(payload []byte) time.Time {
	var p struct {
		ExpiresAt time.Time `json:"expires_at"`
	}
	if !bytes.Contains(payload, []byte(`"expires_at"`)) || json.Unmarshal(payload, &p) != nil {
		return time.Time{}
	}
	return p.ExpiresAt
}

// IsFailure implements asynq's Config.IsFailure: being rate limited is not a failure.
func IsFailure(err error) bool {
	var rl *RateLimitedError
	return !errors.As(err, &rl)
}
