package e2e

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/proctest"
	"github.com/smsq/smsq/internal/redistest"
	"github.com/smsq/smsq/smsmode/smsmodetest"
	"github.com/smsq/smsq/tasks"
)

// TestSentinelFailover runs the real worker with REDIS_URL=redis-sentinel://…
// while producers enqueue a stream of sends, SIGKILLs the Redis master and
// checks that no acknowledged send is lost and none is sent twice.
//
// What "acknowledged" means. Redis replication is asynchronous: the master
// answers a write before the replica has it, and a write the killed master
// answered in the last moments before the SIGKILL can be missing from the
// replica the sentinels promote. asynq's client has no option to wait for
// replication, so a producer that must not lose work confirms it itself:
// after Enqueue succeeds, one pipeline on one connection (so on one server)
// runs EXISTS on the task's key, INCR on a barrier key and WAIT 1 100. If
// the task exists there and a replica acknowledged the barrier write (which
// comes after the task in that server's replication stream), the task is on
// two servers, and with a single replica that is the one the sentinels
// promote. Only such tasks count as acknowledged. A task an old master
// acknowledged but the promoted replica never got shows up as EXISTS = 0:
// the producer enqueues it again with the same ID, and the test counts it
// (lost_on_promotion). A probe writer (INCR every 2 ms, no WAIT) measures the
// same loss for plain writes.
//
// min-replicas-to-write / min-replicas-max-lag do not help here: they make a
// master refuse writes when no replica acknowledged anything for max-lag
// seconds, which bounds the loss of a master cut off from its replica, not
// the milliseconds a SIGKILL loses; and set on both servers (either may be
// master) they would make the promoted replica, which has no replica of its
// own until the old master returns, refuse every write. They are not used.
//
// Runtime is dominated by asynq v0.26: a task whose final state write
// (completion, retry) failed while the master was down is left "active"
// (processor.retry and markAsComplete hand the syncer a closure over a
// context they have already cancelled, so its re-tries cannot succeed) until
// the recoverer finds the expired lease: 30 s lease + 30 s grace + up to 60 s
// between recoverer runs. Such a task runs again and the ledger answers
// "already accepted": it completes without a second send.
//
// After the failover the old master is revived as a replica of the new one,
// so that WAIT 1 can succeed again; until then producers cannot get an
// acknowledgement and keep retrying (the availability cost of WAIT).
//
// The worker's own writes (ledger, task states) are not confirmed by WAIT.
// A send could be repeated only if its ledger entries (the attempt marker
// written before the call and the acceptance after it) were both lost on
// promotion, that is, for a send started within the replication lag before
// the kill. So: zero repeats for a task the replica's ledger had before the
// kill, and never more repeats than sends in flight (WORKER_CONCURRENCY).
func TestSentinelFailover(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("fails a Redis master over with sentinels, then waits for asynq's lease recovery (one to two minutes)")
	}
	const (
		concurrency = 10
		producers   = 3
		preKill     = 150 // acknowledged and delivered before the kill
		postRejoin  = 150 // acknowledged after the old master rejoined
	)
	top := redistest.StartSentinel(t)
	oldMaster := top.Master.Addr()
	fake := smsmodetest.NewServer(smsmodetest.WithLatency(20*time.Millisecond), smsmodetest.WithCredit(1e9))
	t.Cleanup(fake.Close)

	// On failure, the end of the worker's log (registered before startWorker's
	// own cleanup, so it runs after the worker is killed).
	var w *proctest.Proc
	t.Cleanup(func() {
		if t.Failed() && w != nil {
			out := w.Output()
			t.Logf("worker output (tail):\n%s", out[max(0, len(out)-8000):])
		}
	})
	w, _ = startWorker(t,
		"REDIS_URL="+top.URL(),
		"SMSMODE_BASE_URL="+fake.URL,
		"SMSMODE_ACCESS_TOKEN="+smsmodetest.AccessToken,
		fmt.Sprintf("WORKER_CONCURRENCY=%d", concurrency),
		"RETRY_BASE_DELAY=100ms", "RETRY_MAX_DELAY=1s",
	)

	connOpt, err := asynq.ParseRedisURI(top.URL())
	require.NoError(t, err)
	require.IsType(t, asynq.RedisFailoverClientOpt{}, connOpt)
	rdb := top.Client()
	enq := proctest.Enqueuer(t, rdb, 25)
	pr := &producer{enq: enq, rdb: rdb}

	// The barrier reads asynq's task key: check its layout once, so that a
	// future asynq cannot turn the test into a silent hang.
	ctx := context.Background()
	_, err = enq.Send(ctx, sendPayload("sf-probe"), tasks.WithTaskID("sf-probe"))
	require.NoError(t, err)
	require.EqualValues(t, 1, rdb.Exists(ctx, taskKey("sf-probe")).Val(), "asynq's task key layout changed: fix taskKey")
	pr.ack(ctx, "sf-probe")

	prodCtx, stopProducers := context.WithCancel(ctx)
	defer stopProducers()
	var wg sync.WaitGroup
	for p := range producers {
		wg.Go(func() { pr.run(prodCtx, p) })
	}
	probe := &probeWriter{rdb: rdb}
	wg.Go(func() { probe.run(prodCtx) })

	waitFor(t, 2*time.Minute, "sends before the kill", func() bool {
		return pr.ackedCount() >= preKill && len(fake.Messages()) >= preKill
	})

	// What the replica holds just before the kill survives the promotion.
	ledgerBefore := acceptedIDs(t, top.Replica.Client())
	sentBefore := len(fake.Messages())
	activeAtKill := top.Replica.Client().LLen(ctx, "asynq:{"+tasks.QueueDefault+"}:active").Val()
	ackedBefore := pr.ackedCount()
	killedAt := time.Now()
	top.Kill(top.Master)
	probe.markKill(time.Now())

	newMaster, err := top.WaitFailover(oldMaster, time.Minute)
	require.NoError(t, err)
	failover := time.Since(killedAt)
	require.Equal(t, top.Replica.Addr(), newMaster)

	top.Revive(top.Master)
	require.NoError(t, top.WaitReplicas(1, time.Minute))
	rejoin := time.Since(killedAt)
	ackedAtRejoin := pr.ackedCount()
	waitFor(t, 90*time.Second, "sends after the failover", func() bool {
		return pr.ackedCount() >= ackedAtRejoin+postRejoin
	})
	stopProducers()
	wg.Wait()
	firstAckAfter := pr.firstAckAfter(killedAt)

	// Every acknowledged task completes; the queue drains (tasks enqueued but
	// never acknowledged when the producers stopped are sent too).
	acked := pr.ackedIDs()
	insp := proctest.Inspector(t, rdb)
	ainsp := asynq.NewInspector(connOpt)
	t.Cleanup(func() { ainsp.Close() })
	drainStart := time.Now()
	// A task whose final state write failed during the outage sits in
	// "active" until asynq's recoverer notices its expired lease (up to two
	// minutes; see above).
	var notDone []string
	var lastProgress time.Time
	waitFor(t, 3*time.Minute, "every acknowledged task completed", func() bool {
		q, err := ainsp.GetQueueInfo(tasks.QueueDefault)
		if err != nil || q.Pending+q.Active+q.Scheduled+q.Retry+q.Aggregating > 0 {
			if err == nil && time.Since(lastProgress) > 15*time.Second {
				lastProgress = time.Now()
				t.Logf("waiting for the queue to drain: pending %d, active %d, scheduled %d, retry %d", q.Pending, q.Active, q.Scheduled, q.Retry)
			}
			return false
		}
		notDone = notDone[:0]
		for _, id := range acked {
			st, err := insp.Status(ctx, id)
			if err == nil && st.State == "archived" {
				t.Fatalf("acknowledged task %s was archived: %s", id, st.LastError)
			}
			if err != nil || st.State != "completed" {
				notDone = append(notDone, id)
			}
		}
		if len(notDone) > 0 {
			t.Logf("%d acknowledged tasks not completed yet (%v…)", len(notDone), notDone[:min(5, len(notDone))])
		}
		return len(notDone) == 0
	})
	drain := time.Since(drainStart)

	if w.Exited() {
		t.Fatalf("the worker exited during the failover:\n%s", w.Output())
	}

	rerun := 0 // acknowledged tasks run more than once (the ledger kept the second run from sending)
	for _, id := range acked {
		if st, err := insp.Status(ctx, id); err == nil && st.Attempts > 1 {
			rerun++
		}
	}
	sends := map[string]int{}
	msgs := fake.Messages()
	for _, m := range msgs {
		sends[m.RefClient]++
	}
	var dups []string
	for ref, n := range sends {
		require.True(t, strings.HasPrefix(ref, "sf-"), "unexpected refClient %q", ref)
		if n > 1 {
			dups = append(dups, fmt.Sprintf("%s×%d", ref, n))
		}
	}
	sort.Strings(dups)
	for _, id := range acked {
		require.GreaterOrEqual(t, sends[id], 1, "acknowledged task %s was never sent", id)
	}
	st := pr.stats()
	t.Logf("REDIS_URL=%s", top.URL())
	t.Logf("acknowledged (replica-confirmed) %d (%d before the kill, %d after the rejoin); enqueues answered by a master %d; enqueue errors %d; barrier retries %d",
		len(acked), ackedBefore, len(acked)-ackedAtRejoin, st.masterAcked, st.enqueueErrors, st.barrierRetries)
	t.Logf("lost on promotion: %d enqueues a master had acknowledged; probe writes lost %d of %d acknowledged",
		st.lostOnPromotion, probe.lost(), probe.acked())
	t.Logf("failover (kill → all sentinels report %s): %v; first replica-confirmed enqueue after the kill: %v; first probe write after the kill: %v; old master back as replica: %v; drain: %v",
		newMaster, failover.Round(time.Millisecond), firstAckAfter.Round(time.Millisecond),
		probe.firstAfterKill().Round(time.Millisecond), rejoin.Round(time.Millisecond), drain.Round(time.Millisecond))
	t.Logf("delivered: %d distinct tasks, %d sends (%d before the kill, replica ledger had %d); active at the kill %d; run more than once %d; duplicates: %d %v",
		len(sends), len(msgs), sentBefore, len(ledgerBefore), activeAtKill, rerun, len(dups), dups)

	for _, d := range dups {
		ref, _, _ := strings.Cut(d, "×")
		require.False(t, ledgerBefore[ref], "task %s was in the replica's ledger before the kill and was sent again", ref)
	}
	require.LessOrEqual(t, len(dups), concurrency, "more repeated sends than sends in flight at the kill")
	if len(dups) > 0 {
		t.Logf("WARNING: %d sends repeated after the failover: their ledger entries were lost with the unreplicated tail of the old master", len(dups))
	}
}

func sendPayload(id string) tasks.SendPayload {
	// Same width for every ID, so that no message text is a prefix of
	// another (the worker's reconciliation matches texts by prefix).
	return tasks.SendPayload{To: []string{"0612345678"}, Message: "sentinel test " + id + "."}
}

// taskKey is asynq v0.26's key of a task's hash (internal/base.TaskKey).
func taskKey(id string) string { return "asynq:{" + tasks.QueueDefault + "}:t:" + id }

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// acceptedIDs lists the task IDs in the ledger of the Redis behind c.
func acceptedIDs(t *testing.T, c *redis.Client) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	iter := c.Scan(context.Background(), 0, "smsq:{*}:accepted", 1000).Iterator()
	for iter.Next(context.Background()) {
		k := iter.Val()
		ids[strings.TrimSuffix(strings.TrimPrefix(k, "smsq:{"), "}:accepted")] = true
	}
	require.NoError(t, iter.Err())
	return ids
}

// producer enqueues sends and records those a replica confirmed.
type producer struct {
	enq *tasks.Enqueuer
	rdb *redis.Client

	mu              sync.Mutex
	acked           []string
	ackedAt         []time.Time
	masterAcked     int // Enqueue answered without error
	enqueueErrors   int
	barrierRetries  int
	lostOnPromotion int // confirmed by a master, missing on the server that answered the barrier
}

type producerStats struct{ masterAcked, enqueueErrors, barrierRetries, lostOnPromotion int }

func (p *producer) run(ctx context.Context, n int) {
	for i := 0; ctx.Err() == nil; i++ {
		p.ack(ctx, fmt.Sprintf("sf-%d-%05d", n, i))
		select {
		case <-ctx.Done():
		case <-time.After(5 * time.Millisecond): // pacing, not synchronisation
		}
	}
}

// ack enqueues the send id until a replica confirmed it, or ctx ends.
func (p *producer) ack(ctx context.Context, id string) {
	retry := func() {
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
	stored := false
	for ctx.Err() == nil {
		if !stored {
			// Retrying with the same ID is safe: a task that exists is
			// reported as a duplicate, not enqueued twice.
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			_, err := p.enq.Send(cctx, sendPayload(id), tasks.WithTaskID(id))
			cancel()
			if err != nil {
				p.count(&p.enqueueErrors)
				retry()
				continue
			}
			stored = true
			p.count(&p.masterAcked)
		}
		exists, replicas, err := p.barrier(ctx, id)
		switch {
		case err != nil || replicas < 1:
			p.count(&p.barrierRetries) // no answer, or no replica (yet): not acknowledged
			retry()
		case !exists:
			p.count(&p.lostOnPromotion)
			stored = false
		default:
			p.mu.Lock()
			p.acked = append(p.acked, id)
			p.ackedAt = append(p.ackedAt, time.Now())
			p.mu.Unlock()
			return
		}
	}
}

// barrier reports, from one server, whether the task exists there and how
// many replicas acknowledged a write made after it (WAIT 1 100).
func (p *producer) barrier(ctx context.Context, id string) (bool, int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	var exists, wait *redis.IntCmd
	_, err := p.rdb.Pipelined(ctx, func(pl redis.Pipeliner) error {
		exists = pl.Exists(ctx, taskKey(id))
		pl.Incr(ctx, "smsq-test:barrier")
		wait = redis.NewIntCmd(ctx, "wait", 1, 100) // WAIT 1 100 (Pipeliner has no Wait)
		_ = pl.Process(ctx, wait)
		return nil
	})
	if err != nil {
		return false, 0, err
	}
	return exists.Val() == 1, wait.Val(), nil
}

func (p *producer) count(n *int) {
	p.mu.Lock()
	*n++
	p.mu.Unlock()
}

func (p *producer) ackedCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.acked)
}

func (p *producer) ackedIDs() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.acked...)
}

func (p *producer) firstAckAfter(t0 time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, at := range p.ackedAt {
		if at.After(t0) {
			return at.Sub(t0)
		}
	}
	return -1
}

func (p *producer) stats() producerStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return producerStats{p.masterAcked, p.enqueueErrors, p.barrierRetries, p.lostOnPromotion}
}

// probeWriter INCRs a counter without WAIT: a value lower than one already
// acknowledged means writes the old master had acknowledged were lost.
// firstAfterKill is the write unavailability: from the end of the SIGKILL
// to the first successful write issued after it.
type probeWriter struct {
	rdb *redis.Client

	mu        sync.Mutex
	max       int64
	n         int64
	lostN     int64
	killedAt  time.Time
	firstSeen time.Duration
}

func (w *probeWriter) run(ctx context.Context) {
	for ctx.Err() == nil {
		start := time.Now()
		v, err := w.rdb.Incr(ctx, "smsq-test:probe").Result()
		if err == nil {
			w.mu.Lock()
			if v <= w.max {
				w.lostN += w.max - v + 1
			}
			w.max = max(w.max, v)
			w.n++
			if !w.killedAt.IsZero() && start.After(w.killedAt) && w.firstSeen == 0 {
				w.firstSeen = time.Since(w.killedAt) // issued after the master died
			}
			w.mu.Unlock()
		}
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Millisecond):
		}
	}
}

func (w *probeWriter) markKill(at time.Time) {
	w.mu.Lock()
	w.killedAt = at
	w.mu.Unlock()
}

func (w *probeWriter) lost() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lostN
}

func (w *probeWriter) acked() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

func (w *probeWriter) firstAfterKill() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.firstSeen
}
