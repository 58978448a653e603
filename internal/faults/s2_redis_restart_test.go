//go:build faults

package faults

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/proctest"
	"github.com/smsq/smsq/internal/redistest"
	"github.com/smsq/smsq/smsmode/smsmodetest"
	"github.com/smsq/smsq/tasks"
)

// Scenario 2. redis-server (AOF, appendfsync always) is stopped cleanly and
// restarted, then killed with SIGKILL and restarted, while two producers
// enqueue continuously. The worker and its webhook receiver are not
// restarted.
//
// What must hold: every enqueue Redis acknowledged completes (AOF with
// fsync on every write keeps it across SHUTDOWN and SIGKILL alike); no
// message is sent twice; while Redis is down the webhook answers 503 (the
// provider retries) and once it is back 200, and the worker recovers on its
// own (/readyz answers 200 again).
func TestRedisRestartWithAOF(t *testing.T) {
	const (
		producers = 2
		pace      = 50 * time.Millisecond // per producer: 40 enqueues/s in all
		down      = 8 * time.Second       // Redis stays down this long (> the webhook's 5 s enqueue timeout)
		settle    = 5 * time.Second       // load between the outages
		finish    = 3 * time.Minute
		secret    = "faults-hook-secret"
	)
	started := time.Now()
	srv := redistest.Start(t, redistest.WithAOF())
	fake := smsmodetest.NewServer(smsmodetest.WithLatency(50 * time.Millisecond))
	t.Cleanup(fake.Close)
	w, addr := startWorker(t, workerEnv(srv, fake.URL,
		"WORKER_CONCURRENCY=10",
		"RETRY_BASE_DELAY=100ms", "RETRY_MAX_DELAY=2s",
		"WEBHOOK_SECRET="+secret,
	)...)
	hook := "http://" + addr + "/webhooks/smsmode/" + secret + "/delivery"
	hc := &http.Client{Timeout: 15 * time.Second}
	var cbSeq atomic.Int64
	// callback sends one new delivery report and returns the status and the
	// time the answer took.
	callback := func() (int, time.Duration) {
		n := cbSeq.Add(1)
		u := fmt.Sprintf("%s?numero=33612345678&statut=11&smsID=redis%06d&date_reception=2026-11-24+10%%3A00%%3A%02d", hook, n, n%60)
		start := time.Now()
		resp, err := hc.Get(u)
		if err != nil {
			return 0, time.Since(start)
		}
		resp.Body.Close()
		return resp.StatusCode, time.Since(start)
	}
	ready := func() bool {
		resp, err := hc.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}
	code, _ := callback()
	require.Equal(t, http.StatusOK, code, "webhook before any outage")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		acked  idList
		failed atomic.Int64
		wg     sync.WaitGroup
	)
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			enq := proctest.Enqueuer(t, srv.Client(), 50)
			for i := 0; i < 100_000; i++ { // bounded; stopped by cancel long before
				select {
				case <-ctx.Done():
					return
				case <-time.After(pace):
				}
				id := fmt.Sprintf("aof-%d-%05d", p, i)
				ectx, ecancel := context.WithTimeout(ctx, 2*time.Second)
				_, err := enq.Send(ectx, tasks.SendPayload{To: []string{number(p*100_000 + i)}, Message: "redis restart " + id}, tasks.WithTaskID(id))
				ecancel()
				if err != nil {
					failed.Add(1) // not acknowledged: the producer would retry it; not counted
					continue
				}
				acked.add(id)
			}
		}()
	}

	type outage struct {
		how                 string
		ackedBefore         int
		code503             int
		latency503          time.Duration
		webhookBack, readyz time.Duration
	}
	var outages []outage
	for _, how := range []string{"SHUTDOWN", "SIGKILL"} {
		time.Sleep(settle) // load before the outage (pacing)
		o := outage{how: how, ackedBefore: len(acked.all())}
		if how == "SHUTDOWN" {
			srv.Stop()
		} else {
			srv.Kill()
		}
		downAt := time.Now()
		// While Redis is down, a callback is refused with 503 (retryable).
		o.code503, o.latency503 = callback()
		require.Equal(t, http.StatusServiceUnavailable, o.code503, "webhook while Redis is down (%s)", how)
		require.Less(t, time.Since(downAt), down, "the 503 took longer than the outage")
		time.Sleep(time.Until(downAt.Add(down)))
		srv.Restart()
		upAt := time.Now()
		// The webhook stores callbacks again: poll with a deadline.
		deadline := upAt.Add(30 * time.Second)
		for {
			if c, _ := callback(); c == http.StatusOK {
				break
			}
			require.True(t, time.Now().Before(deadline), "webhook still failing 30 s after Redis came back (%s)", how)
			time.Sleep(100 * time.Millisecond)
		}
		o.webhookBack = time.Since(upAt)
		require.Eventually(t, ready, 30*time.Second, 100*time.Millisecond, "worker /readyz after Redis came back (%s)", how)
		o.readyz = time.Since(upAt)
		require.False(t, w.Exited(), "the worker exited:\n%s", w.Tail(30))
		outages = append(outages, o)
		t.Logf("%s: Redis down %v; webhook 503 in %v; webhook 200 again %v and /readyz %v after the restart",
			how, down, o.latency503.Round(time.Millisecond), o.webhookBack.Round(time.Millisecond), o.readyz.Round(time.Millisecond))
	}
	time.Sleep(settle)
	cancel()
	wg.Wait()

	ids := acked.all()
	waited := waitCompleted(t, srv, tasks.QueueDefault, ids, finish, w)
	require.False(t, w.Exited(), "the worker exited:\n%s", w.Tail(30))

	sends := sendsByRef(fake)
	dupIDs, extra := duplicates(sends)
	require.Empty(t, dupIDs, "messages sent twice")
	for _, id := range ids {
		require.Equal(t, 1, sends[id], "acknowledged task %s", id)
	}
	out := w.Output()
	fig(t, "load", "%d producers, %d acknowledged enqueues, %d refused while Redis was down", producers, len(ids), failed.Load())
	for _, o := range outages {
		fig(t, "outage "+o.how, "down %v; webhook 503 in %v; webhook 200 %v and /readyz %v after restart",
			down, o.latency503.Round(time.Millisecond), o.webhookBack.Round(time.Millisecond), o.readyz.Round(time.Millisecond))
	}
	fig(t, "lost acknowledged tasks", "0 of %d", len(ids))
	fig(t, "duplicate provider sends", "%d", extra)
	fig(t, "provider messages / sendSMS.do calls", "%d / %d", len(fake.Messages()), fake.RequestCount("sendSMS.do"))
	recovered := leaseRecovered(t, srv, tasks.QueueDefault)
	// A dequeue Redis executed (and persisted) but whose answer the outage
	// swallowed leaves a task "active" with no worker: asynq's recoverer
	// puts it back 30-90 s later (a delay, not a loss).
	fig(t, "tasks recovered only after lease expiry", "%d %v", len(recovered), recovered)
	for _, id := range recovered {
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, `"`+id+`"`) || strings.Contains(l, "id="+id) {
				t.Logf("worker log of %s: %s", id, l)
			}
		}
	}
	fig(t, "worker log: task retries / reconciled", "%d / %d", logCount(out, `"msg":"task will retry"`), logCount(out, `"reconciled":true`))
	fig(t, "worker process", "ran throughout (never restarted); %d log lines mention Redis errors", redisErrLines(out))
	fig(t, "duration", "%v (final wait %v)", time.Since(started).Round(time.Second), waited.Round(time.Second))
}

func redisErrLines(out string) int {
	n := 0
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "connection refused") || strings.Contains(l, "no such file") || strings.Contains(l, "EOF") || strings.Contains(l, "LOADING") {
			n++
		}
	}
	return n
}
