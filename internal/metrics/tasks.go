package metrics

import (
	"context"
	"errors"

	"github.com/hibiken/asynq"

	"github.com/smsq/smsq/tasks"
)

// Observer implements tasks.Observer.
type Observer struct{ Metrics *Metrics }

var _ tasks.Observer = Observer{}

// Accepted counts a message and its segments.
func (o Observer) Accepted(a *tasks.Acceptance) {
	o.Metrics.MessagesSent.WithLabelValues(a.Type, a.Encoding).Inc()
	o.Metrics.SegmentsSent.WithLabelValues(a.Encoding).Add(float64(a.Segments))
}

// RateLimitWait counts a wait for the shared budget.
func (o Observer) RateLimitWait() { o.Metrics.RateLimitWaits.Inc() }

// TaskOutcomes is an asynq middleware counting retries and archivals.
func TaskOutcomes(m *Metrics) asynq.MiddlewareFunc {
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			err := next.ProcessTask(ctx, t)
			if err == nil {
				return nil
			}
			var rl *tasks.RateLimitedError
			if errors.As(err, &rl) {
				return err // not a failure
			}
			retried, _ := asynq.GetRetryCount(ctx)
			maxRetry, hasMax := asynq.GetMaxRetry(ctx)
			switch {
			case errors.Is(err, asynq.SkipRetry):
				code := CodeLabel(err)
				var ve *tasks.ValidationError
				if errors.As(err, &ve) {
					code = "invalid_payload"
				}
				m.Archived.WithLabelValues(t.Type(), code).Inc()
			case hasMax && retried >= maxRetry:
				m.Archived.WithLabelValues(t.Type(), "retries_exhausted").Inc()
			default:
				m.Retries.WithLabelValues(t.Type()).Inc()
			}
			return err
		})
	}
}
