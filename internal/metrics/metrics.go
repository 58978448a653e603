// Package metrics holds smsq's Prometheus metrics: queue sizes read from
// asynq at scrape time, and counters of what the worker and the webhook
// receiver did. Every name starts with smsq_.
//
// The counters that alerts watch exist at 0 from the start for their known
// label values (see labels.go): a labelled counter that appeared only at
// its first increment would hide that increment from increase() and rate(),
// so an alert would miss the first archived task after every pod start.
package metrics

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/smsq/smsq/smsmode"
)

// Metrics are the worker's own counters and histograms.
type Metrics struct {
	ProviderRequests *prometheus.CounterVec   // endpoint, code
	ProviderLatency  *prometheus.HistogramVec // endpoint
	MessagesSent     *prometheus.CounterVec   // type, encoding
	SegmentsSent     *prometheus.CounterVec   // encoding
	Retries          *prometheus.CounterVec   // type
	Archived         *prometheus.CounterVec   // type, code
	RateLimitWaits   prometheus.Counter
	Callbacks        *prometheus.CounterVec // kind, outcome
	EventsForwarded  *prometheus.CounterVec // type, outcome
	Credit           prometheus.Gauge
	CreditUpdated    prometheus.Gauge
	DLR              *DLR // delivery-report polling and statuses by source (dlr.go)

	// Expired counts send tasks dropped unsent because their expires_at
	// had passed, by task type.
	Expired *prometheus.CounterVec // type
	// Deferrals counts marketing messages handed to the provider with a
	// later date_envoi because their send time fell outside
	// MARKETING_HOURS, by task type.
	Deferrals *prometheus.CounterVec // type
	// DestinationsRefused counts recipients the fraud guard refused, by
	// destination country (ISO code) and reason (ReasonCountryNotAllowed,
	// ReasonDailyCap).
	DestinationsRefused *prometheus.CounterVec // country, reason
}

// Reasons of smsq_destinations_refused_total.
const (
	ReasonCountryNotAllowed = "country_not_allowed" // not in ALLOWED_COUNTRIES
	ReasonDailyCap          = "daily_cap"           // DAILY_COUNTRY_CAP reached for the day
)

// Option configures New.
type Option func(*options)

type options struct {
	allowed []string
	caps    map[string]int
}

// WithDestinations tells New the fraud guard's settings, so that
// smsq_destinations_refused_total{reason="daily_cap"} exists at 0 for
// every country a daily cap applies to: the regions of caps
// (DAILY_COUNTRY_CAP) and, when caps has "*", every region of allowed
// (ALLOWED_COUNTRIES; empty means any). Series of reason
// country_not_allowed are not created in advance: they are the countries
// outside the list, an open set; alert on them with an expression that
// also fires for a series born at 1.
func WithDestinations(allowed []string, caps map[string]int) Option {
	return func(o *options) { o.allowed, o.caps = allowed, caps }
}

// New registers the metrics in reg and creates the known series at 0.
func New(reg prometheus.Registerer, opts ...Option) *Metrics {
	var o options
	for _, f := range opts {
		f(&o)
	}
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
			Help: "Tasks archived (not retried any more), by task type and code: the provider's return code, or invalid_payload, invalid_request, outcome_unknown, retries_exhausted, http_NNN, protocol_error, transport_error.",
		}, []string{"type", "code"}),
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
		Expired: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsq_tasks_expired_total",
			Help: "Send tasks dropped unsent because their expires_at had passed, by task type.",
		}, []string{"type"}),
		Deferrals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsq_marketing_deferrals_total",
			Help: "Marketing messages scheduled for the next opening of MARKETING_HOURS instead of being sent at once, by task type.",
		}, []string{"type"}),
		DestinationsRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsq_destinations_refused_total",
			Help: "Recipients refused by the fraud guard, by destination country and reason (country_not_allowed, daily_cap).",
		}, []string{"country", "reason"}),
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
	m.createKnownSeries(o)
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
