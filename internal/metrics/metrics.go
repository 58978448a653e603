// Package metrics holds smsq's Prometheus metrics: queue sizes read from
// asynq at scrape time, and counters of what the worker and the webhook
// receiver did. Every name starts with smsq_.
package metrics

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/smsq/smsq/smsmode"
)

// Metrics are the worker's own counters and histograms.
type Metrics struct {
	ProviderRequests    *prometheus.CounterVec   // endpoint, code
	ProviderLatency     *prometheus.HistogramVec // endpoint
	MessagesSent        *prometheus.CounterVec   // type, encoding
	SegmentsSent        *prometheus.CounterVec   // encoding
	Retries             *prometheus.CounterVec   // type
	Archived            *prometheus.CounterVec   // type, code
	Expired             *prometheus.CounterVec   // type
	Deferrals           *prometheus.CounterVec   // type
	DestinationsRefused *prometheus.CounterVec   // country, reason
	RateLimitWaits      prometheus.Counter
	Callbacks           *prometheus.CounterVec // kind, outcome
	EventsForwarded     *prometheus.CounterVec // type, outcome
	Credit              prometheus.Gauge
	CreditUpdated       prometheus.Gauge
	DLR                 *DLR // delivery-report polling and statuses by source (dlr.go)
}

// New registers the metrics in reg.
func New(reg prometheus.Registerer) *Metrics {
	f := func(c prometheus.Collector) { reg.MustRegister(c) }
	m := &Metrics{
		ProviderRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsq_provider_requests_total",
			Help: "sMsmode API requests by endpoint and outcome: the return code, http_NNN, or transport_error.",
		}, []string{"endpoint", "code"}),
		ProviderLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "smsq_provider_request_duration_seconds",
			Help:    "Duration of sMsmode API requests.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 15},
		}, []string{"endpoint"}),
		MessagesSent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsq_messages_sent_total",
			Help: "Messages accepted by sMsmode, by task type and encoding.",
		}, []string{"type", "encoding"}),
		SegmentsSent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsq_segments_sent_total",
			Help: "SMS segments accepted by sMsmode (per message, not per recipient), by encoding.",
		}, []string{"encoding"}),
		Retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsq_task_retries_total",
			Help: "Task runs that failed and will be retried, by task type.",
		}, []string{"type"}),
		Archived: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsq_tasks_archived_total",
			Help: "Tasks archived (not retried any more), by task type and provider code (or invalid_payload, retries_exhausted).",
		}, []string{"type", "code"}),
		Expired: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsq_tasks_expired_total",
			Help: "Tasks that ended without a send because their expires_at came first, by task type.",
		}, []string{"type"}),
		Deferrals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsq_marketing_deferrals_total",
			Help: "Marketing messages handed over with date_envoi at the next opening of MARKETING_HOURS, by task type.",
		}, []string{"type"}),
		DestinationsRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsq_destinations_refused_total",
			Help: "Sends refused by the worker's fraud guard, by destination region and reason (country_not_allowed, daily_cap).",
		}, []string{"country", "reason"}),
		RateLimitWaits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "smsq_rate_limit_waits_total",
			Help: "Times a send waited for the shared SMSMODE_RATE budget.",
		}),
		Callbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsq_callbacks_received_total",
			Help: "sMsmode callbacks received, by kind (delivery, reply) and outcome (stored, duplicate, invalid, unavailable, ...).",
		}, []string{"kind", "outcome"}),
		EventsForwarded: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsq_events_forwarded_total",
			Help: "Events POSTed to EVENTS_FORWARD_URL, by type and outcome (ok, error).",
		}, []string{"type", "outcome"}),
		Credit: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "smsq_provider_credit",
			Help: "sMsmode account credit (credit.do), refreshed in the background; negative for post-paid accounts.",
		}),
		CreditUpdated: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "smsq_provider_credit_updated_timestamp_seconds",
			Help: "When smsq_provider_credit was last read successfully.",
		}),
	}
	f(m.ProviderRequests)
	f(m.ProviderLatency)
	f(m.MessagesSent)
	f(m.SegmentsSent)
	f(m.Retries)
	f(m.Archived)
	f(m.Expired)
	f(m.Deferrals)
	f(m.DestinationsRefused)
	f(m.RateLimitWaits)
	f(m.Callbacks)
	f(m.EventsForwarded)
	f(m.Credit)
	f(m.CreditUpdated)
	m.DLR = newDLR(f)
	return m
}

// CodeLabel turns a provider call's error into a low-cardinality label.
func CodeLabel(err error) string {
	if err == nil {
		return "0"
	}
	var pe *smsmode.Error
	if errors.As(err, &pe) {
		return pe.Code.String()
	}
	var he *smsmode.HTTPError
	if errors.As(err, &he) {
		return "http_" + itoa(he.StatusCode)
	}
	var re *smsmode.RequestError
	if errors.As(err, &re) {
		return "invalid_request"
	}
	var pr *smsmode.ProtocolError
	if errors.As(err, &pr) {
		return "protocol_error"
	}
	return "transport_error"
}

func itoa(n int) string {
	if n < 0 || n > 999 {
		return "other"
	}
	return string(rune('0'+n/100)) + string(rune('0'+n/10%10)) + string(rune('0'+n%10))
}
