// Package loadgen drives a call from parallel clients and summarises the
// latencies of its calls: the load generator shared by the webhook package's
// Go benchmarks and the end-to-end benchmarks (internal/bench), so that both
// measure a rate and a p99 the same way.
package loadgen

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Result is what Run measured.
type Result struct {
	// Done is how many calls succeeded.
	Done int
	// Elapsed is the wall time from the first client started to the last
	// one returned.
	Elapsed time.Duration
	// Latencies holds the duration of every successful call, sorted
	// (shortest first), for Quantile.
	Latencies []time.Duration
}

// Rate is the number of successful calls per second of Elapsed.
func (r Result) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Done) / r.Elapsed.Seconds()
}

// Run calls body(i) once for every i in [0, n) from clients goroutines,
// each taking the next index as soon as its previous call returns (a closed
// loop: the offered load is what the system under test absorbs). The first
// error of body stops every client and is returned; so is the end of ctx
// before the n calls are done. Run does not hand ctx to body: a body that
// can block watches its own context. The Result covers the calls that
// succeeded, also when Run returns an error.
func Run(ctx context.Context, n, clients int, body func(i int) error) (Result, error) {
	if clients < 1 {
		return Result{}, fmt.Errorf("loadgen: %d clients, want at least 1", clients)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next    atomic.Int64
		wg      sync.WaitGroup
		mu      sync.Mutex
		all     = make([]time.Duration, 0, max(n, 0))
		errOnce sync.Once
		first   error
	)
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each client keeps its own latencies: no lock per call.
			local := make([]time.Duration, 0, max(n, 0)/clients+1)
			defer func() {
				mu.Lock()
				all = append(all, local...)
				mu.Unlock()
			}()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				if err := body(i); err != nil {
					errOnce.Do(func() { first = err; cancel() })
					return
				}
				local = append(local, time.Since(t0))
			}
		}()
	}
	wg.Wait()
	res := Result{Done: len(all), Elapsed: time.Since(start), Latencies: all}
	slices.Sort(res.Latencies)
	if first == nil && res.Done < n {
		first = fmt.Errorf("loadgen: %d of %d calls done: %w", res.Done, n, context.Cause(ctx))
	}
	return res, first
}

// Quantile returns the q-quantile (0 ≤ q ≤ 1) of sorted latencies: the
// element at index ⌊len·q⌋, the last one for q = 1, and 0 when there is
// none.
func Quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[max(0, min(len(sorted)-1, int(float64(len(sorted))*q)))]
}
