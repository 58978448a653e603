package tasks_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/redistest"
	"github.com/smsq/smsq/smsmode/smsmodetest"
	"github.com/smsq/smsq/tasks"
)

var paris = mustLoad("Europe/Paris")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// bundle is what most tests need: a private Redis, the fake provider and the
// producer/inspector on top of them.
type bundle struct {
	redis    *redistest.Server
	rdb      *redis.Client
	fake     *smsmodetest.Server
	enqueuer *tasks.Enqueuer
	insp     *tasks.Inspector
	ledger   *tasks.Ledger
	inspect  *asynq.Inspector
}

func setup(t *testing.T, fakeOpts ...smsmodetest.Option) *bundle {
	t.Helper()
	srv := redistest.Start(t)
	fake := smsmodetest.NewServer(append([]smsmodetest.Option{smsmodetest.WithLocation(paris)}, fakeOpts...)...)
	t.Cleanup(fake.Close)
	b := &bundle{redis: srv, rdb: srv.Client(), fake: fake}
	b.ledger = tasks.NewLedger(b.rdb, 0)
	b.enqueuer = tasks.NewEnqueuer(srv.ConnOpt(), tasks.Options{MaxRetry: 10, BatchChunk: 1000})
	t.Cleanup(func() { b.enqueuer.Close() })
	b.insp = tasks.NewInspector(srv.ConnOpt(), b.ledger)
	t.Cleanup(func() { b.insp.Close() })
	b.inspect = asynq.NewInspector(srv.ConnOpt())
	t.Cleanup(func() { b.inspect.Close() })
	return b
}

// startWorker runs an in-process asynq server with the send handlers against
// the fake, with short retry delays.
func (b *bundle) startWorker(t *testing.T, mutate ...func(*tasks.SenderConfig)) {
	t.Helper()
	cfg := tasks.SenderConfig{
		Provider: b.fake.Client(),
		Ledger:   b.ledger,
		Region:   "FR",
		Location: paris,
	}
	for _, m := range mutate {
		m(&cfg)
	}
	mux := asynq.NewServeMux()
	mux.Use(tasks.Logging(slog.New(slog.NewTextHandler(io.Discard, nil))))
	tasks.NewSender(cfg).Register(mux)
	retry := tasks.RetryPolicy{Base: 10 * time.Millisecond, Max: 50 * time.Millisecond}
	srv := asynq.NewServer(b.redis.ConnOpt(), asynq.Config{
		Concurrency:              10,
		Queues:                   map[string]int{"critical": 6, "default": 3, "low": 1},
		RetryDelayFunc:           retry.Delay,
		IsFailure:                tasks.IsFailure,
		TaskCheckInterval:        10 * time.Millisecond,
		DelayedTaskCheckInterval: 100 * time.Millisecond,
		ShutdownTimeout:          5 * time.Second,
		LogLevel:                 asynq.FatalLevel,
	})
	require.NoError(t, srv.Start(mux))
	t.Cleanup(srv.Shutdown)
}

// waitState polls the task until it reaches state, failing with its last
// known status after a deadline.
func (b *bundle) waitState(t *testing.T, id, state string) *tasks.TaskStatus {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, err := b.insp.Status(context.Background(), id)
		if err == nil && st.State == state {
			return st
		}
		terminal := err == nil && (st.State == "archived" || st.State == "completed")
		if terminal || time.Now().After(deadline) {
			t.Fatalf("task %s never reached %s: last status %+v, error %v", id, state, st, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sends returns the fake's accepted messages carrying ref.
func (b *bundle) sends(ref string) []smsmodetest.Message {
	var out []smsmodetest.Message
	for _, m := range b.fake.Messages() {
		if m.RefClient == ref {
			out = append(out, m)
		}
	}
	return out
}
