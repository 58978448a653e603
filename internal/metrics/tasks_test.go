package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/metrics"
	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/tasks/handler"
	"github.com/smsq/smsq/tasks/store"
)

func TestCodeLabel(t *testing.T) {
	t.Parallel()
	for want, err := range map[string]error{
		"0":               nil,
		"33":              &smsmode.Error{Endpoint: "sendSMS.do", Code: 33},
		"http_502":        fmt.Errorf("wrapped: %w", &smsmode.HTTPError{Endpoint: "sendSMS.do", StatusCode: 502}),
		"invalid_request": &smsmode.RequestError{Field: "numero"},
		"protocol_error":  &smsmode.ProtocolError{Endpoint: "sendSMS.do"},
		"transport_error": errors.New("connection reset"),
	} {
		require.Equal(t, want, metrics.CodeLabel(err))
	}
}

// run passes err through the middleware as the handler's outcome.
func run(t *testing.T, m *metrics.Metrics, err error) {
	h := metrics.TaskOutcomes(m)(asynq.HandlerFunc(func(context.Context, *asynq.Task) error { return err }))
	require.ErrorIs(t, h.ProcessTask(context.Background(), asynq.NewTask(tasks.TypeSend, nil)), err)
}

func TestTaskOutcomes(t *testing.T) {
	t.Parallel()
	m := metrics.New(prometheus.NewRegistry())
	run(t, m, nil)
	run(t, m, &handler.RateLimitedError{})
	run(t, m, &smsmode.Error{Code: 50})
	run(t, m, fmt.Errorf("%w: %w", &smsmode.Error{Code: 32}, asynq.SkipRetry))
	run(t, m, handler.Archive(fmt.Errorf("%w: not JSON", handler.ErrInvalidPayload)))

	require.Equal(t, 1.0, testutil.ToFloat64(m.Retries.WithLabelValues(tasks.TypeSend)), "code 50 retries; rate limiting is not a failure")
	require.Equal(t, 1.0, testutil.ToFloat64(m.Archived.WithLabelValues(tasks.TypeSend, "32")))
	require.Equal(t, 1.0, testutil.ToFloat64(m.Archived.WithLabelValues(tasks.TypeSend, "invalid_payload")))
}

func TestObserver(t *testing.T) {
	t.Parallel()
	m := metrics.New(prometheus.NewRegistry())
	o := metrics.Observer{Metrics: m}
	o.Accepted(&store.Acceptance{Type: tasks.TypeSend, Encoding: "unicode", Segments: 3})
	o.RateLimitWait()
	require.Equal(t, 1.0, testutil.ToFloat64(m.MessagesSent.WithLabelValues(tasks.TypeSend, "unicode")))
	require.Equal(t, 3.0, testutil.ToFloat64(m.SegmentsSent.WithLabelValues("unicode")))
	require.Equal(t, 1.0, testutil.ToFloat64(m.RateLimitWaits))
}
