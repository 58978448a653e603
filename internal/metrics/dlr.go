package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/tasks/handler"
	"github.com/smsq/smsq/webhook"
)

// DLR are the delivery-report metrics: polling compteRendu.do, and the
// statuses found by each source.
type DLR struct {
	Polls    *prometheus.CounterVec // outcome (handler.PollerConfig.Observe)
	Statuses *prometheus.CounterVec // source: callback, poll
	Waiting  prometheus.Gauge
}

// Sources of smsq_delivery_statuses_total.
const (
	SourceCallback = "callback"
	SourcePoll     = "poll"
)

func newDLR(register func(prometheus.Collector)) *DLR {
	d := &DLR{
		Polls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsq_dlr_polls_total",
			Help: "Messages handled by the delivery-report poller, by outcome: ok, error, not_found (requests to compteRendu.do); final (all recipients final already, no request), deferred (not polled in time, polled later), expired (DLR_POLL_UNTIL passed).",
		}, []string{"outcome"}),
		Statuses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "smsq_delivery_statuses_total",
			Help: "New delivery statuses stored as sms:delivery tasks, by source: callback (the webhook) or poll (compteRendu.do). A status found by both counts once, under the first.",
		}, []string{"source"}),
		Waiting: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "smsq_dlr_polls_waiting",
			Help: "Messages due for a delivery-report poll that the last sweep left for later (the polling rate bound); a value that keeps growing means polling cannot keep up.",
		}),
	}
	// Every series exists from the start, at zero.
	for _, o := range []string{handler.PollOK, handler.PollError, handler.PollNotFound, handler.PollFinal, handler.PollDeferred, handler.PollExpired} {
		d.Polls.WithLabelValues(o)
	}
	d.Statuses.WithLabelValues(SourceCallback)
	d.Statuses.WithLabelValues(SourcePoll)
	register(d.Polls)
	register(d.Statuses)
	register(d.Waiting)
	return d
}

// ObservePoll counts one message a sweep handled; it is
// handler.PollerConfig.Observe.
func (d *DLR) ObservePoll(outcome string, newStatuses int) {
	d.Polls.WithLabelValues(outcome).Inc()
	if newStatuses > 0 {
		d.Statuses.WithLabelValues(SourcePoll).Add(float64(newStatuses))
	}
}

// ObserveCallback counts a delivery-report callback the webhook stored as a
// new sms:delivery task (outcome "stored"; a "duplicate" is a status known
// already, from an earlier callback or a poll). It takes the webhook's
// Observe arguments.
func (d *DLR) ObserveCallback(kind, outcome string) {
	if kind == webhook.KindDelivery && outcome == "stored" {
		d.Statuses.WithLabelValues(SourceCallback).Inc()
	}
}

// Reporter counts and times the poller's compteRendu.do requests in
// smsq_provider_requests_total and smsq_provider_request_duration_seconds.
type Reporter struct {
	Next    handler.Reporter
	Metrics *Metrics
}

var _ handler.Reporter = Reporter{}

// DeliveryReport implements handler.Reporter.
func (r Reporter) DeliveryReport(ctx context.Context, smsID string) ([]smsmode.RecipientStatus, error) {
	start := time.Now()
	res, err := r.Next.DeliveryReport(ctx, smsID)
	Provider{Metrics: r.Metrics}.observe("compteRendu.do", start, err)
	return res, err
}
