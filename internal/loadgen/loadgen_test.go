package loadgen_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/loadgen"
)

func TestRunCallsEveryIndexOnce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		n, clients int
	}{
		{"more calls than clients", 1000, 7},
		{"more clients than calls", 3, 50},
		{"one client", 10, 1},
		{"no call", 0, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			calls := make([]atomic.Int32, tc.n)
			res, err := loadgen.Run(context.Background(), tc.n, tc.clients, func(i int) error {
				calls[i].Add(1)
				return nil
			})
			require.NoError(t, err)
			for i := range calls {
				require.Equal(t, int32(1), calls[i].Load(), "calls of index %d", i)
			}
			require.Equal(t, tc.n, res.Done)
			require.Len(t, res.Latencies, tc.n)
			require.True(t, slices.IsSorted(res.Latencies), "latencies sorted")
			require.Positive(t, res.Elapsed)
		})
	}
}

// The clients run at once: the first `clients` calls only return when all
// of them are in flight, which a sequential driver never reaches.
func TestRunDrivesClientsConcurrently(t *testing.T) {
	t.Parallel()
	const clients = 8
	var (
		inFlight atomic.Int32
		peak     atomic.Int32
		all      = make(chan struct{})
		once     sync.Once
	)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := loadgen.Run(ctx, 4*clients, clients, func(int) error {
		now := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if now <= p || peak.CompareAndSwap(p, now) {
				break
			}
		}
		if now == clients {
			once.Do(func() { close(all) })
		}
		select {
		case <-all:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	require.NoError(t, err)
	require.Equal(t, 4*clients, res.Done)
	require.Equal(t, int32(clients), peak.Load(), "never more calls in flight than clients")
}

func TestRunStopsAtTheFirstError(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	var calls atomic.Int32
	res, err := loadgen.Run(context.Background(), 1000, 1, func(i int) error {
		calls.Add(1)
		if i == 10 {
			return boom
		}
		return nil
	})
	require.ErrorIs(t, err, boom)
	require.Equal(t, int32(11), calls.Load(), "one client: nothing runs after the failing call")
	require.Equal(t, 10, res.Done)
	require.Len(t, res.Latencies, 10)
}

func TestRunReportsAnIncompleteRun(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res, err := loadgen.Run(ctx, 100, 2, func(i int) error {
		if i == 4 {
			cancel()
		}
		return nil
	})
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorContains(t, err, "of 100 calls done")
	require.Less(t, res.Done, 100)
	require.GreaterOrEqual(t, res.Done, 5)
}

func TestRunRefusesNoClient(t *testing.T) {
	t.Parallel()
	_, err := loadgen.Run(context.Background(), 10, 0, func(int) error { return nil })
	require.Error(t, err)
}

func TestRate(t *testing.T) {
	t.Parallel()
	require.Equal(t, 500.0, loadgen.Result{Done: 1000, Elapsed: 2 * time.Second}.Rate())
	require.Zero(t, loadgen.Result{Done: 3}.Rate())
}

func TestQuantile(t *testing.T) {
	t.Parallel()
	ms := func(xs ...int) []time.Duration {
		out := make([]time.Duration, len(xs))
		for i, x := range xs {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	for _, tc := range []struct {
		name   string
		sorted []time.Duration
		q      float64
		want   time.Duration
	}{
		{"empty", nil, 0.5, 0},
		{"one", ms(7), 0.99, 7 * time.Millisecond},
		{"median of odd", ms(1, 2, 3), 0.5, 2 * time.Millisecond},
		{"median of even takes the upper middle", ms(1, 2, 3, 4), 0.5, 3 * time.Millisecond},
		{"p99 of 100", ms(hundred...), 0.99, 100 * time.Millisecond},
		{"p50 of 100", ms(hundred...), 0.50, 51 * time.Millisecond},
		{"max", ms(1, 2, 3), 1, 3 * time.Millisecond},
		{"min", ms(1, 2, 3), 0, 1 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, loadgen.Quantile(tc.sorted, tc.q))
		})
	}
}
