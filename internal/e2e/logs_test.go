package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/logtest"
	"github.com/smsq/smsq/internal/proctest"
	"github.com/smsq/smsq/internal/redistest"
	"github.com/smsq/smsq/internal/worker"
	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/smsmode/smsmodetest"
	"github.com/smsq/smsq/tasks"
)

// What an operator's log pipeline reads from a worker that lives through a
// Redis outage: every line is one JSON object (go-redis's own lines
// included), durations carry their unit, asynq's wording about archived
// tasks is true, and the same error repeated many times a second while
// Redis is down comes out a few times, with its count.
func TestLogsThroughRedisOutage(t *testing.T) {
	t.Parallel()
	const outage = 12 * time.Second // longer than worker.RepeatInterval: a folded line is written
	srv := redistest.Start(t)
	fake := smsmodetest.NewServer()
	t.Cleanup(fake.Close)
	fake.FailNumber("33611111111", smsmode.CodeInsufficientCredit) // archived at once, without any retry
	env := []string{
		"REDIS_URL=" + srv.URL(),
		"SMSMODE_BASE_URL=" + fake.URL,
		"SMSMODE_ACCESS_TOKEN=" + smsmodetest.AccessToken,
		"RETRY_BASE_DELAY=50ms", "RETRY_MAX_DELAY=200ms",
	}
	w, addr := startWorker(t, env...)

	send := func(id, to string) {
		t.Helper()
		enq := proctest.Enqueuer(t, srv.Client(), 3)
		_, err := enq.Send(context.Background(), tasks.SendPayload{To: []string{to}, Message: "log check"}, tasks.WithTaskID(id))
		require.NoError(t, err)
	}
	waitState := func(id, want string) {
		t.Helper()
		insp := proctest.Inspector(t, srv.Client())
		require.Eventually(t, func() bool {
			st, err := insp.Status(context.Background(), id)
			return err == nil && st.State == want
		}, 30*time.Second, 20*time.Millisecond, "%s never %s:\n%s", id, want, w.Tail(20))
	}
	send("before", "0612345678")
	send("refused", "0611111111")
	waitState("before", "completed")
	waitState("refused", "archived")

	srv.Kill()
	down := time.Now()
	before := len(strings.Split(w.Output(), "\n"))
	// Keep Redis down for the whole outage, until an identical line has
	// been folded into one with its count.
	require.Eventually(t, func() bool {
		return time.Since(down) >= outage && strings.Contains(w.Output(), `"repeated":`)
	}, outage+30*time.Second, 100*time.Millisecond, "no folded line during the outage:\n%s", w.Tail(40))
	outageLines := strings.Split(w.Output(), "\n")[before-1:]
	srv.Restart()
	hc := &http.Client{Timeout: 2 * time.Second}
	require.Eventually(t, func() bool {
		resp, err := hc.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 60*time.Second, 50*time.Millisecond, "worker not ready after Redis came back:\n%s", w.Tail(40))
	send("after", "0698765432")
	waitState("after", "completed")
	w.Terminate(t, 40*time.Second)

	lines := logtest.Lines(t, w.Output())
	t.Logf("%d lines, %d while Redis was down for %v", len(lines), len(outageLines), time.Since(down).Round(time.Second))

	// Identical lines are bounded: each distinct message at most once at
	// once and then once per interval, however often it happened.
	perInterval := int(time.Since(down)/worker.RepeatInterval) + 2
	count := map[string]int{}
	for _, l := range outageLines {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil {
			count[fmt.Sprint(m["level"], " ", m["msg"], " ", m["component"])]++
		}
	}
	for msg, n := range count {
		require.LessOrEqual(t, n, perInterval, "%q logged %d times during the outage", msg, n)
	}
	require.Less(t, len(outageLines), 12*perInterval, "a flood of lines during the outage:\n%s", strings.Join(outageLines, "\n"))

	out := w.Output()
	require.NotContains(t, out, "Retry exhausted", "refused was archived without any retry")
	require.Contains(t, out, `"component":"redis"`, "go-redis's own lines are JSON too")
	var done int
	for _, m := range lines {
		require.NotContains(t, m, "latency", "a duration without its unit")
		require.NotContains(t, m, "provider_latency")
		if m["msg"] == "task done" {
			done++
			require.IsType(t, 0.0, m["latency_ms"])
		}
		if m["msg"] == "task archived" {
			require.Equal(t, "refused", m["task_id"])
		}
	}
	require.Equal(t, 2, done, "before and after")
}
