package handler_test

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smsq/smsq/internal/config"
	"github.com/smsq/smsq/internal/redistest"
	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/smsmode/smsmodetest"
	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/tasks/handler"
	"github.com/smsq/smsq/tasks/store"
)

// BenchmarkSweep measures one delivery-report sweep with 100,000 accepted
// messages awaiting a report (all due, none final: the worst case), against
// a private redis-server and the fake provider: wall time per sweep, Redis
// commands and round trips per sweep (the claim script, the pipelined
// look-ups, the sms:delivery enqueues of new statuses, the clean-up), and
// the time spent in Redis (summed over the sweep's concurrent calls).
// "idle" is a sweep with nothing due yet; "claim-only" the claim script
// alone, 50 messages at a time.
//
//	go test -run '^$' -bench Sweep -benchtime 200x ./tasks/handler/
func BenchmarkSweep(b *testing.B) {
	// 1,000 for comparison (idle only): a sweep costs the same whatever
	// the backlog.
	for _, awaiting := range []int{1_000, 100_000} {
		b.Run(fmt.Sprintf("awaiting=%d", awaiting), func(b *testing.B) { benchmarkSweep(b, awaiting) })
	}
}

func benchmarkSweep(b *testing.B, awaiting int) {
	env := newSweepBench(b, awaiting)
	for _, tc := range []struct {
		name string
		rate int
		idle bool
	}{
		{"idle", handler.DefaultPollRate, true},
		{fmt.Sprintf("rate=%d", handler.DefaultPollRate), handler.DefaultPollRate, false},
		{"rate=50", 50, false},
	} {
		if !tc.idle && awaiting < 100_000 {
			continue // a small index runs dry: only idle compares
		}
		// One clock across the benchmark's rounds: a round must not start
		// in the second whose quota the previous one spent.
		c := newClock(env.start.Add(time.Hour))
		if tc.idle {
			c.Set(env.start.Add(pollAfter / 2))
		}
		b.Run(tc.name, func(b *testing.B) {
			p, err := handler.NewPoller(handler.PollerConfig{
				Provider: env.fake.Client(), Polls: env.polls, Events: env.enq,
				After: pollAfter, Until: pollUntil, Rate: tc.rate, Now: c.Now,
			})
			if err != nil {
				b.Fatal(err)
			}
			calls0, usec0 := evalStats(b, env.rdb)
			env.hook.reset()
			var polled int
			b.ResetTimer()
			for range b.N {
				res, err := p.Sweep(context.Background())
				if err != nil || res.Err != nil {
					b.Fatal(err, res.Err)
				}
				polled += res.Requests
				if !tc.idle {
					c.Set(c.Now().Add(time.Second)) // the next second's quota
				}
			}
			b.StopTimer()
			cmds, trips, inRedis := env.hook.totals()
			b.ReportMetric(float64(cmds)/float64(b.N), "redis-cmds/sweep")
			b.ReportMetric(float64(trips)/float64(b.N), "round-trips/sweep")
			b.ReportMetric(float64(inRedis.Microseconds())/float64(b.N), "redis-µs/sweep")
			b.ReportMetric(float64(polled)/float64(b.N), "polls/sweep")
			if calls, usec := evalStats(b, env.rdb); tc.idle && calls > calls0 {
				b.ReportMetric(float64(usec-usec0)/float64(calls-calls0), "server-µs/claim")
			}
			fresh, due, err := env.polls.Len(context.Background())
			if err != nil {
				b.Fatal(err)
			}
			if fresh+due != int64(awaiting) {
				b.Fatalf("the index holds %d messages, want %d", fresh+due, awaiting)
			}
		})
	}
	// The claim script alone, last (it moves messages on): what every sweep
	// costs Redis whatever the provider does.
	if awaiting < 100_000 {
		return
	}
	pol := store.PollPolicy{After: pollAfter, Until: pollUntil, MinInterval: time.Minute, MaxInterval: 2 * time.Hour, Grace: time.Minute, Rate: 50}
	at := env.start.Add(2 * time.Hour)
	b.Run("claim-only", func(b *testing.B) {
		calls0, usec0 := evalStats(b, env.rdb)
		env.hook.reset()
		claimed := 0
		b.ResetTimer()
		for range b.N {
			r, err := env.polls.Claim(context.Background(), at, pol, 50)
			if err != nil {
				b.Fatal(err)
			}
			claimed += len(r.Claims)
			at = at.Add(time.Second)
		}
		b.StopTimer()
		b.ReportMetric(float64(claimed)/float64(b.N), "claimed/sweep")
		cmds, trips, inRedis := env.hook.totals()
		b.ReportMetric(float64(cmds)/float64(b.N), "redis-cmds/sweep")
		b.ReportMetric(float64(trips)/float64(b.N), "round-trips/sweep")
		b.ReportMetric(float64(inRedis.Microseconds())/float64(b.N), "redis-µs/sweep")
		// The script's own run time inside redis-server, free of the
		// client's scheduling on a busy machine.
		calls, usec := evalStats(b, env.rdb)
		if calls > calls0 {
			b.ReportMetric(float64(usec-usec0)/float64(calls-calls0), "server-µs/claim")
		}
	})
}

// evalStats returns redis-server's count and total microseconds of EVALSHA
// calls (INFO commandstats).
func evalStats(b *testing.B, rdb *redis.Client) (calls, usec int64) {
	b.Helper()
	info, err := rdb.Info(context.Background(), "commandstats").Result()
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(info, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "cmdstat_evalsha:")
		if !ok {
			continue
		}
		for _, kv := range strings.Split(rest, ",") {
			k, v, _ := strings.Cut(kv, "=")
			n, _ := strconv.ParseInt(v, 10, 64)
			switch k {
			case "calls":
				calls = n
			case "usec":
				usec = n
			}
		}
	}
	return calls, usec
}

type sweepBench struct {
	rdb   *redis.Client
	fake  *smsmodetest.Server
	polls *store.DeliveryPolls
	enq   *tasks.Enqueuer
	hook  *countingHook
	start time.Time
}

// newSweepBench accepts n messages at the fake (batches of 10,000 rows, each
// row a message with its own smsID) and records them in the ledger, which
// indexes them for polling.
func newSweepBench(b *testing.B, n int) *sweepBench {
	b.Helper()
	srv := redistest.Start(b)
	rdb := srv.Client()
	fake := smsmodetest.NewServer(smsmodetest.WithoutRecording(), smsmodetest.WithCredit(float64(2*n)),
		smsmodetest.WithAutoDelivery(smsmode.StatusDeliveredToOperator))
	b.Cleanup(fake.Close)
	ctx := context.Background()
	const chunk = 10_000
	for i := 0; i < n; i += chunk {
		rows := make([]smsmode.BatchRow, min(chunk, n-i))
		for j := range rows {
			rows[j] = smsmode.BatchRow{Number: fmt.Sprintf("336%08d", i+j), Message: "x"}
		}
		if _, err := fake.Client().SendBatch(ctx, &smsmode.Batch{Rows: rows}); err != nil {
			b.Fatal(err)
		}
	}
	ledger, err := store.NewLedger(rdb, store.DefaultLedgerTTL)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	msgs := fake.Messages()
	var wg sync.WaitGroup
	var next atomic.Int64
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := next.Add(1) - 1; k < int64(len(msgs)); k = next.Add(1) - 1 {
				m := msgs[k]
				err := ledger.Record(ctx, &store.Acceptance{
					TaskID: fmt.Sprintf("bench-%06d", k), Type: tasks.TypeSend, SMSID: m.SMSID,
					Recipients: m.Numbers, Segments: 1, Encoding: "gsm", AcceptedAt: start,
				})
				if err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	polls, err := store.NewDeliveryPolls(rdb)
	if err != nil {
		b.Fatal(err)
	}
	enq, err := tasks.NewEnqueuer(rdb, config.Defaults().TaskOptions())
	if err != nil {
		b.Fatal(err)
	}
	hook := &countingHook{}
	rdb.AddHook(hook)
	return &sweepBench{rdb: rdb, fake: fake, polls: polls, enq: enq, hook: hook, start: start}
}

// countingHook counts the commands and round trips a Redis client makes,
// and the time they take.
type countingHook struct {
	cmds, trips atomic.Int64
	nanos       atomic.Int64
}

func (h *countingHook) reset() { h.cmds.Store(0); h.trips.Store(0); h.nanos.Store(0) }

func (h *countingHook) totals() (cmds, trips int64, in time.Duration) {
	return h.cmds.Load(), h.trips.Load(), time.Duration(h.nanos.Load())
}

func (h *countingHook) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) { return next(ctx, network, addr) }
}

func (h *countingHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmd)
		h.nanos.Add(int64(time.Since(start)))
		// A script run is EVALSHA, followed by EVAL only the first time
		// (NOSCRIPT): count it once.
		if err == nil || !strings.HasPrefix(err.Error(), "NOSCRIPT") {
			h.trips.Add(1)
			h.cmds.Add(1)
		}
		return err
	}
}

func (h *countingHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmds)
		h.nanos.Add(int64(time.Since(start)))
		h.trips.Add(1)
		h.cmds.Add(int64(len(cmds)))
		return err
	}
}
