package handler_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/config"
	"github.com/smsq/smsq/internal/metrics"
	"github.com/smsq/smsq/internal/redistest"
	"github.com/smsq/smsq/internal/worker"
	"github.com/smsq/smsq/smsmode/smsmodetest"
	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/tasks/handler"
	"github.com/smsq/smsq/tasks/store"
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
	ledger   *store.Ledger
	recips   *store.RecipientStore
	inspect  *asynq.Inspector
	cfg      *config.Config // the worker's settings: defaults, short retry delays
}

func setup(t *testing.T, fakeOpts ...smsmodetest.Option) *bundle {
	t.Helper()
	t.Parallel()
	srv := redistest.Start(t)
	fake := smsmodetest.NewServer(append([]smsmodetest.Option{smsmodetest.WithLocation(paris)}, fakeOpts...)...)
	t.Cleanup(fake.Close)
	b := &bundle{redis: srv, rdb: srv.Client(), fake: fake, cfg: config.Defaults()}
	b.cfg.MaxRetry = 10
	b.cfg.RetryBaseDelay, b.cfg.RetryMaxDelay = 10*time.Millisecond, 50*time.Millisecond
	var err error
	b.ledger, err = store.NewLedger(b.rdb, store.DefaultLedgerTTL)
	require.NoError(t, err)
	b.recips, err = store.NewRecipientStore(b.rdb, time.Hour)
	require.NoError(t, err)
	b.enqueuer, err = tasks.NewEnqueuer(b.rdb, b.cfg.TaskOptions())
	require.NoError(t, err)
	b.insp, err = tasks.NewInspector(b.rdb)
	require.NoError(t, err)
	b.inspect = asynq.NewInspectorFromRedisClient(b.rdb)
	return b
}

// startWorker runs the production task stack (worker.NewTaskStack) in
// process against the fake, with short retry and poll intervals.
func (b *bundle) startWorker(t *testing.T, tune ...func(*handler.SenderConfig)) {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	stack, err := worker.NewTaskStack(b.cfg, b.rdb, b.fake.Client(), metrics.New(prometheus.NewRegistry()), logger, tune...)
	require.NoError(t, err)
	stack.Config.TaskCheckInterval = 10 * time.Millisecond
	stack.Config.DelayedTaskCheckInterval = 100 * time.Millisecond
	stack.Config.ShutdownTimeout = 5 * time.Second
	stack.Config.LogLevel = asynq.FatalLevel
	srv := asynq.NewServerFromRedisClient(b.rdb, stack.Config)
	require.NoError(t, srv.Start(stack.Mux))
	t.Cleanup(srv.Shutdown)
}

// waitState waits for the task to reach state, failing with its last known
// status after a deadline (or at once on another final state).
func (b *bundle) waitState(t *testing.T, id, state string) *tasks.TaskStatus {
	t.Helper()
	var st *tasks.TaskStatus
	assert.Eventually(t, func() bool {
		s, err := b.insp.Status(context.Background(), id)
		if err != nil {
			return false
		}
		st = s
		return st.State == state || st.State == "archived" || st.State == "completed"
	}, 20*time.Second, 10*time.Millisecond, "task %s never reached %s", id, state)
	require.NotNil(t, st, "task %s never found", id)
	require.Equal(t, state, st.State, "task %s: %+v", id, st)
	return st
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

// enqueueRaw stores a task without validation, as a careless producer would.
func (b *bundle) enqueueRaw(t *testing.T, task *asynq.Task, id string) (*asynq.TaskInfo, error) {
	c := asynq.NewClientFromRedisClient(b.rdb)
	return c.Enqueue(task, asynq.TaskID(id), asynq.MaxRetry(5))
}
