package metrics_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/metrics"
)

// scrape returns what Prometheus reads from a fresh registry.
func scrape(t *testing.T, opts ...metrics.Option) string {
	t.Helper()
	reg := prometheus.NewRegistry()
	metrics.New(reg, opts...)
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

// The counters that alerts watch exist at 0 before anything happened, so
// increase() sees the first event after a pod start.
func TestKnownSeriesExistAtZero(t *testing.T) {
	t.Parallel()
	out := scrape(t, metrics.WithDestinations([]string{"FR", "BE"}, map[string]int{"FR": 50000, "CH": 10, "*": 100}))
	var want []string
	for _, typ := range []string{"sms:send", "sms:voice", "sms:batch"} {
		for _, code := range []string{"31", "32", "33", "35", "50", "invalid_request", "protocol_error", "transport_error", "invalid_payload", "outcome_unknown", "retries_exhausted"} {
			want = append(want, fmt.Sprintf(`smsq_tasks_archived_total{code=%q,type=%q} 0`, code, typ))
		}
		want = append(want,
			fmt.Sprintf(`smsq_tasks_expired_total{type=%q} 0`, typ),
			fmt.Sprintf(`smsq_marketing_deferrals_total{type=%q} 0`, typ))
	}
	for _, typ := range []string{"sms:delivery", "sms:reply"} {
		want = append(want,
			fmt.Sprintf(`smsq_tasks_archived_total{code="invalid_payload",type=%q} 0`, typ),
			fmt.Sprintf(`smsq_tasks_archived_total{code="retries_exhausted",type=%q} 0`, typ),
			fmt.Sprintf(`smsq_events_forwarded_total{outcome="ok",type=%q} 0`, typ),
			fmt.Sprintf(`smsq_events_forwarded_total{outcome="error",type=%q} 0`, typ))
	}
	for _, typ := range []string{"sms:send", "sms:voice", "sms:batch", "sms:delivery", "sms:reply"} {
		want = append(want, fmt.Sprintf(`smsq_task_retries_total{type=%q} 0`, typ))
	}
	for _, kind := range []string{"delivery", "reply"} {
		for _, outcome := range []string{"stored", "duplicate", "invalid", "not_found", "method_not_allowed", "too_large", "unavailable"} {
			want = append(want, fmt.Sprintf(`smsq_callbacks_received_total{kind=%q,outcome=%q} 0`, kind, outcome))
		}
	}
	for _, code := range []string{"0", "31", "32", "33", "35", "50", "transport_error"} {
		want = append(want, fmt.Sprintf(`smsq_provider_requests_total{code=%q,endpoint="sendSMS.do"} 0`, code))
	}
	// Capped: FR and CH by name, BE through "*" (allowed).
	for _, c := range []string{"BE", "CH", "FR"} {
		want = append(want, fmt.Sprintf(`smsq_destinations_refused_total{country=%q,reason="daily_cap"} 0`, c))
	}
	for _, line := range want {
		require.Contains(t, out, line+"\n")
	}
	require.NotContains(t, out, `reason="country_not_allowed"`, "an open set: not created in advance")
}

// Without a list of countries, no country is invented.
func TestDestinationSeriesNeedKnownCountries(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		opts    []metrics.Option
		present []string
	}{
		{name: "no option"},
		{name: "any country, cap for all", opts: []metrics.Option{metrics.WithDestinations(nil, map[string]int{"*": 100})}},
		{name: "list without cap", opts: []metrics.Option{metrics.WithDestinations([]string{"FR"}, nil)}},
		{name: "any country, one capped", opts: []metrics.Option{metrics.WithDestinations(nil, map[string]int{"fr": 1, "FR": 5})}, present: []string{"FR"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := scrape(t, tc.opts...)
			n := strings.Count(out, "smsq_destinations_refused_total{")
			require.Equal(t, len(tc.present), n, out)
			for _, c := range tc.present {
				require.Contains(t, out, fmt.Sprintf(`smsq_destinations_refused_total{country=%q,reason="daily_cap"} 0`, c))
			}
		})
	}
}
