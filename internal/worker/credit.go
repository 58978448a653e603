package worker

import (
	"context"
	"log/slog"
	"time"

	"github.com/smsq/smsq/internal/metrics"
)

// creditRefresher keeps the credit gauge fresh (credit.do, never per scrape).
type creditRefresher struct {
	m        *metrics.Metrics
	provider metrics.CreditReader
	interval time.Duration
	log      *slog.Logger
	cancel   context.CancelFunc
	done     chan struct{}
}

func newCreditRefresher(m *metrics.Metrics, p metrics.CreditReader, interval time.Duration, log *slog.Logger) *creditRefresher {
	return &creditRefresher{m: m, provider: p, interval: interval, log: log}
}

func (c *creditRefresher) String() string { return "credit refresher" }

func (c *creditRefresher) start() error {
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel, c.done = cancel, make(chan struct{})
	go func() {
		defer close(c.done)
		metrics.RefreshCredit(ctx, c.m, c.provider, c.interval, c.log)
	}()
	return nil
}

func (c *creditRefresher) shutdown() {
	c.cancel()
	<-c.done
}
