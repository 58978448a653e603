//go:build faults

package faults

import (
	"context"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/proctest"
	"github.com/smsq/smsq/internal/redistest"
	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/smsmode/smsmodetest"
	"github.com/smsq/smsq/tasks"
)

// Scenario 3. The provider answers code 50 ("temporarily unavailable") to
// every send for 30 s while tasks keep flowing, then recovers.
//
// What must hold: every task is delivered exactly once and none is
// archived. Code 50 is answered before anything is accepted, so the worker
// clears its in-flight marker and simply retries with back-off
// (RETRY_BASE_DELAY=200ms doubling up to RETRY_MAX_DELAY=5s; MAX_RETRY,
// set by the producer, is 50: a 30 s outage costs about 10 retries).
func TestProviderOutage(t *testing.T) {
	const (
		n        = 320
		rate     = 8 // enqueued per second: 40 s of load
		before   = 5 * time.Second
		outage   = 30 * time.Second
		finish   = 2 * time.Minute
		maxRetry = 50
	)
	started := time.Now()
	srv := redistest.Start(t)
	fake := smsmodetest.NewServer(smsmodetest.WithLatency(50 * time.Millisecond))
	t.Cleanup(fake.Close)
	w, _ := startWorker(t, workerEnv(srv, fake.URL,
		"WORKER_CONCURRENCY=10",
		"RETRY_BASE_DELAY=200ms", "RETRY_MAX_DELAY=5s",
	)...)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var acked idList
	enq := proctest.Enqueuer(t, srv.Client(), maxRetry)
	prodDone := produce(ctx, enq, "outage", n, time.Second/rate, &acked)

	time.Sleep(before) // normal traffic first (pacing)
	fake.FailNext("sendSMS.do", smsmode.CodeTemporarilyUnavailable, -1)
	outStart := time.Now()
	reqBefore := fake.RequestCount("sendSMS.do")
	time.Sleep(200 * time.Millisecond) // a send already past the fault check finishes
	beforeMsgs := len(fake.Messages())
	time.Sleep(outage - 200*time.Millisecond)
	require.Equal(t, beforeMsgs, len(fake.Messages()), "nothing is accepted during the outage")
	refused := fake.RequestCount("sendSMS.do") - reqBefore
	ackedAtEnd := len(acked.all())
	fake.ClearFaults()
	outEnd := time.Now()
	require.NoError(t, <-prodDone)
	ids := acked.all()

	// Every task enqueued by the end of the outage has its message within
	// RETRY_MAX_DELAY (+ asynq's 1 s check for due retries) of the recovery.
	var caughtUp time.Duration
	require.Eventually(t, func() bool {
		s := sendsByRef(fake)
		for _, id := range ids[:ackedAtEnd] {
			if s[id] == 0 {
				return false
			}
		}
		caughtUp = time.Since(outEnd)
		return true
	}, time.Minute, 100*time.Millisecond, "the backlog of the outage was not sent")
	waited := waitCompleted(t, srv, tasks.QueueDefault, ids, finish, w)

	ainsp := asynq.NewInspector(srv.ConnOpt())
	defer ainsp.Close()
	info := queueCounts(t, ainsp, tasks.QueueDefault)
	require.Zero(t, info.Archived, "archived tasks")
	completed, err := ainsp.ListCompletedTasks(tasks.QueueDefault, asynq.PageSize(n+10))
	require.NoError(t, err)
	maxRetried, retriedTasks := 0, 0
	for _, c := range completed {
		maxRetried = max(maxRetried, c.Retried)
		if c.Retried > 0 {
			retriedTasks++
		}
	}

	sends := sendsByRef(fake)
	dupIDs, extra := duplicates(sends)
	require.Empty(t, dupIDs, "messages sent twice")
	for _, id := range ids {
		require.Equal(t, 1, sends[id], "task %s", id)
	}
	out := w.Output()
	fig(t, "load", "%d tasks at %d/s; code 50 on every sendSMS.do for %v (from %v)", n, rate, outage, outStart.Sub(started).Round(time.Second))
	fig(t, "sends refused with code 50", "%d", refused)
	fig(t, "tasks retried / most retries of one task", "%d / %d (MAX_RETRY %d)", retriedTasks, maxRetried, maxRetry)
	fig(t, "archived", "%d", info.Archived)
	fig(t, "delivered exactly once", "%d of %d (duplicates %d)", len(ids)-len(dupIDs), len(ids), extra)
	fig(t, "outage backlog sent after recovery within", "%v", caughtUp.Round(100*time.Millisecond))
	fig(t, "worker log: task will retry", "%d", logCount(out, `"msg":"task will retry"`))
	fig(t, "duration", "%v (final wait %v)", time.Since(started).Round(time.Second), waited.Round(time.Second))
}
