package metrics

import (
	"log/slog"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
)

// QueueCollector reads queue sizes and latency from asynq when Prometheus
// scrapes, so the figures are never stale and cost nothing between scrapes.
type QueueCollector struct {
	insp *asynq.Inspector
	log  *slog.Logger

	tasks   *prometheus.Desc
	latency *prometheus.Desc
	paused  *prometheus.Desc
	memory  *prometheus.Desc
	up      *prometheus.Desc
}

// NewQueueCollector collects from insp.
func NewQueueCollector(insp *asynq.Inspector, log *slog.Logger) *QueueCollector {
	return &QueueCollector{
		insp:    insp,
		log:     log,
		tasks:   prometheus.NewDesc("smsq_queue_tasks", "Tasks in each queue by state.", []string{"queue", "state"}, nil),
		latency: prometheus.NewDesc("smsq_queue_latency_seconds", "Age of the oldest pending task of each queue.", []string{"queue"}, nil),
		paused:  prometheus.NewDesc("smsq_queue_paused", "1 when the queue is paused.", []string{"queue"}, nil),
		memory:  prometheus.NewDesc("smsq_queue_memory_bytes", "Redis memory used by each queue (sampled by asynq).", []string{"queue"}, nil),
		up:      prometheus.NewDesc("smsq_queue_metrics_up", "1 when the queues could be read from Redis at this scrape.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *QueueCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.tasks, c.latency, c.paused, c.memory, c.up} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *QueueCollector) Collect(ch chan<- prometheus.Metric) {
	queues, err := c.insp.Queues()
	if err != nil {
		c.log.Warn("queue metrics: redis unreachable", slog.String("error", err.Error()))
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	for _, q := range queues {
		info, err := c.insp.GetQueueInfo(q)
		if err != nil {
			continue // deleted between the two calls
		}
		for state, n := range map[string]int{
			"pending": info.Pending, "active": info.Active, "scheduled": info.Scheduled,
			"retry": info.Retry, "archived": info.Archived, "completed": info.Completed,
		} {
			ch <- prometheus.MustNewConstMetric(c.tasks, prometheus.GaugeValue, float64(n), q, state)
		}
		ch <- prometheus.MustNewConstMetric(c.latency, prometheus.GaugeValue, info.Latency.Seconds(), q)
		paused := 0.0
		if info.Paused {
			paused = 1
		}
		ch <- prometheus.MustNewConstMetric(c.paused, prometheus.GaugeValue, paused, q)
		ch <- prometheus.MustNewConstMetric(c.memory, prometheus.GaugeValue, float64(info.MemoryUsage), q)
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1)
}
