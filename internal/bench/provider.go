package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/smsq/smsq/smsmode/smsmodetest"
	"github.com/smsq/smsq/tasks"
)

// --- 2. provider-bound ---------------------------------------------------

// providerBound drains sends through the production stack against a fake
// that answers after 50 ms: with enough concurrency the provider's latency,
// not smsq, sets the rate.
func (e *env) providerBound(ctx context.Context) (Row, error) {
	const (
		concurrency = 100
		latency     = 50 * time.Millisecond
	)
	n := e.n(10_000, 500)
	fake := newFake(smsmodetest.WithLatency(latency))
	defer fake.Close()
	stack, err := e.smsqStack(fake.URL, concurrency)
	if err != nil {
		return Row{}, err
	}
	if err := e.flush(ctx); err != nil {
		return Row{}, err
	}
	if _, err := e.enqueueSends(ctx, n, "pb", tasks.QueueDefault); err != nil {
		return Row{}, err
	}
	d, err := e.drain(ctx, stack.Config, stack.Mux, n, 5*time.Minute, e.opts.ProviderCPUProfile, "")
	if err != nil {
		return Row{}, err
	}
	ideal := float64(concurrency) / latency.Seconds()
	got := rate(n, d)
	return Row{
		Scenario:  "2. provider-bound",
		Workload:  fmt.Sprintf("%s sends, concurrency %d, fake answering after %s", num(float64(n)), concurrency, latency),
		Smsq:      fmt.Sprintf("%s tasks/s", num(got)),
		Reference: fmt.Sprintf("ideal %s/s (concurrency ÷ latency)", num(ideal)),
		Ratio:     fmt.Sprintf("%.2f", got/ideal),
		Target:    "≥ 0.9 × ideal",
		Verdict:   verdict(got/ideal >= 0.9),
	}, nil
}
