//go:build faults

package faults

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/proctest"
	"github.com/smsq/smsq/internal/redistest"
	"github.com/smsq/smsq/smsmode/smsmodetest"
	"github.com/smsq/smsq/tasks"
)

// Scenario 6. Redis runs out of memory (--maxmemory 2mb, noeviction)
// while a producer enqueues as fast as it can and the worker processes
// (200 ms provider latency, concurrency 5: a backlog and sends in flight
// when Redis fills up). Near the limit Redis's usage moves with client
// buffers, so once the first enqueue is refused the test pins Redis full
// for 10 s with CONFIG SET maxmemory 1mb (below what it uses).
//
// What must hold: the enqueue that does not fit fails with a clear error —
// the CLI exits 1 with one line mentioning the memory limit — and nothing
// already acknowledged is lost; the worker keeps running (it cannot write
// either: dequeues, retries, ledger and lease updates fail while Redis is
// full); once the limit is raised (CONFIG SET maxmemory 0) enqueues succeed
// again and every acknowledged task completes, none sent twice.
func TestRedisOutOfMemory(t *testing.T) {
	const (
		maxAttempts = 20_000 // enqueues before giving up on filling Redis
		full        = 10 * time.Second
		finish      = 3 * time.Minute
	)
	started := time.Now()
	srv := redistest.Start(t, redistest.WithArgs("--maxmemory", "2mb", "--maxmemory-policy", "noeviction"))
	fake := smsmodetest.NewServer(smsmodetest.WithLatency(200*time.Millisecond), smsmodetest.WithCredit(1e7))
	t.Cleanup(fake.Close)
	env := workerEnv(srv, fake.URL,
		"WORKER_CONCURRENCY=5",
		"RETRY_BASE_DELAY=100ms", "RETRY_MAX_DELAY=1s",
	)
	w, addr := startWorker(t, env...)
	rdb := srv.Client()

	// Fill Redis: enqueue 600-character messages until Redis refuses.
	enq := proctest.Enqueuer(t, srv.Client(), 50)
	var acked []string
	var oomErr error
	filler := strings.Repeat("Votre commande est en route. ", 25)[:600]
	deadline := time.Now().Add(time.Minute)
	for i := 0; i < maxAttempts && time.Now().Before(deadline); i++ {
		id := fmt.Sprintf("oom-%05d", i)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := enq.Send(ctx, tasks.SendPayload{To: []string{number(i)}, Message: id + " " + filler}, tasks.WithTaskID(id))
		cancel()
		if err != nil {
			oomErr = err
			break
		}
		acked = append(acked, id)
	}
	require.Error(t, oomErr, "Redis never refused an enqueue after %d", len(acked))
	fullAt := time.Now()
	t.Logf("Go API refused enqueue #%d: %v", len(acked)+1, oomErr)
	require.Contains(t, strings.ToLower(oomErr.Error()), "oom", "the error names the cause")
	sentAtFull := len(fake.Messages())
	// Pin Redis full: usage near the limit moves with client buffers.
	require.NoError(t, rdb.ConfigSet(context.Background(), "maxmemory", "1mb").Err())

	// The CLI: exit 1, one line on stderr.
	code, stdout, stderr := run(t, env, "send", "--to", "0612345678", "--message", "oom cli", "--id", "oom-cli")
	cliLine := strings.TrimRight(stderr, "\n")
	t.Logf("CLI while Redis is full: exit %d, stdout %q, stderr %q", code, stdout, cliLine)
	require.Equal(t, 1, code, "CLI exit code while Redis is full")
	require.Empty(t, stdout)
	require.NotContains(t, cliLine, "\n", "one line")
	require.Regexp(t, `(?i)oom|memory`, cliLine)

	// Redis stays full for a while: the worker keeps running.
	hc := &http.Client{Timeout: 2 * time.Second}
	healthy := 0
	for time.Since(fullAt) < full {
		require.False(t, w.Exited(), "the worker exited while Redis was full:\n%s", w.Tail(30))
		if resp, err := hc.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				healthy++
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	mem, err := rdb.InfoMap(context.Background(), "memory").Result()
	require.NoError(t, err)
	usedHuman := mem["Memory"]["used_memory_human"]
	sentWhileFull := len(fake.Messages()) - sentAtFull

	// Raise the limit: enqueues and processing recover.
	require.NoError(t, rdb.ConfigSet(context.Background(), "maxmemory", "0").Err())
	raised := time.Now()
	code, stdout, stderr = run(t, env, "send", "--to", "0612345678", "--message", "oom cli", "--id", "oom-cli")
	require.Equal(t, 0, code, stderr)
	require.Equal(t, "oom-cli", stdout)
	acked = append(acked, "oom-cli")
	for i := range 50 {
		id := fmt.Sprintf("oom-after-%02d", i)
		_, err := enq.Send(context.Background(), tasks.SendPayload{To: []string{number(50_000 + i)}, Message: id}, tasks.WithTaskID(id))
		require.NoError(t, err)
		acked = append(acked, id)
	}
	// Processing resumes: the completed count moves again.
	ainsp := asynq.NewInspector(srv.ConnOpt())
	defer ainsp.Close()
	doneAtRaise := queueCounts(t, ainsp, tasks.QueueDefault).Completed
	require.Eventually(t, func() bool { return queueCounts(t, ainsp, tasks.QueueDefault).Completed > doneAtRaise },
		time.Minute, 50*time.Millisecond, "processing never resumed")
	resumed := time.Since(raised)
	waited := waitCompleted(t, srv, tasks.QueueDefault, acked, finish, w)
	require.False(t, w.Exited(), "the worker exited:\n%s", w.Tail(30))

	sends := sendsByRef(fake)
	dupIDs, extra := duplicates(sends)
	for _, id := range acked {
		require.Equal(t, 1, sends[id], "task %s", id)
	}
	require.Empty(t, dupIDs)
	out := w.Output()
	fig(t, "enqueues acknowledged before Redis was full", "%d (600-character sends, 2 MB maxmemory)", len(acked)-51)
	fig(t, "Go API error", "%v", oomErr)
	fig(t, "CLI while full", "exit %d: %s", 1, cliLine)
	fig(t, "while full (10 s)", "worker alive, /healthz 200 %d times; Redis used_memory %s; %d sends accepted by the provider meanwhile", healthy, usedHuman, sentWhileFull)
	fig(t, "worker log lines mentioning OOM", "%d", logCount(out, "OOM"))
	fig(t, "after CONFIG SET maxmemory 0", "CLI exit 0 at once; processing resumed within %v; all %d tasks completed %v after the limit was raised (5 × 200 ms sends at a time)",
		resumed.Round(10*time.Millisecond), len(acked), time.Since(raised).Round(time.Second))
	fig(t, "worker log while full: retries / ledger record failures", "%d / %d", logCount(out, `"msg":"task will retry"`), logCount(out, "ledger could not record"))
	fig(t, "duplicate provider sends", "%d", extra)
	fig(t, "tasks recovered only after lease expiry", "%d", len(leaseRecovered(t, srv, tasks.QueueDefault)))
	fig(t, "duration", "%v (final wait %v)", time.Since(started).Round(time.Second), waited.Round(time.Second))
}
