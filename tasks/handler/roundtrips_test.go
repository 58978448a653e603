package handler_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/metrics"
	"github.com/smsq/smsq/internal/worker"
	"github.com/smsq/smsq/tasks"
)

// tripHook counts a client's round trips but those that open a connection
// (HELLO, CLIENT SETINFO): a pool's start-up is not the send path's.
type tripHook struct{ trips atomic.Int64 }

func (h *tripHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *tripHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		// A script run is EVALSHA, then EVAL the first time only (NOSCRIPT).
		if !connSetup(cmd) && (err == nil || !strings.HasPrefix(err.Error(), "NOSCRIPT")) {
			h.trips.Add(1)
		}
		return err
	}
}

func (h *tripHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if len(cmds) > 0 && !connSetup(cmds[0]) {
			h.trips.Add(1)
		}
		return next(ctx, cmds)
	}
}

func connSetup(cmd redis.Cmder) bool { return cmd.Name() == "hello" || cmd.Name() == "client" }

// The send path's own Redis round trips per accepted send — beyond asynq's
// dequeue and completion — are the ledger's Begin before the call and one
// script after it that records the acceptance and writes the task's result
// together; the shared rate limit adds one when SMSMODE_RATE is set.
// Nothing else (metrics are in process).
func TestRoundTripsPerAcceptedSend(t *testing.T) {
	for _, tc := range []struct {
		name string
		rate float64
		want int64
	}{
		{"no rate limit", 0, 2},
		{"SMSMODE_RATE, budget to spare", 1e6, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := setup(t)
			b.cfg.Rate = tc.rate
			hook := &tripHook{}
			opts := b.rdb.Options()
			smsq := redis.NewClient(&redis.Options{Network: opts.Network, Addr: opts.Addr, Dialer: func(ctx context.Context, network, addr string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			}})
			t.Cleanup(func() { smsq.Close() })
			smsq.AddHook(hook)
			// asynq on its own client; the handlers' storage on the counted one.
			stack, err := worker.NewTaskStack(b.cfg, smsq, b.fake.Client(), metrics.New(prometheus.NewRegistry()), slog.New(slog.NewTextHandler(io.Discard, nil)))
			require.NoError(t, err)
			stack.Config.TaskCheckInterval = 10 * time.Millisecond
			stack.Config.LogLevel = asynq.FatalLevel
			srv := asynq.NewServerFromRedisClient(b.rdb, stack.Config)
			require.NoError(t, srv.Start(stack.Mux))
			t.Cleanup(srv.Shutdown)

			const n = 20
			for i := range n {
				_, err := b.enqueuer.Send(context.Background(), tasks.SendPayload{To: []string{"0612345678"}, Message: fmt.Sprintf("m%d", i)}, tasks.WithTaskID(fmt.Sprintf("rt-%d", i)))
				require.NoError(t, err)
			}
			for i := range n {
				st := b.waitState(t, fmt.Sprintf("rt-%d", i), tasks.StateCompleted)
				require.NotEmpty(t, st.Result.SMSID, "the result was written by the record script")
			}
			// Rounded: the hook counts a call once it has returned, so the
			// last sends' record may not be counted yet when the test sees
			// them completed.
			perSend := (hook.trips.Load() + n/2) / n
			t.Logf("FIGURE round trips per accepted send (%s): %d", tc.name, perSend)
			require.Equal(t, tc.want, perSend)
		})
	}
}
