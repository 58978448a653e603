package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/proctest"
	"github.com/smsq/smsq/internal/redistest"
	"github.com/smsq/smsq/smsmode/smsmodetest"
	"github.com/smsq/smsq/tasks"
)

// A worker killed with SIGKILL while sends are in flight loses no task, and
// no message the provider had accepted is sent again after the restart.
func TestWorkerKilledWhileSending(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("waits for asynq's lease recovery (about a minute)")
	}
	srv := redistest.Start(t)
	// Slow answers keep ten sends in flight at any moment.
	fake := smsmodetest.NewServer(smsmodetest.WithLatency(400 * time.Millisecond))
	t.Cleanup(fake.Close)
	env := []string{
		"REDIS_URL=" + srv.URL(),
		"SMSMODE_BASE_URL=" + fake.URL,
		"SMSMODE_ACCESS_TOKEN=" + smsmodetest.AccessToken,
		"WORKER_CONCURRENCY=10",
		"RETRY_BASE_DELAY=100ms", "RETRY_MAX_DELAY=1s",
	}
	enq := proctest.Enqueuer(t, srv.Client(), 25)
	const n = 40
	for i := range n {
		_, err := enq.Send(context.Background(), tasks.SendPayload{To: []string{"0612345678"}, Message: fmt.Sprintf("message %d", i)}, tasks.WithTaskID(fmt.Sprintf("crash-%02d", i)))
		require.NoError(t, err)
	}

	w, _ := startWorker(t, env...)
	require.Eventually(t, func() bool { return len(fake.Messages()) >= 12 }, 30*time.Second, 5*time.Millisecond)
	w.Kill()
	acceptedBeforeKill := map[string]bool{}
	for _, m := range fake.Messages() {
		acceptedBeforeKill[m.RefClient] = true
	}
	t.Logf("killed with %d of %d sends accepted", len(acceptedBeforeKill), n)

	startWorker(t, env...)
	insp := proctest.Inspector(t, srv.Client())
	require.Eventually(t, func() bool {
		for i := range n {
			st, err := insp.Status(context.Background(), fmt.Sprintf("crash-%02d", i))
			if err != nil || st.State != "completed" {
				return false
			}
		}
		return true
	}, 4*time.Minute, 200*time.Millisecond, "every task completes after the restart (asynq recovers expired leases)")

	sends := map[string]int{}
	for _, m := range fake.Messages() {
		sends[m.RefClient]++
	}
	for i := range n {
		id := fmt.Sprintf("crash-%02d", i)
		require.Equal(t, 1, sends[id], "task %s (accepted before the kill: %v) must be sent exactly once", id, acceptedBeforeKill[id])
	}
}
