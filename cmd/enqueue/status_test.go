package main

import (
	"context"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/proctest"
	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/smsmode/smsmodetest"
	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/tasks/store"
)

// accept records in the ledger that sMsmode accepted task id, as the
// worker does.
func (f *fixture) accept(a store.Acceptance) {
	f.tb.Helper()
	if a.Type == "" {
		a.Type = tasks.TypeSend
	}
	if a.AcceptedAt.IsZero() {
		a.AcceptedAt = time.Now()
	}
	require.NoError(f.tb, proctest.Ledger(f.tb, f.srv.Client()).Record(context.Background(), &a))
}

func TestStatusPending(t *testing.T) {
	f := setup(t)
	requireOK(t, f.run("send", "--to", "0612345678", "--message", "x", "--id", "s1"))
	r := f.run("status", "s1")
	require.Equal(t, 0, r.code, r.stderr)
	require.Empty(t, r.stderr)
	require.Equal(t, ""+
		"ID:           s1\n"+
		"Type:         sms:send\n"+
		"Queue:        default\n"+
		"State:        pending\n"+
		"Attempts:     0 of 21\n", r.stdout)
}

func TestStatusUnknown(t *testing.T) {
	f := setup(t)
	requireFails(t, f.run("status", "nope"), 2, `no task with ID "nope"`)
	requireOK(t, f.run("send", "--to", "0612345678", "--message", "x", "--id", "s1"))
	requireFails(t, f.run("status", "s"), 2, `no task with ID "s"`)
}

func TestStatusAccepted(t *testing.T) {
	f := setup(t)
	requireOK(t, f.run("send", "--to", "0612345678,0698765432", "--message", "x", "--id", "s2"))
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	f.accept(store.Acceptance{
		TaskID: "s2", SMSID: "Q1w2E3r4", Ref: "s2", Recipients: []string{"33612345678", "33698765432"},
		Segments: 1, Encoding: "gsm", DateEnvoi: "24122026-18:30",
		SendAt:     time.Date(2026, 12, 24, 18, 30, 0, 0, paris),
		AcceptedAt: time.Date(2026, 12, 1, 10, 0, 0, 0, paris),
	})
	// One recipient has a delivery report, the other none yet.
	recipients, err := store.NewRecipientStore(f.srv.Client(), store.DefaultRecipientTTL)
	require.NoError(t, err)
	_, err = recipients.Record(context.Background(), "s2", store.RecipientState{
		SMSID: "Q1w2E3r4", Number: "33612345678", Status: 11, StatusText: "received", Final: true,
		ReceivedAt: time.Date(2026, 12, 24, 18, 31, 5, 0, paris),
	})
	require.NoError(t, err)
	r := f.run("status", "s2")
	require.Equal(t, 0, r.code, r.stderr)
	for _, want := range []string{
		"ID:           s2\n", "State:        completed\n",
		"smsID:        Q1w2E3r4\n", "Segments:     1\n", "Encoding:     gsm\n", "date_envoi:   24122026-18:30\n",
		"Accepted:     2026-12-01 10:00:00 CET\n",
		"Recipients:   2\n",
		"  33612345678     received [11] at 2026-12-24 18:31:05 +01:00\n",
		"  33698765432     no delivery report yet\n",
	} {
		require.Contains(t, r.stdout, want)
	}

	// Only the ledger remembers a task whose retention ended.
	f.accept(store.Acceptance{TaskID: "gone", SMSID: "Z9", Encoding: "unicode", Segments: 2})
	r = f.run("status", "gone")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "State:        completed")
	require.Contains(t, r.stdout, "smsID:        Z9\n")
	require.Contains(t, r.stdout, "date_envoi:   none (sent at once)\n")
	require.NotContains(t, r.stdout, "Attempts", "the queue forgot it: no attempts to show")
}

func TestStatusScheduled(t *testing.T) {
	f := setup(t)
	c := asynq.NewClientFromRedisClient(f.srv.Client())
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	_, err := c.Enqueue(asynq.NewTask(tasks.TypeSend, []byte(`{}`)), asynq.TaskID("later"), asynq.ProcessAt(at), asynq.MaxRetry(4))
	require.NoError(t, err)
	r := f.run("status", "later")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "State:        scheduled\n")
	require.Contains(t, r.stdout, "Attempts:     0 of 4\n") // MaxRetry 4 on a send keeps one in hand: 3 retries
	require.Contains(t, r.stdout, "Next attempt: 2030-01-02 04:04:05 CET\n")
}

func TestStatusBatch(t *testing.T) {
	f := setup(t)
	f.setenv("BATCH_CHUNK", "2")
	requireOK(t, f.run("batch", "--file", writeFile(t, "rows.csv", genRows(3)), "--id", "camp"))
	r := f.run("status", "camp")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "Batch camp: 2 chunks\n\nID:           camp-1\nType:         sms:batch\nQueue:        low\n")
	require.Contains(t, r.stdout, "\n\nID:           camp-2\n")

	r = f.run("status", "camp-2")
	require.Equal(t, 0, r.code, r.stderr)
	require.NotContains(t, r.stdout, "Batch")
}

func TestCancelPending(t *testing.T) {
	f := setup(t)
	requireOK(t, f.run("send", "--to", "0612345678", "--message", "x", "--id", "c1"))
	requireOK(t, f.run("send", "--to", "0612345678", "--message", "y", "--id", "c2"))
	r := f.run("cancel", "c1")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "c1: "+string(tasks.CancelledInQueue)+"\n", r.stdout)
	require.Empty(t, r.stderr)
	require.Equal(t, "c2", f.only().ID, "c1 is gone from its queue, c2 stays")

	r = f.run("cancel", "c1")
	require.Equal(t, 0, r.code, "cancelling again is done: %s", r.stderr)
	require.Equal(t, "c1: "+string(tasks.AlreadyCancelled)+"\n", r.stdout)
	r = f.run("status", "c1")
	require.Equal(t, 0, r.code, r.stderr)
	require.Contains(t, r.stdout, "State:        cancelled\n")
	require.Contains(t, r.stdout, "Cancelled:    ")
	requireFails(t, f.run("cancel", "unknown"), 2, `no task with ID "unknown"`)
}

func TestCancelBatch(t *testing.T) {
	f := setup(t)
	f.setenv("BATCH_CHUNK", "2")
	requireOK(t, f.run("batch", "--file", writeFile(t, "rows.csv", genRows(5)), "--id", "camp"))
	requireOK(t, f.run("send", "--to", "0612345678", "--message", "x", "--id", "other"))
	r := f.run("cancel", "camp")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "camp-1: "+string(tasks.CancelledInQueue)+"\n"+
		"camp-2: "+string(tasks.CancelledInQueue)+"\n"+
		"camp-3: "+string(tasks.CancelledInQueue)+"\n", r.stdout)
	require.Equal(t, "other", f.only().ID)
}

func TestCancelRefused(t *testing.T) {
	f := setup(t)
	requireOK(t, f.run("send", "--to", "0612345678", "--message", "x", "--id", "now"))
	f.accept(store.Acceptance{TaskID: "now", SMSID: "A1", Encoding: "gsm", Segments: 1})
	requireFails(t, f.run("cancel", "now"), 2, "now: cannot cancel:", "immediate", "A1")
	require.Equal(t, "now", f.only().ID)

	// sMsmode holds it, there are no credentials here: a worker is asked to
	// cancel it, and none answers in time (retry later).
	f.accept(store.Acceptance{TaskID: "held", SMSID: "B2", Encoding: "gsm", Segments: 1,
		DateEnvoi: "24122036-18:30", SendAt: time.Now().Add(24 * time.Hour)})
	f.setenv("SMSMODE_TIMEOUT", "1s")
	requireFails(t, f.run("cancel", "held"), 1, "cannot cancel:", "handed to the workers")
}

func TestCancelAtProvider(t *testing.T) {
	f := setup(t)
	fake := smsmodetest.NewServer()
	t.Cleanup(fake.Close)
	sendAt := time.Now().Add(2 * time.Hour).Truncate(time.Minute)
	res, err := fake.Client().SendSMS(t.Context(), &smsmode.SMS{Numbers: []string{"33612345678"}, Message: "plus tard", SendAt: sendAt})
	require.NoError(t, err)
	requireOK(t, f.run("send", "--to", "0612345678", "--message", "plus tard", "--id", "held"))
	f.accept(store.Acceptance{TaskID: "held", SMSID: res.SMSID, Encoding: "gsm", Segments: 1,
		DateEnvoi: sendAt.In(fake.Location()).Format("02012006-15:04"), SendAt: sendAt})

	f.setenv("SMSMODE_BASE_URL", fake.URL)
	f.setenv("SMSMODE_ACCESS_TOKEN", smsmodetest.AccessToken)
	r := f.run("cancel", "held")
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, "held: "+string(tasks.CancelledAtProvider)+"\n", r.stdout)
	m, ok := fake.Message(res.SMSID)
	require.True(t, !ok || m.Deleted, "deleteSMS.do reached the provider")
	f.requireNothingEnqueued()
}
