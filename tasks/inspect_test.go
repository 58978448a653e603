package tasks_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/redistest"
	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/tasks/store"
)

// Between the provider's acceptance and asynq's completion the ledger
// already says completed: the status says when, not a zero time.
func TestStatusOfAnAcceptedTaskTheQueueStillRuns(t *testing.T) {
	t.Parallel()
	rdb := redistest.Start(t).Client()
	enq, err := tasks.NewEnqueuer(rdb, tasks.Options{Region: "FR", BatchChunk: 1, Queues: []string{tasks.QueueDefault}})
	require.NoError(t, err)
	ctx := context.Background()
	_, err = enq.Send(ctx, tasks.SendPayload{To: []string{"0612345678"}, Message: "x"}, tasks.WithTaskID("t1"))
	require.NoError(t, err)
	ledger, err := store.NewLedger(rdb, store.DefaultLedgerTTL)
	require.NoError(t, err)
	accepted := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	require.NoError(t, ledger.Record(ctx, &store.Acceptance{TaskID: "t1", Type: tasks.TypeSend, SMSID: "S1", Segments: 1, Encoding: "gsm", AcceptedAt: accepted}))

	insp, err := tasks.NewInspector(rdb)
	require.NoError(t, err)
	st, err := insp.Status(ctx, "t1")
	require.NoError(t, err)
	require.Equal(t, tasks.StateCompleted, st.State, "the queue still has it pending")
	require.Equal(t, accepted, st.CompletedAt.UTC())
	require.Equal(t, "S1", st.Result.SMSID)
}
