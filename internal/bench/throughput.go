package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/smsq/smsq/tasks"
)

// --- 1. throughput -----------------------------------------------------

// throughput drains n pre-enqueued sends at concurrency 50 through the
// production stack and through a bare asynq handler, alternating, rounds times.
func (e *env) throughput(ctx context.Context) (Row, error) {
	const concurrency = 50
	n := e.n(20_000, 500)
	fake := newFake()
	defer fake.Close()
	stack, err := e.smsqStack(fake.URL, concurrency)
	if err != nil {
		return Row{}, err
	}
	bare, closeBare := bareHandler(fake.URL)
	defer closeBare()
	// The bare server gets the same asynq settings (concurrency, queues,
	// polling): only the handler differs.
	bareCfg := stack.Config

	var smsqRates, bareRates []float64
	profiled, bareProfiled := false, false
	for r := range e.opts.Rounds {
		order := []string{"bare", "smsq"}
		if r%2 == 1 {
			order = []string{"smsq", "bare"}
		}
		for _, which := range order {
			if err := e.flush(ctx); err != nil {
				return Row{}, err
			}
			if _, err := e.enqueueSends(ctx, n, "tp", tasks.QueueDefault); err != nil {
				return Row{}, err
			}
			before := fake.RequestCount("sendSMS.do")
			var d time.Duration
			if which == "bare" {
				profile := ""
				if !bareProfiled {
					profile, bareProfiled = e.opts.BareCPUProfile, true
				}
				d, err = e.drain(ctx, bareCfg, bare, n, 5*time.Minute, profile, "")
			} else {
				profile, mem := "", ""
				if !profiled {
					profile, mem, profiled = e.opts.CPUProfile, e.opts.MemProfile, true
				}
				d, err = e.drain(ctx, stack.Config, stack.Mux, n, 5*time.Minute, profile, mem)
			}
			if err != nil {
				return Row{}, fmt.Errorf("%s: %w", which, err)
			}
			if got := fake.RequestCount("sendSMS.do") - before; got != n {
				return Row{}, fmt.Errorf("%s: the fake got %d sends for %d tasks", which, got, n)
			}
			e.progress("throughput round %d %s: %s tasks/s", r+1, which, num(rate(n, d)))
			if which == "bare" {
				bareRates = append(bareRates, rate(n, d))
			} else {
				smsqRates = append(smsqRates, rate(n, d))
			}
		}
	}
	s, b := median(smsqRates), median(bareRates)
	return Row{
		Scenario:  "1. throughput",
		Workload:  fmt.Sprintf("%s pre-enqueued sends, concurrency %d, fake at 0 ms; median of %d rounds", num(float64(n)), concurrency, e.opts.Rounds),
		Smsq:      fmt.Sprintf("%s tasks/s (%s)", num(s), spread(smsqRates)),
		Reference: fmt.Sprintf("bare asynq + net/http POST: %s tasks/s (%s)", num(b), spread(bareRates)),
		Ratio:     fmt.Sprintf("%.2f", s/b),
		Target:    "≥ 0.8 × bare",
		Verdict:   verdict(s/b >= 0.8),
	}, nil
}
