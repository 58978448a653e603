package metrics

import (
	"context"
	"errors"

	"github.com/hibiken/asynq"

	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/tasks/handler"
	"github.com/smsq/smsq/tasks/store"
)

// Observer implements handler.Observer.
type Observer struct{ Metrics *Metrics }

var _ handler.Observer = Observer{}

// Accepted counts a message and its segments.
func (o Observer) Accepted(a *store.Acceptance) {
	o.Metrics.MessagesSent.WithLabelValues(a.Type, a.Encoding).Inc()
	o.Metrics.SegmentsSent.WithLabelValues(a.Encoding).Add(float64(a.Segments))
}

// RateLimitWait counts a wait for the shared budget.
func (o Observer) RateLimitWait() { o.Metrics.RateLimitWaits.Inc() }

// Deferred counts a marketing send moved to the window's next opening.
func (o Observer) Deferred(typ string) { o.Metrics.Deferrals.WithLabelValues(typ).Inc() }

// DestinationRefused counts a send the fraud guard refused.
func (o Observer) DestinationRefused(region, reason string) {
	o.Metrics.DestinationsRefused.WithLabelValues(region, reason).Inc()
}

// TaskOutcomes is an asynq middleware counting retries and archivals, as
// handler.Classify decides them.
func TaskOutcomes(m *Metrics) asynq.MiddlewareFunc {
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			err := next.ProcessTask(ctx, t)
			switch handler.Classify(ctx, err) {
			case handler.Retried:
				m.Retries.WithLabelValues(t.Type()).Inc()
			case handler.Archived:
				m.Archived.WithLabelValues(t.Type(), archiveCode(err)).Inc()
			case handler.Expired:
				m.Expired.WithLabelValues(t.Type()).Inc()
			}
			return err
		})
	}
}

// archiveCode is the code label of an archived task: the provider's code,
// or invalid_payload, outcome_unknown, retries_exhausted.
func archiveCode(err error) string {
	var ve *tasks.ValidationError
	switch {
	case errors.Is(err, handler.ErrInvalidPayload), errors.As(err, &ve):
		return codeInvalidPayload
	case !handler.IsArchived(err):
		return codeRetriesExhausted // asynq archived it: its retries ran out
	case errors.Is(err, handler.ErrOutcomeUnknown):
		return codeOutcomeUnknown
	}
	return CodeLabel(err)
}
