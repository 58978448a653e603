//go:build faults

package faults

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/proctest"
	"github.com/smsq/smsq/internal/redistest"
	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/smsmode/smsmodetest"
	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/tasks/handler"
)

// Scenario 8. The webhook is unreachable for the whole run: every send
// carries a notification_url (WEBHOOK_PUBLIC_URL) whose host nobody
// listens on, so every callback the provider makes fails. Two worker pods
// share one Redis, with DLR_POLL_AFTER=2s.
//
// The load: sends to one or two recipients, voice messages and one batch.
// The provider first reports every SMS recipient "delivered to operator"
// (13, not final), and only later "received" (11, final), so polling has
// to come back after its back-off. A voice message has no operator states:
// it is "listened" (16, final) in the second phase.
//
// What must hold: every recipient's final status reaches `enqueue status`
// (the real CLI, reading what the workers stored); each status is exactly
// one sms:delivery event although two pods poll; no callback ever succeeded.
func TestNoCallbacks(t *testing.T) {
	const (
		sends  = 40
		voices = 4
		rows   = 30
		after  = 2 * time.Second
		within = 2 * time.Minute
	)
	started := time.Now()
	srv := redistest.Start(t)
	fake := smsmodetest.NewServer(smsmodetest.WithAutoDelivery(smsmode.StatusDeliveredToOperator))
	t.Cleanup(fake.Close)
	dead := proctest.FreeAddr(t) // nothing listens there for the whole run
	env := workerEnv(srv, fake.URL,
		"WEBHOOK_SECRET=no-callback-secret-2f8e1a",
		"WEBHOOK_PUBLIC_URL=http://"+dead,
		"DLR_POLL_AFTER="+after.String(),
		"DLR_POLL_UNTIL=10m",
		"RETRY_BASE_DELAY=100ms", "RETRY_MAX_DELAY=1s",
	)
	w1, _ := startWorker(t, env...)
	w2, _ := startWorker(t, env...)

	ctx := context.Background()
	enq := proctest.Enqueuer(t, srv.Client(), 5)
	recipients := map[string][]string{} // task ID → international numbers
	var sendIDs, voiceIDs []string
	for i := range sends {
		id := fmt.Sprintf("nocb-%03d", i)
		to := []string{number(i)}
		if i%3 == 0 {
			to = append(to, number(1000+i))
		}
		_, err := enq.Send(ctx, tasks.SendPayload{To: to, Message: "no callback " + id}, tasks.WithTaskID(id))
		require.NoError(t, err)
		sendIDs = append(sendIDs, id)
		for _, n := range to {
			recipients[id] = append(recipients[id], "33"+n[1:])
		}
	}
	for i := range voices {
		id := fmt.Sprintf("nocb-voice-%d", i)
		_, err := enq.Voice(ctx, tasks.VoicePayload{To: []string{number(2000 + i)}, Message: "Bonjour, ceci est un test"}, tasks.WithTaskID(id))
		require.NoError(t, err)
		voiceIDs = append(voiceIDs, id)
		recipients[id] = []string{"33" + number(2000 + i)[1:]}
	}
	batch := tasks.BatchPayload{}
	for i := range rows {
		batch.Rows = append(batch.Rows, tasks.BatchRow{To: number(3000 + i), Message: fmt.Sprintf("campagne ligne %d", i)})
	}
	chunks, err := enq.Batch(ctx, batch, tasks.WithTaskID("nocb-batch"))
	require.NoError(t, err)
	require.Len(t, chunks, 1)
	batchID := chunks[0].ID
	for i := range rows {
		recipients[batchID] = append(recipients[batchID], "33"+number(3000 + i)[1:])
	}
	waitCompleted(t, srv, tasks.QueueDefault, append(append([]string(nil), sendIDs...), voiceIDs...), within, w1)
	waitCompleted(t, srv, tasks.QueueLow, []string{batchID}, within, w1)
	total, events := 0, 0 // recipients; statuses they go through
	for id, ns := range recipients {
		total += len(ns)
		if strings.HasPrefix(id, "nocb-voice") {
			events += len(ns)
		} else {
			events += 2 * len(ns)
		}
	}

	insp := proctest.Inspector(t, srv.Client())
	// statusOf returns each recipient's stored status of task id.
	statusOf := func(id string) map[string]int {
		st, err := insp.Status(ctx, id)
		if err != nil {
			return nil
		}
		out := map[string]int{}
		for _, r := range st.Recipients {
			out[r.Number] = r.Status
		}
		return out
	}
	isVoice := map[string]bool{}
	for _, id := range voiceIDs {
		isVoice[id] = true
	}
	// allAt reports whether every SMS recipient is at sms and every voice
	// recipient at voice.
	allAt := func(sms, voice int) bool {
		for id, ns := range recipients {
			status := sms
			if isVoice[id] {
				status = voice
			}
			got := statusOf(id)
			for _, n := range ns {
				if got[n] != status {
					return false
				}
			}
		}
		return true
	}

	// Phase 1: the operator's acknowledgements (13) arrive by polling only;
	// a call not yet made is still "sent" (0).
	require.Eventually(t, func() bool { return allAt(13, 0) }, within, 250*time.Millisecond,
		"not every recipient's first status arrived by polling\nworker 1:\n%s", w1.Tail(20))
	phase1 := time.Since(started)

	// Phase 2: the handsets receive; only a later poll can tell.
	delivered := time.Now()
	for id, ns := range recipients {
		st, err := insp.Status(ctx, id)
		require.NoError(t, err)
		final := smsmode.StatusReceived
		if isVoice[id] {
			final = smsmode.StatusListened
		}
		for _, n := range ns {
			// The status is set; its callback fails.
			if err := fake.Deliver(st.Acceptance.SMSID, n, final); err != nil {
				require.ErrorContains(t, err, "connection refused", "%s %s", id, n)
			}
		}
	}
	require.Eventually(t, func() bool { return allAt(11, 16) }, within, 250*time.Millisecond,
		"not every recipient's final status arrived by polling\nworker 1:\n%s", w1.Tail(20))
	finalLag := time.Since(delivered)

	// What an operator sees: `enqueue status ID`, the real CLI.
	for id, ns := range recipients {
		code, out, errOut := run(t, env, "status", id)
		require.Equal(t, 0, code, errOut)
		want := "received [11]"
		if isVoice[id] {
			want = "listened [16]"
		}
		for _, n := range ns {
			require.Contains(t, out, fmt.Sprintf("  %-15s %s at", n, want), "task %s", id)
		}
	}

	// No callback ever got through.
	cbs := fake.Callbacks()
	require.NotEmpty(t, cbs)
	for _, cb := range cbs {
		require.Zero(t, cb.StatusCode, "a callback reached something: %+v", cb)
	}

	// Exactly one event per status and recipient, whichever pod polled.
	ainsp := asynq.NewInspector(srv.ConnOpt())
	defer ainsp.Close()
	require.Eventually(t, func() bool {
		info := queueCounts(t, ainsp, tasks.QueueEvents)
		return info.Pending+info.Active+info.Retry == 0 && info.Completed > 0
	}, within, 250*time.Millisecond)
	info := queueCounts(t, ainsp, tasks.QueueEvents)
	require.Zero(t, info.Archived)
	require.Equal(t, events, info.Completed, "one sms:delivery per SMS recipient for 13 and one for 11, one per call for 16")

	// The index is empty once every recipient is final.
	require.Eventually(t, func() bool {
		n, err := srv.Client().Exists(ctx, "smsq:dlr:new", "smsq:dlr:due").Result()
		return err == nil && n == 0
	}, within, 250*time.Millisecond, "messages still indexed for polling")

	polls := fake.RequestCount("compteRendu.do")
	messages := len(sendIDs) + len(voiceIDs) + 1
	out := w1.Output() + w2.Output()
	require.False(t, strings.Contains(out, smsmodetest.AccessToken), "the access token is in a worker log")
	require.False(t, strings.Contains(out, "no-callback-secret-2f8e1a"), "the webhook secret is in a worker log")
	fig(t, "load", "%d sends (1 or 2 recipients), %d voice, 1 batch of %d rows: %d messages, %d recipients; 2 worker pods", sends, voices, rows, messages, total)
	fig(t, "callbacks made / reached the webhook", "%d / 0", len(cbs))
	fig(t, "compteRendu.do requests", "%d (%.1f per message; two statuses per SMS, one per call)", polls, float64(polls)/float64(messages))
	fig(t, "first statuses by polling within", "%v of the start (DLR_POLL_AFTER %v; %d messages at the default bound of %d polls/s)", phase1.Round(100*time.Millisecond), after, messages, handler.DefaultPollRate)
	fig(t, "final statuses by polling within", "%v of the handsets' reception", finalLag.Round(100*time.Millisecond))
	fig(t, "sms:delivery events", "%d for %d statuses of %d recipients (no duplicate)", info.Completed, events, total)
	fig(t, "duration", "%v", time.Since(started).Round(time.Second))
}
