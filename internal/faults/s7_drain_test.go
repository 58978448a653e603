//go:build faults

package faults

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/proctest"
	"github.com/smsq/smsq/internal/redistest"
	"github.com/smsq/smsq/smsmode/smsmodetest"
	"github.com/smsq/smsq/tasks"
)

// Scenario 7. SIGTERM while sends are in flight, SHUTDOWN_TIMEOUT=5s.
//
//   - drain: the provider answers in 500 ms, shorter than the grace: the
//     worker stops taking tasks, lets the 20 in flight finish and exits;
//     nothing is left "active" in asynq, so a new worker picks up the rest
//     at once (no lease recovery).
//   - abandon: the provider accepts at once but its answers take 8 s to come
//     back (a proxy holds them), longer than the grace: after 5 s asynq
//     puts the unfinished tasks back in their queue and the worker exits
//     with the sends accepted but unanswered (ambiguous). The next worker
//     finds the ledger's in-flight markers, reconciles against smsList.do
//     and adopts those messages instead of sending them again.
//
// What must hold in both: the worker exits within SHUTDOWN_TIMEOUT + 3 s,
// no task is lost (all complete after a new worker starts), none is sent
// twice.
func TestSIGTERMDrain(t *testing.T) {
	const (
		n      = 200
		grace  = 5 * time.Second
		margin = 3 * time.Second
		finish = 2 * time.Minute
	)
	for _, c := range []struct {
		name    string
		latency time.Duration // the fake's, before processing
		answer  time.Duration // the proxy's, after processing
	}{
		{"drain", 500 * time.Millisecond, 0},
		{"abandon", 0, 8 * time.Second},
	} {
		t.Run(c.name, func(t *testing.T) {
			started := time.Now()
			srv := redistest.Start(t)
			fake := smsmodetest.NewServer(smsmodetest.WithLatency(c.latency))
			t.Cleanup(fake.Close)
			var answer atomic.Int64
			answer.Store(int64(c.answer))
			proxy := newDelayProxy(t, fake,
				func() time.Duration { return 0 },
				func() time.Duration { return time.Duration(answer.Load()) })
			env := workerEnv(srv, proxy.URL,
				"WORKER_CONCURRENCY=20",
				"SHUTDOWN_TIMEOUT="+grace.String(),
				"RETRY_BASE_DELAY=100ms", "RETRY_MAX_DELAY=1s",
			)
			enq := proctest.Enqueuer(t, srv.Client(), 25)
			var ids []string
			for i := range n {
				id := fmt.Sprintf("%s-%03d", c.name, i)
				_, err := enq.Send(context.Background(), tasks.SendPayload{To: []string{number(i)}, Message: "drain test " + id}, tasks.WithTaskID(id))
				require.NoError(t, err)
				ids = append(ids, id)
			}
			ainsp := asynq.NewInspector(srv.ConnOpt())
			defer ainsp.Close()

			w, _ := startWorker(t, env...)
			// SIGTERM once the worker is busy: 20 sends in flight, some done.
			require.Eventually(t, func() bool {
				return fake.RequestCount("sendSMS.do") >= 30 || (c.answer > grace && fake.RequestCount("sendSMS.do") >= 20)
			}, time.Minute, 5*time.Millisecond)
			active, err := ainsp.ListActiveTasks(tasks.QueueDefault, asynq.PageSize(100))
			require.NoError(t, err)
			acceptedAtTerm := len(fake.Messages())
			exit := w.Terminate(t, grace+margin)
			acceptedAtExit := len(fake.Messages())
			out := w.Output()
			left, err := ainsp.ListActiveTasks(tasks.QueueDefault, asynq.PageSize(100))
			require.NoError(t, err)
			info := queueCounts(t, ainsp, tasks.QueueDefault)
			t.Logf("SIGTERM with %d active, %d accepted; exit after %v; %d accepted at exit; left active %d, pending %d, completed %d",
				len(active), acceptedAtTerm, exit.Round(time.Millisecond), acceptedAtExit, len(left), info.Pending, info.Completed)

			restart := time.Now()
			fake.SetLatency(100 * time.Millisecond)
			answer.Store(0)
			w2, _ := startWorker(t, env...)
			waited := waitCompleted(t, srv, tasks.QueueDefault, ids, finish, w2)
			out2 := w2.Output()

			sends := sendsByRef(fake)
			dupIDs, extra := duplicates(sends)
			fig(t, "in flight at SIGTERM", "%d (provider latency %v before accepting, %v after; SHUTDOWN_TIMEOUT %v)", len(active), c.latency, c.answer, grace)
			fig(t, "exit after SIGTERM", "%v", exit.Round(time.Millisecond))
			fig(t, "finished during the grace", "%d sends accepted between SIGTERM and exit", acceptedAtExit-acceptedAtTerm)
			fig(t, "left active in asynq after exit", "%d (abandoned at the deadline and requeued: %d)", len(left), logCount(out, "Quitting worker"))
			fig(t, "new worker: all completed after", "%v (%d tasks)", time.Since(restart).Round(100*time.Millisecond), n)
			fig(t, "new worker: reconciled runs / smsList.do calls", "%d / %d", logCount(out2, `"reconciled":true`), fake.RequestCount("smsList.do"))
			fig(t, "lost / duplicate provider sends", "0 / %d", extra)
			fig(t, "duration", "%v (final wait %v)", time.Since(started).Round(time.Second), waited.Round(time.Second))

			require.LessOrEqual(t, exit, grace+margin)
			require.Empty(t, left, "a drained worker leaves nothing active (else a minute of lease recovery)")
			require.Empty(t, dupIDs, "messages sent twice")
			if c.answer > grace {
				require.Equal(t, len(active), logCount(out2, `"reconciled":true`), "every abandoned, accepted send is adopted")
			}
			for _, id := range ids {
				require.Equal(t, 1, sends[id], "task %s", id)
			}
		})
	}
}
