package handler

import (
	"context"
	"errors"

	"github.com/hibiken/asynq"

	"github.com/smsq/smsq/tasks/store"
)

// Outcome is what happens to a task after one run of its handler, as the
// logs and the metrics report it.
type Outcome int

// Outcomes.
const (
	Done        Outcome = iota // completed
	RateLimited                // back to the queue for the shared rate budget: not a failure, no retry consumed
	Retried                    // failed; will be retried after a back-off
	Archived                   // failed for good: archived with its reason
	Expired                    // ended without a send: its expires_at came first
	Cancelled                  // ended without a send: it was cancelled
)

// String is the word logs and metrics use.
func (o Outcome) String() string {
	switch o {
	case Done:
		return "done"
	case RateLimited:
		return "rate_limited"
	case Retried:
		return "retry"
	case Expired:
		return "expired"
	case Cancelled:
		return "cancelled"
	}
	return "archived"
}

// endedAs notes, for Classify, that this run ended the task without a
// send (it completes, with a result saying so).
func endedAs(ctx context.Context, state string) {
	l := logInfo(ctx)
	l.mu.Lock()
	l.ended = state
	l.mu.Unlock()
}

// Classify decides the outcome of a run that returned err, in the context
// the handler ran in (asynq's retry count and maximum). It is the one place
// where that decision is made.
func Classify(ctx context.Context, err error) Outcome {
	if err == nil {
		l := logInfo(ctx)
		l.mu.Lock()
		defer l.mu.Unlock()
		switch l.ended {
		case store.StateExpired:
			return Expired
		case store.StateCancelled:
			return Cancelled
		}
		return Done
	}
	var rl *RateLimitedError
	if errors.As(err, &rl) {
		return RateLimited
	}
	if IsArchived(err) {
		return Archived
	}
	// asynq archives a failure once the retries reach the task's maximum.
	retried, _ := asynq.GetRetryCount(ctx)
	if maxRetry, ok := asynq.GetMaxRetry(ctx); ok && retried >= maxRetry {
		return Archived
	}
	return Retried
}
