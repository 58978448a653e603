package tasks_test

import (
	"context"
	"testing"
	"time"

	"github.com/smsq/smsq/tasks/internal/rules"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/redistest"
	"github.com/smsq/smsq/tasks"
)

func TestNewEnqueuerRefusesMissingSettings(t *testing.T) {
	t.Parallel()
	rdb := redistest.Start(t).Client()
	_, err := tasks.NewEnqueuer(nil, tasks.Options{Region: "FR", BatchChunk: 1, Queues: []string{"default"}})
	require.Error(t, err)
	q := []string{"default"}
	for _, o := range []tasks.Options{
		{BatchChunk: 1, Queues: q},
		{Region: "FR", Queues: q},
		{Region: "FR", BatchChunk: 1, Queues: q, MaxRetry: -1},
		{Region: "FR", BatchChunk: 1, Queues: q, Retention: -time.Second},
		{Region: "FR", BatchChunk: 1, Queues: q, DailyCap: map[string]int{"*": 10}},
	} {
		_, err := tasks.NewEnqueuer(rdb, o)
		require.Error(t, err, "%+v", o)
	}
	_, err = tasks.NewInspector(nil)
	require.Error(t, err)
}

// A pod serving events alone (WORKER_QUEUES=events=…) knows no producer
// queue: its enqueuer takes events and refuses every send, naming the field.
func TestEnqueuerWithoutQueuesTakesEventsOnly(t *testing.T) {
	t.Parallel()
	enq, err := tasks.NewEnqueuer(redistest.Start(t).Client(), tasks.Options{Region: "FR", BatchChunk: 1})
	require.NoError(t, err)
	ctx := context.Background()
	_, err = enq.Send(ctx, tasks.SendPayload{To: []string{"0612345678"}, Message: "x"})
	var ve *tasks.ValidationError
	require.ErrorAs(t, err, &ve)
	require.Equal(t, "queue", ve.Field)
	_, err = enq.Delivery(ctx, tasks.DeliveryPayload{SMSID: "S1", To: "33612345678", Status: 11, ReceivedAt: time.Now()})
	require.NoError(t, err)
}

// Zero means what MAX_RETRY=0 and TASK_RETENTION=0 say: no retry, nothing
// kept. A send keeps one asynq retry in hand (rules.SendRetries), so that
// being rate limited on its last attempt sends it back to the queue.
func TestEnqueuerZeroSettings(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	rdb := srv.Client()
	enq, err := tasks.NewEnqueuer(rdb, tasks.Options{Region: "FR", BatchChunk: 1, Queues: []string{"default"}})
	require.NoError(t, err)
	ctx := context.Background()
	_, err = enq.Send(ctx, tasks.SendPayload{To: []string{"0612345678"}, Message: "x"}, tasks.WithTaskID("s"))
	require.NoError(t, err)
	_, err = enq.Delivery(ctx, tasks.DeliveryPayload{SMSID: "S1", To: "33612345678", Status: 11, ReceivedAt: time.Now()})
	require.NoError(t, err)

	insp := asynq.NewInspectorFromRedisClient(rdb)
	info, err := insp.GetTaskInfo(tasks.QueueDefault, "s")
	require.NoError(t, err)
	require.Equal(t, 1, info.MaxRetry)
	require.Equal(t, 0, rules.SendRetries(info.MaxRetry))
	require.Zero(t, info.Retention)
	events, err := insp.ListPendingTasks(tasks.QueueEvents)
	require.NoError(t, err)
	require.Len(t, events, 1)
	require.Equal(t, 0, events[0].MaxRetry)
}

// The events queue's policy: content-derived IDs, so the same report twice
// is one task and the second answer a Duplicate.
func TestEnqueuerEventsAreIdempotent(t *testing.T) {
	t.Parallel()
	rdb := redistest.Start(t).Client()
	enq, err := tasks.NewEnqueuer(rdb, tasks.Options{Region: "FR", BatchChunk: 1, MaxRetry: 3, Retention: time.Hour, Queues: []string{"default"}})
	require.NoError(t, err)
	ctx := context.Background()
	at := time.Date(2026, 7, 14, 10, 30, 0, 0, time.UTC)
	p := tasks.DeliveryPayload{SMSID: "S1", To: "33612345678", Status: 11, ReceivedAt: at}
	first, err := enq.Delivery(ctx, p)
	require.NoError(t, err)
	require.False(t, first.Duplicate)
	require.Equal(t, tasks.QueueEvents, first.Queue)
	again, err := enq.Delivery(ctx, p)
	require.NoError(t, err)
	require.True(t, again.Duplicate)
	require.Equal(t, first.ID, again.ID)
	other := p
	other.Status = 13
	third, err := enq.Delivery(ctx, other)
	require.NoError(t, err)
	require.NotEqual(t, first.ID, third.ID)

	r := tasks.ReplyPayload{From: "33612345678", To: "36034", Message: "OUI", ReceivedAt: at, ResponseID: "azerty-1"}
	res, err := enq.Reply(ctx, r)
	require.NoError(t, err)
	require.Equal(t, "mo:azerty-1", res.ID)
	res, err = enq.Reply(ctx, r)
	require.NoError(t, err)
	require.True(t, res.Duplicate)
}
