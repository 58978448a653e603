package metrics

import (
	"context"
	"errors"
	"strings"

	"github.com/hibiken/asynq"

	"github.com/smsq/smsq/smsmode"
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
	case isOutcomeUnknown(err):
		return codeOutcomeUnknown
	}
	return CodeLabel(err)
}

// isOutcomeUnknown recognises reconcile's archive reason (an ambiguous call
// that smsList.do could not resolve). It carries no provider error, so
// CodeLabel would call it transport_error. handler exports no sentinel for
// it yet, so its wording is matched.
func isOutcomeUnknown(err error) bool {
	var pe *smsmode.Error
	return !errors.As(err, &pe) && strings.Contains(err.Error(), "smsList.do cannot tell whether it was accepted")
}
