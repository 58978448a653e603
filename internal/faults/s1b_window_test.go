//go:build faults

package faults

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/proctest"
	"github.com/smsq/smsq/internal/redistest"
	"github.com/smsq/smsq/smsmode/smsmodetest"
	"github.com/smsq/smsq/tasks"
)

// Scenario 1b. A worker is killed with 10 sends accepted but unanswered (a
// proxy holds the provider's answers), and traffic goes on: a new worker
// sends other messages before asynq recovers the killed worker's tasks
// (about a minute later). The recovered tasks find their in-flight marker
// and reconcile against smsList.do — which the worker reads as one page of
// the 1,000 most recent messages (SenderConfig.ReconcileWindow).
//
// What must hold: the accepted sends are adopted, not sent again, however
// many messages were sent in between: 900 (within one page) and 1,100
// (beyond it). A production account sending more than 1,000 messages in
// the minute a crashed pod's tasks wait for recovery is ordinary, and a
// task retried after RETRY_MAX_DELAY (10m by default) sees far more.
//
// This is the scenario that found a real bug (see the report of issue 6):
// with 1,100 messages in between, every accepted send is sent again,
// because reconcile reads one page and takes "not in it" for "never sent".
func TestKillReconcileBeyondOnePage(t *testing.T) {
	for _, filler := range []int{900, 1100} {
		t.Run(fmt.Sprintf("%d_between", filler), func(t *testing.T) {
			t.Parallel() // both mostly wait a minute for asynq's lease recovery
			killReconcile(t, filler)
		})
	}
}

func killReconcile(t *testing.T, filler int) {
	const (
		orphans = 10
		finish  = 3 * time.Minute
	)
	started := time.Now()
	srv := redistest.Start(t)
	fake := smsmodetest.NewServer(smsmodetest.WithCredit(1e7))
	t.Cleanup(fake.Close)
	var hold atomic.Int64
	hold.Store(int64(time.Minute))
	proxy := newDelayProxy(t, fake,
		func() time.Duration { return 0 },
		func() time.Duration { return time.Duration(hold.Load()) })
	env := workerEnv(srv, proxy.URL,
		"WORKER_CONCURRENCY=20",
		"RETRY_BASE_DELAY=100ms", "RETRY_MAX_DELAY=1s",
	)
	enq := proctest.Enqueuer(t, srv.Client(), 25)
	var ids []string
	for i := range orphans {
		id := fmt.Sprintf("orphan-%02d", i)
		_, err := enq.Send(context.Background(), tasks.SendPayload{To: []string{number(i)}, Message: "window test " + id}, tasks.WithTaskID(id))
		require.NoError(t, err)
		ids = append(ids, id)
	}
	w, _ := startWorker(t, env...)
	require.Eventually(t, func() bool { return len(fake.Messages()) == orphans }, 30*time.Second, 10*time.Millisecond)
	w.Kill()
	killedAt := time.Now()
	hold.Store(0)

	w, _ = startWorker(t, env...)
	for i := range filler {
		id := fmt.Sprintf("filler-%04d", i)
		_, err := enq.Send(context.Background(), tasks.SendPayload{To: []string{number(1000 + i)}, Message: "window filler " + id}, tasks.WithTaskID(id))
		require.NoError(t, err)
		ids = append(ids, id)
	}
	// The other sends are all made before asynq can recover the orphans
	// (lease 30 s + cut-off 30 s after the kill).
	require.Eventually(t, func() bool { return len(fake.Messages()) >= orphans+filler }, 45*time.Second, 20*time.Millisecond)
	fillerDone := time.Since(killedAt)
	require.Less(t, fillerDone, 55*time.Second, "the other sends must be done before the recovery")
	waited := waitCompleted(t, srv, tasks.QueueDefault, ids, finish, w)
	out := w.Output()

	sends := sendsByRef(fake)
	dupIDs, extra := duplicates(sends)
	fig(t, "set-up", "%d sends accepted and unanswered at the kill, then %d other sends before the recovery", orphans, filler)
	fig(t, "other sends done after the kill", "%v (asynq recovers the orphans ≥ 60 s after it)", fillerDone.Round(100*time.Millisecond))
	fig(t, "kill → all completed", "%v", time.Since(killedAt).Round(time.Second))
	fig(t, "reconciled (adopted) / smsList.do calls", "%d / %d", logCount(out, `"reconciled":true`), fake.RequestCount("smsList.do"))
	fig(t, "duplicate provider sends", "%d %v", extra, dupIDs)
	fig(t, "duration", "%v (final wait %v)", time.Since(started).Round(time.Second), waited.Round(time.Second))
	require.Empty(t, dupIDs, "accepted sends paid twice: the reconciliation read only the most recent page of smsList.do")
}
