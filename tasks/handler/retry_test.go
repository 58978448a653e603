package handler_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/tasks/handler"
)

// A retry is never put off past a task's expires_at when it could still be
// tried before: one last attempt a second before it.
func TestRetryDelayStopsBeforeExpiry(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	p := handler.RetryPolicy{Base: 5 * time.Second, Max: 10 * time.Minute, Now: func() time.Time { return now }}
	fail := errors.New("code 50")
	plain := asynq.NewTask("sms:send", []byte(`{"to":["33612345678"],"message":"x"}`))
	expiring := asynq.NewTask("sms:send", []byte(`{"to":["33612345678"],"message":"x","expires_at":"2026-12-01T10:00:30Z"}`))
	for n := range 12 {
		d := p.Delay(n, fail, plain)
		require.LessOrEqual(t, d, 10*time.Minute)
		e := p.Delay(n, fail, expiring)
		require.Less(t, e, 30*time.Second, "attempt %d is put off past the expiry", n)
		if min(p.Base<<n, p.Max)/2 >= 30*time.Second { // every draw reaches the expiry
			require.Equal(t, 29*time.Second, e, "the last attempt, a second before the expiry")
		}
	}
	// Less than two seconds left: run at the expiry (ended without a call).
	soon := handler.RetryPolicy{Base: time.Minute, Max: time.Hour, Now: func() time.Time { return now.Add(29 * time.Second) }}
	require.Equal(t, time.Second, soon.Delay(0, fail, expiring))
	// An expiry within a second: asynq runs a retry in its whole second,
	// maybe early, so the run is due at the next whole second, not before
	// the expiry.
	odd := asynq.NewTask("sms:send", []byte(`{"to":["33612345678"],"message":"x","expires_at":"2026-12-01T10:00:30.400Z"}`))
	at := now.Add(29*time.Second + 700*time.Millisecond)
	soonOdd := handler.RetryPolicy{Base: time.Minute, Max: time.Hour, Now: func() time.Time { return at }}
	d := soonOdd.Delay(0, fail, odd)
	require.Equal(t, now.Add(31*time.Second), at.Add(d), "due at 10:00:31, the first whole second after 10:00:30.4")
	// Past the expiry: at once (the worker ends it expired).
	late := handler.RetryPolicy{Base: time.Second, Max: time.Minute, Now: func() time.Time { return now.Add(time.Hour) }}
	require.Zero(t, late.Delay(3, fail, expiring))
}
