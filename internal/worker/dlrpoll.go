package worker

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smsq/smsq/internal/config"
	"github.com/smsq/smsq/internal/metrics"
	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/tasks/handler"
	"github.com/smsq/smsq/tasks/store"
)

// DLRSweepInterval is how often each task pod claims the messages due for a
// delivery-report poll. A sweep with nothing due is one Lua call; the
// polling rate bound (handler.DefaultPollRate, every pod together) is per
// second, so sweeping more often would not poll more.
const DLRSweepInterval = time.Second

// dlrPoller runs the delivery-report poller of a task pod (DLR_POLL_AFTER,
// DLR_POLL_UNTIL). With polling off (DLR_POLL_AFTER=0) it empties the
// index instead, which the send handlers keep filling: nobody would poll it.
type dlrPoller struct {
	cfg      *config.Config
	rdb      redis.UniversalClient
	provider handler.Reporter
	m        *metrics.Metrics
	log      *slog.Logger
	interval time.Duration

	cancel context.CancelFunc
	done   chan struct{}
}

func newDLRPoller(cfg *config.Config, rdb redis.UniversalClient, provider handler.Reporter, m *metrics.Metrics, log *slog.Logger) *dlrPoller {
	return &dlrPoller{cfg: cfg, rdb: rdb, provider: provider, m: m, log: log, interval: DLRSweepInterval}
}

func (d *dlrPoller) String() string { return "delivery-report poller" }

func (d *dlrPoller) start() error {
	polls, err := store.NewDeliveryPolls(d.rdb)
	if err != nil {
		return err
	}
	sweep := func(ctx context.Context) (handler.SweepResult, error) {
		return handler.SweepResult{}, polls.Clear(ctx)
	}
	if d.cfg.DLRPollAfter > 0 {
		enq, err := tasks.NewEnqueuer(d.rdb, d.cfg.TaskOptions())
		if err != nil {
			return err
		}
		pc := handler.PollerConfig{
			Provider: metrics.Reporter{Next: d.provider, Metrics: d.m},
			Polls:    polls,
			Events:   enq,
			After:    d.cfg.DLRPollAfter,
			Until:    d.cfg.DLRPollUntil,
			Observe:  d.m.DLR.ObservePoll,
		}
		if d.cfg.Rate > 0 {
			pc.Wait = limiterWait(handler.NewRedisLimiter(d.rdb, d.cfg.Rate))
		}
		p, err := handler.NewPoller(pc)
		if err != nil {
			return fmt.Errorf("config: DLR_POLL_AFTER/DLR_POLL_UNTIL: %w", err)
		}
		sweep = p.Sweep
	}
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel, d.done = cancel, make(chan struct{})
	go d.run(ctx, sweep)
	return nil
}

func (d *dlrPoller) run(ctx context.Context, sweep func(context.Context) (handler.SweepResult, error)) {
	defer close(d.done)
	t := time.NewTicker(d.interval)
	defer t.Stop()
	var lastLog time.Time
	for {
		res, err := sweep(ctx)
		if ctx.Err() != nil {
			return
		}
		d.m.DLR.Waiting.Set(float64(res.Waiting))
		// A provider or Redis outage fails every sweep: one line a minute.
		if (err != nil || res.Err != nil) && time.Since(lastLog) >= time.Minute {
			lastLog = time.Now()
			if err != nil {
				d.log.Warn("delivery-report sweep failed", slog.String("error", err.Error()))
			} else {
				d.log.Warn("delivery-report polls failed", slog.Int("failed", res.Errors), slog.Int("claimed", res.Claimed), slog.String("error", res.Err.Error()))
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// shutdown stops sweeping; a sweep in progress is cancelled, and its
// claimed messages are polled at their next time.
func (d *dlrPoller) shutdown() {
	d.cancel()
	<-d.done
}

// limiterWait adapts the shared SMSMODE_RATE limiter to the poller's Wait:
// it returns once a request may be made. Polls are never urgent: they take
// the normal priority, so they never eat into the critical reserve.
func limiterWait(l handler.Limiter) func(context.Context) error {
	return func(ctx context.Context) error {
		for {
			r, err := l.Reserve(ctx, handler.PriorityNormal)
			if err != nil || (r.Booked && r.Delay <= 0) {
				return err
			}
			t := time.NewTimer(r.Delay)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
			if r.Booked {
				return nil
			}
		}
	}
}
