//go:build faults

package faults

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/proctest"
	"github.com/smsq/smsq/internal/redistest"
	"github.com/smsq/smsq/smsmode/smsmodetest"
	"github.com/smsq/smsq/tasks"
)

// Scenario 4. Provider calls time out and connections drop mid-response,
// with SMSMODE_TIMEOUT=1s:
//
//   - phase A, 10 s: the fake answers after 2 s, so every call (sendSMS.do
//     and smsList.do alike) times out after the request was written: the
//     outcome is unknown (smsmode.IsAmbiguous). The fake spends its latency
//     before processing and drops a request whose client left, so none of
//     these sends was in fact accepted.
//   - phase B: latency back to 50 ms; the next 10 sendSMS.do connections are
//     closed unanswered before processing (DropNext: nothing accepted), the
//     10 after that are processed — accepted and charged — and then closed
//     unanswered (DropAfterAccept: accepted, the worker cannot know).
//
// What smsq does (README, "What happens to a send"): before every call it
// marks the task in flight in the acceptance ledger; an error the provider
// certainly answered clears the mark, an ambiguous one (timeout or cut
// after the request was written) keeps it. The retry then first lists the
// provider's recent sends (smsList.do) and adopts a message with the same
// recipient and text sent since the first unanswered call ("reconciled"),
// and only sends again when there is none. Expected with the fake: every
// task completes, the DropAfterAccept sends are adopted instead of sent
// twice, 0 duplicates.
func TestProviderTimeoutsAndDrops(t *testing.T) {
	const (
		n      = 200
		rate   = 10 // per second: 20 s of load
		before = 3 * time.Second
		slow   = 10 * time.Second
		drops  = 10
		finish = 2 * time.Minute
	)
	started := time.Now()
	srv := redistest.Start(t)
	fake := smsmodetest.NewServer(smsmodetest.WithLatency(50 * time.Millisecond))
	t.Cleanup(fake.Close)
	w, _ := startWorker(t, workerEnv(srv, fake.URL,
		"SMSMODE_TIMEOUT=1s",
		"WORKER_CONCURRENCY=10",
		"RETRY_BASE_DELAY=100ms", "RETRY_MAX_DELAY=2s",
	)...)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var acked idList
	enq := proctest.Enqueuer(t, srv.Client(), 100)
	prodDone := produce(ctx, enq, "timeout", n, time.Second/rate, &acked)

	time.Sleep(before) // normal traffic first (pacing)
	// Phase A: every call times out after the request was written.
	reqA := fake.RequestCount("sendSMS.do")
	listA := fake.RequestCount("smsList.do")
	msgsA := len(fake.Messages())
	fake.SetLatency(2 * time.Second)
	time.Sleep(slow)
	fake.SetLatency(50 * time.Millisecond)
	timedOut := fake.RequestCount("sendSMS.do") - reqA
	listTimedOut := fake.RequestCount("smsList.do") - listA
	// Requests already waiting out the 2 s latency may still finish as
	// timeouts; none of them is accepted (the client is gone).
	acceptedDuringA := len(fake.Messages()) - msgsA

	// Phase B: drops before processing, then after accepting.
	reqB := fake.RequestCount("sendSMS.do")
	fake.DropNext("sendSMS.do", drops)
	fake.DropAfterAccept("sendSMS.do", drops)
	require.Eventually(t, func() bool { return fake.RequestCount("sendSMS.do")-reqB >= 2*drops },
		time.Minute, 50*time.Millisecond, "the scripted drops were never consumed")
	require.NoError(t, <-prodDone)
	ids := acked.all()
	waited := waitCompleted(t, srv, tasks.QueueDefault, ids, finish, w)

	// The sends accepted while their connection was cut: messages whose
	// smsID no answer ever carried (the worker can only have adopted them).
	answered := map[string]bool{}
	for _, r := range fake.Requests() {
		if r.Endpoint == "sendSMS.do" && r.Status != 0 {
			answered[string(r.Response)] = true
		}
	}
	var cutAfterAccept []string
	for _, m := range fake.Messages() {
		seen := false
		for resp := range answered {
			if strings.Contains(resp, m.SMSID) {
				seen = true
				break
			}
		}
		if !seen {
			cutAfterAccept = append(cutAfterAccept, m.RefClient)
		}
	}

	sends := sendsByRef(fake)
	dupIDs, extra := duplicates(sends)
	ledger := proctest.Ledger(t, srv.Client())
	reconciled := 0
	for _, id := range ids {
		a, err := ledger.Lookup(context.Background(), id)
		require.NoError(t, err)
		require.NotNil(t, a, "task %s completed without an acceptance", id)
		if a.Reconciled {
			reconciled++
		}
	}
	adoptedCut := 0
	for _, id := range cutAfterAccept {
		if a, _ := ledger.Lookup(context.Background(), id); a != nil && a.Reconciled {
			adoptedCut++
		}
	}
	out := w.Output()
	t.Log("behaviour: before each sendSMS.do the worker marks the task in flight in the ledger; a code answer clears the mark, " +
		"a timeout or cut after the request was written keeps it; the retry lists smsList.do first and adopts a message with " +
		"the same recipient and text sent since the first unanswered call, and sends again only when there is none")
	fig(t, "load", "%d tasks at %d/s, SMSMODE_TIMEOUT=1s", n, rate)
	fig(t, "phase A (latency 2 s for 10 s)", "%d sendSMS.do and %d smsList.do calls timed out; %d accepted", timedOut, listTimedOut, acceptedDuringA)
	fig(t, "phase B", "%d connections dropped before processing, %d after accepting (%d messages no answer carried)", drops, drops, len(cutAfterAccept))
	fig(t, "acceptances adopted from smsList.do (reconciled)", "%d in all; %d of the %d accepted-then-cut sends", reconciled, adoptedCut, len(cutAfterAccept))
	fig(t, "smsList.do calls", "%d", fake.RequestCount("smsList.do"))
	fig(t, "provider messages / sendSMS.do calls", "%d / %d", len(fake.Messages()), fake.RequestCount("sendSMS.do"))
	fig(t, "lost tasks", "0 of %d", len(ids))
	fig(t, "duplicate provider sends", "%d %v", extra, dupIDs)
	fig(t, "worker log: task will retry", "%d", logCount(out, `"msg":"task will retry"`))
	fig(t, "duration", "%v (final wait %v)", time.Since(started).Round(time.Second), waited.Round(time.Second))

	// Asserted after printing: the figures matter most when this fails.
	require.Empty(t, dupIDs, "messages sent twice")
	for _, id := range ids {
		require.Equal(t, 1, sends[id], "task %s", id)
	}
	require.Len(t, cutAfterAccept, drops, "messages accepted without an answer")
	require.Equal(t, drops, adoptedCut, "every send accepted before its connection was cut is adopted, not sent again")
}
