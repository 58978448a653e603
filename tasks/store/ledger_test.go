package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/tasks/store"
)

// TestLedgerRecord checks Record's single script: it binds the smsID, stores
// the acceptance and clears the in-flight marker together, is idempotent for
// the same task, and changes nothing when the smsID belongs to another task.
func TestLedgerRecord(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	now := time.Now()

	att, err := b.ledger.Begin(ctx, "task-1", now)
	require.NoError(t, err)
	require.Nil(t, att.Accepted)
	require.True(t, att.Previous.IsZero())
	require.Equal(t, int64(1), b.rdb.Exists(ctx, "smsq:{task-1}:attempt").Val(), "Begin marks the call in flight")

	a := &store.Acceptance{TaskID: "task-1", Type: "sms:send", SMSID: "S1", Segments: 1, Encoding: "gsm", AcceptedAt: now.Truncate(time.Millisecond)}
	require.NoError(t, b.ledger.Record(ctx, a))
	require.NoError(t, b.ledger.Record(ctx, a), "recording again for the same task is fine")

	got, err := b.ledger.Lookup(ctx, "task-1")
	require.NoError(t, err)
	require.Equal(t, a.SMSID, got.SMSID)
	require.True(t, a.AcceptedAt.Equal(got.AcceptedAt))
	owner, err := b.ledger.TaskForSMS(ctx, "S1")
	require.NoError(t, err)
	require.Equal(t, "task-1", owner)
	require.Zero(t, b.rdb.Exists(ctx, "smsq:{task-1}:attempt").Val(), "the in-flight marker is cleared")
	for _, key := range []string{"smsq:sms:S1", "smsq:{task-1}:accepted"} {
		ttl := b.rdb.PTTL(ctx, key).Val()
		require.Greater(t, ttl, store.DefaultLedgerTTL-time.Minute, key)
		require.LessOrEqual(t, ttl, store.DefaultLedgerTTL, key)
	}

	att, err = b.ledger.Begin(ctx, "task-1", now)
	require.NoError(t, err)
	require.NotNil(t, att.Accepted, "Begin finds the acceptance")
	require.Equal(t, "S1", att.Accepted.SMSID)

	// Another task cannot take S1: nothing of task-2 is stored and its
	// in-flight marker stays (the next attempt reconciles).
	_, err = b.ledger.Begin(ctx, "task-2", now)
	require.NoError(t, err)
	err = b.ledger.Record(ctx, &store.Acceptance{TaskID: "task-2", SMSID: "S1", AcceptedAt: now})
	require.ErrorContains(t, err, "already belongs to another task")
	got, err = b.ledger.Lookup(ctx, "task-2")
	require.NoError(t, err)
	require.Nil(t, got)
	require.Equal(t, int64(1), b.rdb.Exists(ctx, "smsq:{task-2}:attempt").Val())
	owner, err = b.ledger.TaskForSMS(ctx, "S1")
	require.NoError(t, err)
	require.Equal(t, "task-1", owner)
	claimed, err := b.ledger.Claimed(ctx, "S1", "task-2")
	require.NoError(t, err)
	require.True(t, claimed)
}

// TaskKey is where asynq keeps a task: the record script writes the
// result there.
func TestTaskKeyIsAsynqs(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	c := asynq.NewClientFromRedisClient(b.rdb)
	_, err := c.Enqueue(asynq.NewTask("sms:send", []byte(`{}`)), asynq.TaskID("k-1"), asynq.Queue("low"))
	require.NoError(t, err)
	require.Equal(t, int64(1), b.rdb.Exists(ctx, store.TaskKey("low", "k-1")).Val())
	require.NoError(t, b.ledger.RecordWithResult(ctx, &store.Acceptance{TaskID: "k-1", SMSID: "S9", AcceptedAt: time.Now()}, store.TaskKey("low", "k-1"), []byte(`{"sms_id":"S9"}`)))
	info, err := asynq.NewInspectorFromRedisClient(b.rdb).GetTaskInfo("low", "k-1")
	require.NoError(t, err)
	require.JSONEq(t, `{"sms_id":"S9"}`, string(info.Result))
	// A task that is gone gets no stray hash.
	require.NoError(t, b.ledger.RecordWithResult(ctx, &store.Acceptance{TaskID: "gone", SMSID: "S10", AcceptedAt: time.Now()}, store.TaskKey("low", "gone"), []byte(`{}`)))
	require.Zero(t, b.rdb.Exists(ctx, store.TaskKey("low", "gone")).Val())
}
