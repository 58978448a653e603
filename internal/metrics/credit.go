package metrics

import (
	"context"
	"log/slog"
	"time"
)

// CreditReader reads the account balance (smsmode.Client.Credit).
type CreditReader interface {
	Credit(ctx context.Context) (float64, error)
}

// RefreshCredit updates the credit gauge now and then every interval until
// ctx ends. Scrapes never call the provider: a credit.do per scrape would
// multiply by pods and scrapers.
func RefreshCredit(ctx context.Context, m *Metrics, p CreditReader, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		credit, err := p.Credit(rctx)
		cancel()
		switch {
		case err == nil:
			m.Credit.Set(credit)
			m.CreditUpdated.SetToCurrentTime()
		case ctx.Err() == nil:
			log.Warn("credit.do failed", slog.String("error", err.Error()))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
