//go:build faults

package faults

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/proctest"
	"github.com/smsq/smsq/internal/redistest"
	"github.com/smsq/smsq/smsmode/smsmodetest"
	"github.com/smsq/smsq/tasks"
)

// Scenario 1. The worker is killed with SIGKILL at random moments while a
// producer enqueues a few hundred sends, and restarted at once after each
// kill. Between the worker and the fake sMsmode a proxy holds each request
// 0-100 ms before forwarding it and each answer 100-200 ms after the fake
// processed it, so sends are always in flight and most kills land after the
// provider accepted a send and before the worker read the answer (the
// fake's own latency is spent before processing: a kill during it leaves
// nothing to reconcile).
//
// What must hold: every task completes in the end (asynq recovers a killed
// worker's tasks once their lease has expired: 30 s lease + 30 s clock-skew
// cut-off, checked by the recoverer when a server starts and every minute,
// so about a minute after the last kill); a task the acceptance ledger had
// recorded before a kill is never sent again; duplicates, if any, are
// bounded by the tasks in flight (asynq "active") at the kills. smsq marks
// every provider call in flight in the ledger before making it, so a task
// killed mid-call is reconciled against smsList.do on its next run instead
// of being sent blindly: 0 duplicates are expected.
//
// OTPs flow through the kills on queue critical (the pods' critical lane),
// each valid for otpValid. What must hold for them: none lost (each ends
// completed, or expired when a kill orphaned it until after its expiry:
// asynq recovers orphans after about a minute), none sent twice, and no
// sendSMS.do call for one at or after its expires_at.
func TestWorkerSIGKILLUnderLoad(t *testing.T) {
	const (
		n      = 600                   // tasks
		every  = 40 * time.Millisecond // one enqueue each: 25 tasks/s, about 5 sends in flight
		kills  = 6                     // SIGKILLs during the run
		minGap = 2 * time.Second       // between kills (plus the restart)
		maxGap = 4 * time.Second       //
		finish = 3 * time.Minute       // recovery of the last kill's orphans ≈ 61 s + back-off

		otpN     = 60
		otpEvery = 300 * time.Millisecond // through the first kills
		otpValid = 20 * time.Second       // well under asynq's recovery of an orphan
	)
	started := time.Now()
	srv := redistest.Start(t)
	fake := smsmodetest.NewServer()
	t.Cleanup(fake.Close)
	proxy := newDelayProxy(t, fake,
		func() time.Duration { return rand.N(100 * time.Millisecond) },
		func() time.Duration { return 100*time.Millisecond + rand.N(100*time.Millisecond) })
	env := workerEnv(srv, proxy.URL,
		"WORKER_CONCURRENCY=10",
		"RETRY_BASE_DELAY=100ms", "RETRY_MAX_DELAY=1s",
	)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// The producer: n sends, each with its own text and number, IDs
	// kill-000 … (refClient is the task ID).
	var acked idList
	enq := proctest.Enqueuer(t, srv.Client(), 25)
	prodDone := produce(ctx, enq, "kill", n, every, &acked)
	var otps idList
	var expiresMu sync.Mutex
	expires := map[string]time.Time{}
	otpDone := make(chan error, 1)
	go func() {
		tick := time.NewTicker(otpEvery)
		defer tick.Stop()
		for i := range otpN {
			select {
			case <-ctx.Done():
				otpDone <- ctx.Err()
				return
			case <-tick.C:
			}
			id := fmt.Sprintf("otp-%03d", i)
			exp := time.Now().Add(otpValid)
			_, err := enq.Send(ctx, tasks.SendPayload{To: []string{number(5000 + i)}, Message: fmt.Sprintf("Votre code : %04d", i), ExpiresAt: exp},
				tasks.WithTaskID(id), tasks.WithQueue(tasks.QueueCritical))
			if err != nil {
				otpDone <- fmt.Errorf("enqueue %s: %w", id, err)
				return
			}
			expiresMu.Lock()
			expires[id] = exp
			expiresMu.Unlock()
			otps.add(id)
		}
		otpDone <- nil
	}()

	w, _ := startWorker(t, env...)
	ledger := proctest.Ledger(t, srv.Client())
	ainsp := asynq.NewInspector(srv.ConnOpt())
	defer ainsp.Close()

	type killInfo struct {
		at          time.Duration
		accepted    int      // provider messages so far
		recorded    int      // tasks in the ledger just before the kill
		active      []string // asynq active tasks right after the kill (in flight)
		newInFlight int      // of which not in flight at an earlier kill
		restart     time.Duration
	}
	var (
		infos          []killInfo
		recordedBefore = map[string]int{} // task → first kill it was recorded before
		inFlight       = map[string]bool{}
		allLogs        strings.Builder
	)
	for k := 1; k <= kills; k++ {
		time.Sleep(minGap + rand.N(maxGap-minGap)) // a random moment (pacing, not synchronisation)
		// The ledger before the kill: whatever is recorded now was recorded
		// before the kill (the set may miss a few recorded in between: that
		// only makes the check below weaker, never wrong).
		rec := 0
		for _, id := range acked.all() {
			a, err := ledger.Lookup(context.Background(), id)
			require.NoError(t, err)
			if a != nil {
				rec++
				if _, ok := recordedBefore[id]; !ok {
					recordedBefore[id] = k
				}
			}
		}
		// Kill at a moment provider calls are in flight (nearly always, under this load).
		busy := time.Now().Add(2 * time.Second)
		for proxy.InFlight() == 0 && time.Now().Before(busy) {
			time.Sleep(time.Millisecond)
		}
		w.Kill()
		at := time.Since(started)
		allLogs.WriteString(w.Output())
		// With no worker running, asynq's active list is exactly what was in
		// flight (this kill's and earlier kills' orphans not yet recovered).
		active, err := ainsp.ListActiveTasks(tasks.QueueDefault, asynq.PageSize(1000))
		require.NoError(t, err)
		activeOTPs, err := ainsp.ListActiveTasks(tasks.QueueCritical, asynq.PageSize(1000))
		if err == nil { // the queue exists once an OTP was enqueued
			active = append(active, activeOTPs...)
		}
		info := killInfo{at: at, accepted: len(fake.Messages()), recorded: rec}
		for _, a := range active {
			info.active = append(info.active, a.ID)
			if !inFlight[a.ID] {
				inFlight[a.ID] = true
				info.newInFlight++
			}
		}
		sort.Strings(info.active)
		rs := time.Now()
		w, _ = startWorker(t, env...)
		info.restart = time.Since(rs)
		infos = append(infos, info)
		t.Logf("kill %d at %v: %d provider messages, %d tasks in the ledger, %d active (%d new in flight), restarted in %v",
			k, at.Round(time.Millisecond), info.accepted, rec, len(info.active), info.newInFlight, info.restart.Round(time.Millisecond))
	}
	lastKill := time.Since(started)
	require.NoError(t, <-prodDone)
	ids := acked.all()
	require.Len(t, ids, n)

	require.NoError(t, <-otpDone)
	otpIDs := otps.all()
	require.Len(t, otpIDs, otpN)

	waited := waitCompleted(t, srv, tasks.QueueDefault, ids, finish, w)
	_, otpStates := waitFinished(t, srv, tasks.QueueCritical, otpIDs, finish, w)
	allLogs.WriteString(w.Output())
	cancel()

	sends := sendsByRef(fake)
	dupIDs, extra := duplicates(sends)
	for _, id := range ids {
		require.GreaterOrEqual(t, sends[id], 1, "task %s completed without a provider message", id)
	}
	for id, k := range recordedBefore {
		require.Equal(t, 1, sends[id], "task %s was in the ledger before kill %d and must not be sent again", id, k)
	}
	for _, id := range dupIDs {
		require.True(t, inFlight[id], "task %s was sent %d times but was not in flight at any kill", id, sends[id])
	}
	require.LessOrEqual(t, extra, len(inFlight), "duplicate sends exceed the tasks in flight at the kills")
	require.GreaterOrEqual(t, len(inFlight), kills, "the kills should have caught sends in flight")

	// The OTPs: none lost, none twice, none handed over at or after its expiry.
	var otpSent, otpExpired, otpLate int
	for _, id := range otpIDs {
		switch otpStates[id] {
		case tasks.StateCompleted:
			require.Equal(t, 1, sends[id], "OTP %s completed: one provider message", id)
			otpSent++
		case tasks.StateExpired:
			require.Zero(t, sends[id], "OTP %s expired: never accepted", id)
			otpExpired++
		default:
			t.Fatalf("OTP %s ended %q (lost)", id, otpStates[id])
		}
		for _, at := range proxy.Arrived(id) {
			if !at.Before(expires[id]) {
				otpLate++
				t.Errorf("OTP %s: sendSMS.do at %v, its expires_at %v", id, at.Format(time.StampMilli), expires[id].Format(time.StampMilli))
			}
		}
	}

	var perKill []string
	for _, in := range infos {
		perKill = append(perKill, fmt.Sprintf("%d", len(in.active)))
	}
	logs := allLogs.String()
	fig(t, "tasks / kills", "%d tasks (one every %v), %d SIGKILLs (last at %v)", n, every, kills, lastKill.Round(time.Second))
	fig(t, "in flight at each kill (asynq active)", "%s; %d distinct tasks", strings.Join(perKill, ", "), len(inFlight))
	fig(t, "tasks in the ledger before a kill", "%d (each sent exactly once)", len(recordedBefore))
	fig(t, "lost tasks", "0 of %d (all completed)", n)
	fig(t, "duplicate provider sends", "%d (bound: %d in flight)", extra, len(inFlight))
	fig(t, "provider messages / sendSMS.do calls", "%d / %d", len(fake.Messages()), fake.RequestCount("sendSMS.do"))
	fig(t, "sends accepted but answer lost in the kill", "%d (held back by the proxy)", proxy.HeldBack())
	fig(t, "runs reconciled via smsList.do / found in ledger", "%d / %d (smsList.do calls: %d)",
		logCount(logs, `"reconciled":true`), logCount(logs, `"already_accepted":true`), fake.RequestCount("smsList.do"))
	var maxRestart time.Duration
	for _, in := range infos {
		maxRestart = max(maxRestart, in.restart)
	}
	fig(t, "tasks recovered after lease expiry", "%d", len(leaseRecovered(t, srv, tasks.QueueDefault)))
	fig(t, "worker restart to /readyz (max)", "%v", maxRestart.Round(time.Millisecond))
	fig(t, "last kill → all completed", "%v", (time.Since(started) - lastKill).Round(time.Second))
	fig(t, "OTPs on critical during the kills", "%d (one every %v, valid %v): %d sent once, %d expired unsent, 0 lost, 0 twice; %d calls at or after expires_at",
		otpN, otpEvery, otpValid, otpSent, otpExpired, otpLate)
	fig(t, "duration", "%v (final wait %v)", time.Since(started).Round(time.Second), waited.Round(time.Second))
}
