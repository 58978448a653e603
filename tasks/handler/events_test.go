package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/event"
	"github.com/smsq/smsq/internal/redistest"
	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/tasks/handler"
	"github.com/smsq/smsq/tasks/store"
)

// eventsBundle is what the events tests need: a private Redis with the
// recipient store and the ledger in it.
type eventsBundle struct {
	redis  *redistest.Server
	rdb    *redis.Client
	store  *store.RecipientStore
	ledger *store.Ledger
	client *asynq.Client
	insp   *asynq.Inspector
}

func setupEvents(t *testing.T) *eventsBundle {
	t.Helper()
	t.Parallel()
	srv := redistest.Start(t)
	b := &eventsBundle{redis: srv, rdb: srv.Client()}
	var err error
	b.store, err = store.NewRecipientStore(b.rdb, time.Hour)
	require.NoError(t, err)
	b.ledger, err = store.NewLedger(b.rdb, store.DefaultLedgerTTL)
	require.NoError(t, err)
	b.client = asynq.NewClientFromRedisClient(b.rdb)
	b.insp = asynq.NewInspectorFromRedisClient(b.rdb)
	// What the sender records when the provider accepts "send-1".
	b.accept(t, "send-1", "S1", "33612345678", "33612345679")
	return b
}

// accept records the provider's acceptance of a send in the ledger, as
// the sender does.
func (b *eventsBundle) accept(t *testing.T, taskID, smsID string, numbers ...string) {
	t.Helper()
	require.NoError(t, b.ledger.Record(context.Background(), &store.Acceptance{
		TaskID: taskID, Type: tasks.TypeSend, SMSID: smsID, Recipients: numbers, AcceptedAt: time.Now(),
	}))
}

// newEventHandler is the events handler over b's Redis, forwarding to f (nil: none).
func (b *eventsBundle) newEventHandler(t *testing.T, f *handler.Forwarder) *handler.EventHandler {
	t.Helper()
	h, err := handler.NewEventHandler(handler.EventConfig{Store: b.store, Ledger: b.ledger, Forwarder: f})
	require.NoError(t, err)
	return h
}

var t0 = time.Date(2026, 7, 14, 10, 30, 0, 0, smsmode.DefaultLocation())

// report is a delivery report of task "send-1" / smsID "S1" at t0+sec.
func report(to string, status smsmode.Status, sec int) tasks.DeliveryPayload {
	return tasks.DeliveryPayload{
		SMSID: "S1", To: to, Status: int(status), StatusText: status.String(), Final: status.Final(),
		ReceivedAt: t0.Add(time.Duration(sec) * time.Second), TaskID: "send-1", MCCMNC: "20801", Cost: "1",
	}
}

func (b *eventsBundle) statusOf(t *testing.T, taskID, number string, smsIDs ...string) store.RecipientState {
	t.Helper()
	rs, err := b.store.Recipients(context.Background(), taskID, smsIDs...)
	require.NoError(t, err)
	for _, r := range rs {
		if r.Number == number {
			return r
		}
	}
	t.Fatalf("no state for %s in %+v", number, rs)
	return store.RecipientState{}
}

// statusKeys lists every recipient-status key in b's Redis.
func (b *eventsBundle) statusKeys(t *testing.T) []string {
	t.Helper()
	keys, err := b.rdb.Keys(context.Background(), "*recipients*").Result()
	require.NoError(t, err)
	return keys
}

// run runs task through the Logging middleware and h, and returns the
// handler's error and the run's log line.
func run(t *testing.T, h *handler.EventHandler, task *asynq.Task) (string, error) {
	t.Helper()
	var buf bytes.Buffer
	mux := asynq.NewServeMux()
	mux.Use(handler.Logging(slog.New(slog.NewTextHandler(&buf, nil))))
	h.Register(mux)
	err := mux.ProcessTask(context.Background(), task)
	return buf.String(), err
}

func TestNewEventHandlerRefusesMissingDependencies(t *testing.T) {
	t.Parallel()
	_, err := handler.NewEventHandler(handler.EventConfig{})
	require.Error(t, err)
}

func deliveryTask(t *testing.T, p tasks.DeliveryPayload) *asynq.Task {
	t.Helper()
	b, err := json.Marshal(p)
	require.NoError(t, err)
	return asynq.NewTask(tasks.TypeDelivery, b)
}

func TestEventHandlerRecordsAndForwardsDelivery(t *testing.T) {
	b := setupEvents(t)
	ft := newForwardTarget(t)
	h := b.newEventHandler(t, newForwarder(t, ft.URL))
	task := deliveryTask(t, report("33612345678", smsmode.StatusReceived, 0))

	for range 2 { // idempotent
		require.NoError(t, h.ProcessDelivery(context.Background(), task))
	}
	require.Equal(t, 11, b.statusOf(t, "send-1", "33612345678").Status)
	got := ft.received()
	require.Len(t, got, 2)
	require.Equal(t, got[0].Body, got[1].Body, "the same event twice")
}

func TestEventHandlerResolvesTaskFromLedger(t *testing.T) {
	b := setupEvents(t)
	b.accept(t, "late-1", "S9", "33612345678")
	h := b.newEventHandler(t, nil)
	p := report("33612345678", smsmode.StatusDelivered, 0)
	p.SMSID, p.TaskID = "S9", ""
	require.NoError(t, h.ProcessDelivery(context.Background(), deliveryTask(t, p)))
	require.Equal(t, 14, b.statusOf(t, "late-1", "33612345678").Status)
}

func TestEventHandlerForwardsReply(t *testing.T) {
	b := setupEvents(t)
	ft := newForwardTarget(t)
	h := b.newEventHandler(t, newForwarder(t, ft.URL))
	p := tasks.ReplyPayload{SMSID: "S1", From: "33612345678", To: "36034", Message: "été", ReceivedAt: t0, ResponseID: "r1", TaskID: "send-1"}
	raw, _ := json.Marshal(p)
	require.NoError(t, h.ProcessReply(context.Background(), asynq.NewTask(tasks.TypeReply, raw)))
	got := ft.received()
	require.Len(t, got, 1)
	var ev struct {
		Type string             `json:"type"`
		Data tasks.ReplyPayload `json:"data"`
	}
	require.NoError(t, json.Unmarshal(got[0].Body, &ev))
	require.Equal(t, tasks.TypeReply, ev.Type)
	require.Equal(t, "été", ev.Data.Message)
	require.Equal(t, "send-1", ev.Data.TaskID)
}

func TestEventHandlerWithoutForwarder(t *testing.T) {
	b := setupEvents(t)
	h := b.newEventHandler(t, nil)
	require.NoError(t, h.ProcessDelivery(context.Background(), deliveryTask(t, report("33612345678", 11, 0))))
	require.NoError(t, h.ProcessReply(context.Background(), asynq.NewTask(tasks.TypeReply, []byte(`{"sms_id":"S1","from":"33612345678","to":"36034","message":""}`))))
	require.Equal(t, 11, b.statusOf(t, "send-1", "33612345678").Status)
}

// The black-box review posted callbacks for smsIDs smsq never sent: each
// became a 30-day status key, and a reply "STOP" reached the application
// signed. Now neither changes a status nor is forwarded, with or without a
// task in the path, and the event completes (nothing to retry).
func TestEventHandlerForgedUnknownSMSID(t *testing.T) {
	b := setupEvents(t)
	ft := newForwardTarget(t)
	h := b.newEventHandler(t, newForwarder(t, ft.URL))
	for _, claimed := range []string{"", "send-1", "no-such-task"} {
		p := report("33699999999", smsmode.StatusReceived, 0)
		p.SMSID, p.TaskID = "FORGED1", claimed
		line, err := run(t, h, deliveryTask(t, p))
		require.NoError(t, err, claimed)
		require.Contains(t, line, "verified=false", claimed)
		require.Contains(t, line, `unverified_reason="sms_id unknown`, claimed)

		r := tasks.ReplyPayload{SMSID: "FORGED2", From: "33612345678", To: "36034", Message: "STOP", ReceivedAt: t0, TaskID: claimed}
		raw, _ := json.Marshal(r)
		line, err = run(t, h, asynq.NewTask(tasks.TypeReply, raw))
		require.NoError(t, err, claimed)
		require.Contains(t, line, "verified=false", claimed)
	}
	// A reply naming no message cannot be attributed either.
	line, err := run(t, h, asynq.NewTask(tasks.TypeReply, []byte(`{"from":"33612345678","to":"36034","message":"STOP"}`)))
	require.NoError(t, err)
	require.Contains(t, line, `unverified_reason="no sms_id`)

	require.Empty(t, b.statusKeys(t), "no status key")
	require.Empty(t, ft.received(), "nothing forwarded")
}

// A real smsID with a number the send never went to (the review's 2,000
// callbacks would otherwise add 2,000 fields to one task's hash).
func TestEventHandlerNumberNotARecipient(t *testing.T) {
	b := setupEvents(t)
	ft := newForwardTarget(t)
	h := b.newEventHandler(t, newForwarder(t, ft.URL))
	line, err := run(t, h, deliveryTask(t, report("33600000000", smsmode.StatusReceived, 0)))
	require.NoError(t, err)
	require.Contains(t, line, `unverified_reason="number is not a recipient of the send"`)
	raw, _ := json.Marshal(tasks.ReplyPayload{SMSID: "S1", From: "33600000000", To: "36034", Message: "STOP", ReceivedAt: t0})
	_, err = run(t, h, asynq.NewTask(tasks.TypeReply, raw))
	require.NoError(t, err)
	require.Empty(t, b.statusKeys(t))
	require.Empty(t, ft.received())
}

// The path's task is a claim: the ledger's owner of the smsID wins. A
// forged copy of a genuine report under another task's path is recorded
// and forwarded as the genuine one would be, so that the genuine one,
// which has the same content-derived event ID, loses nothing by being
// its duplicate.
func TestEventHandlerPathTaskMustOwnSMSID(t *testing.T) {
	b := setupEvents(t)
	b.accept(t, "send-2", "S2", "33612345678")
	ft := newForwardTarget(t)
	h := b.newEventHandler(t, newForwarder(t, ft.URL))
	for i, claimed := range []string{"send-2", "no-such-task"} {
		p := report("33612345678", smsmode.StatusDeliveredToOperator, i)
		p.TaskID = claimed
		line, err := run(t, h, deliveryTask(t, p))
		require.NoError(t, err)
		require.Contains(t, line, "send_task_id=send-1")
		require.Contains(t, line, "claimed_task_id="+claimed)
	}
	require.Equal(t, 13, b.statusOf(t, "send-1", "33612345678").Status)
	rs, err := b.store.Recipients(context.Background(), "send-2")
	require.NoError(t, err)
	require.Empty(t, rs, "nothing recorded under the claimed task")
	for _, got := range ft.received() {
		var ev struct{ Data tasks.DeliveryPayload }
		require.NoError(t, json.Unmarshal(got.Body, &ev))
		require.Equal(t, "send-1", ev.Data.TaskID)
	}
	require.Len(t, ft.received(), 2)
}

// Numbers in another form than the recipients' are recorded under the
// recipient's; a group send (numbers unknown) takes any number.
func TestEventHandlerRecipientForms(t *testing.T) {
	b := setupEvents(t)
	b.accept(t, "group-1", "G1") // a send to a contact group
	h := b.newEventHandler(t, nil)
	for _, c := range []struct{ smsID, task, number, want string }{
		{"S1", "send-1", "0612345679", "33612345679"},
		{"S1", "send-1", "0033612345678", "33612345678"},
		{"G1", "group-1", "33698765432", "33698765432"},
	} {
		p := report(c.number, smsmode.StatusReceived, 0)
		p.SMSID, p.TaskID = c.smsID, c.task
		require.NoError(t, h.ProcessDelivery(context.Background(), deliveryTask(t, p)))
		require.Equal(t, 11, b.statusOf(t, c.task, c.want).Status, c.number)
	}
}

// A report dated far ahead would outrank every later report of its rank.
func TestEventHandlerDropsReportsFromTheFuture(t *testing.T) {
	b := setupEvents(t)
	h := b.newEventHandler(t, nil)
	p := report("33612345678", smsmode.StatusReceived, 0)
	p.ReceivedAt = time.Now().Add(48 * time.Hour)
	line, err := run(t, h, deliveryTask(t, p))
	require.NoError(t, err)
	require.Contains(t, line, `unverified_reason="received_at is more than a day ahead"`)
	require.Empty(t, b.statusKeys(t))
	// A few hours ahead (a provider clock or zone off) is still applied.
	p.ReceivedAt = time.Now().Add(3 * time.Hour)
	require.NoError(t, h.ProcessDelivery(context.Background(), deliveryTask(t, p)))
	require.Equal(t, 11, b.statusOf(t, "send-1", "33612345678").Status)
}

// The review's forged statut=2, dated after the real received [11], for a
// real smsID and number: nothing tells it from a genuine report, but it
// outranks nothing, so the status stays. Like every report (reports come
// out of order) it is forwarded; the application ranks them as the store
// does.
func TestEventHandlerForgedLaterFailure(t *testing.T) {
	b := setupEvents(t)
	ft := newForwardTarget(t)
	h := b.newEventHandler(t, newForwarder(t, ft.URL))
	require.NoError(t, h.ProcessDelivery(context.Background(), deliveryTask(t, report("33612345678", smsmode.StatusReceived, 10))))
	line, err := run(t, h, deliveryTask(t, report("33612345678", smsmode.StatusInternalError, 3600)))
	require.NoError(t, err)
	require.Contains(t, line, "status_applied=false")
	require.Equal(t, 11, b.statusOf(t, "send-1", "33612345678").Status)
	require.Len(t, ft.received(), 2)
}

func TestEventHandlerInvalidPayloadSkipsRetry(t *testing.T) {
	b := setupEvents(t)
	h := b.newEventHandler(t, nil)
	for _, c := range []struct {
		task *asynq.Task
		want string
	}{
		{asynq.NewTask(tasks.TypeDelivery, []byte(`{not json`)), "invalid payload of sms:delivery: not the JSON"},
		{asynq.NewTask(tasks.TypeDelivery, []byte(`{"sms_id":"S1","status":"eleven"}`)), "invalid payload of sms:delivery"},
		{asynq.NewTask(tasks.TypeDelivery, []byte(`{"to":"33612345678"}`)), "sms_id is missing"},
		{asynq.NewTask(tasks.TypeDelivery, []byte(`{"sms_id":"S1"}`)), "to is missing"},
		{asynq.NewTask(tasks.TypeReply, []byte(`[]`)), "invalid payload of sms:reply: not the JSON"},
		{asynq.NewTask(tasks.TypeReply, []byte(`{"to":"36034"}`)), "from is missing"},
	} {
		var err error
		if c.task.Type() == tasks.TypeDelivery {
			err = h.ProcessDelivery(context.Background(), c.task)
		} else {
			err = h.ProcessReply(context.Background(), c.task)
		}
		require.ErrorIs(t, err, asynq.SkipRetry, string(c.task.Payload()))
		require.ErrorContains(t, err, c.want)
	}
}

func TestEventHandlerRedisFailureIsRetried(t *testing.T) {
	b := setupEvents(t)
	h := b.newEventHandler(t, nil)
	b.redis.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := h.ProcessDelivery(ctx, deliveryTask(t, report("33612345678", 11, 0)))
	require.Error(t, err)
	require.False(t, errors.Is(err, asynq.SkipRetry))
}

// startEventWorker runs an asynq server on the events queue with h.
func (b *eventsBundle) startEventWorker(t *testing.T, h *handler.EventHandler) {
	t.Helper()
	mux := asynq.NewServeMux()
	mux.Use(handler.Logging(slog.New(slog.NewTextHandler(io.Discard, nil))))
	h.Register(mux)
	srv := asynq.NewServerFromRedisClient(b.rdb, asynq.Config{
		Concurrency:              4,
		Queues:                   map[string]int{tasks.QueueEvents: 1},
		RetryDelayFunc:           func(int, error, *asynq.Task) time.Duration { return 10 * time.Millisecond },
		TaskCheckInterval:        10 * time.Millisecond,
		DelayedTaskCheckInterval: 50 * time.Millisecond,
		ShutdownTimeout:          5 * time.Second,
		LogLevel:                 asynq.FatalLevel,
	})
	require.NoError(t, srv.Start(mux))
	t.Cleanup(srv.Shutdown)
}

// waitTask polls until the events task id satisfies ok (or 20 s pass).
func (b *eventsBundle) waitTask(t *testing.T, id string, ok func(*asynq.TaskInfo) bool) *asynq.TaskInfo {
	t.Helper()
	var ti *asynq.TaskInfo
	require.Eventually(t, func() bool {
		info, err := b.insp.GetTaskInfo(tasks.QueueEvents, id)
		if err == nil && ok(info) {
			ti = info
			return true
		}
		return false
	}, 20*time.Second, 10*time.Millisecond, "task %s: condition not met in time", id)
	return ti
}

func TestEventWorkerArchivesInvalidPayloadAndRetriesForwarding(t *testing.T) {
	b := setupEvents(t)
	ft := newForwardTarget(t, http.StatusInternalServerError, http.StatusServiceUnavailable)
	b.startEventWorker(t, b.newEventHandler(t, newForwarder(t, ft.URL)))

	opts := []asynq.Option{asynq.Queue(tasks.QueueEvents), asynq.MaxRetry(5), asynq.Retention(time.Hour)}
	_, err := b.client.Enqueue(asynq.NewTask(tasks.TypeDelivery, []byte(`{oops`)), append(opts, asynq.TaskID("bad"))...)
	require.NoError(t, err)
	ti := b.waitTask(t, "bad", func(ti *asynq.TaskInfo) bool { return ti.State == asynq.TaskStateArchived })
	require.Zero(t, ti.Retried)
	require.Contains(t, ti.LastErr, "invalid payload of sms:delivery")

	_, err = b.client.Enqueue(deliveryTask(t, report("33612345678", 11, 0)), append(opts, asynq.TaskID("dlr:good"))...)
	require.NoError(t, err)
	ti = b.waitTask(t, "dlr:good", func(ti *asynq.TaskInfo) bool { return ti.State == asynq.TaskStateCompleted })
	require.Equal(t, 2, ti.Retried)
	require.Len(t, ft.received(), 3)
	require.Equal(t, 11, b.statusOf(t, "send-1", "33612345678").Status)
	var ev event.Envelope
	require.NoError(t, json.Unmarshal(ft.received()[2].Body, &ev))
	require.Equal(t, "dlr:good", ev.ID)
}

// A callback can overtake the ledger write of its own send: the event is
// retried while its smsID is unknown, and applied once the acceptance is
// recorded; one whose smsID never appears completes unapplied after four
// retries, never archived.
func TestEventWorkerWaitsForTheLedger(t *testing.T) {
	b := setupEvents(t)
	ft := newForwardTarget(t)
	b.startEventWorker(t, b.newEventHandler(t, newForwarder(t, ft.URL)))
	opts := []asynq.Option{asynq.Queue(tasks.QueueEvents), asynq.MaxRetry(20), asynq.Retention(time.Hour)}

	early := report("33612345678", smsmode.StatusReceived, 0)
	early.SMSID, early.TaskID = "S-LATE", "send-late"
	_, err := b.client.Enqueue(deliveryTask(t, early), append(opts, asynq.TaskID("dlr:early"))...)
	require.NoError(t, err)
	b.waitTask(t, "dlr:early", func(ti *asynq.TaskInfo) bool { return ti.Retried >= 1 })
	b.accept(t, "send-late", "S-LATE", "33612345678")
	ti := b.waitTask(t, "dlr:early", func(ti *asynq.TaskInfo) bool { return ti.State == asynq.TaskStateCompleted })
	require.LessOrEqual(t, ti.Retried, 4)
	require.Equal(t, 11, b.statusOf(t, "send-late", "33612345678").Status)
	require.Len(t, ft.received(), 1)

	forged := report("33612345678", smsmode.StatusReceived, 0)
	forged.SMSID, forged.TaskID = "NEVER", "send-late"
	_, err = b.client.Enqueue(deliveryTask(t, forged), append(opts, asynq.TaskID("dlr:forged"))...)
	require.NoError(t, err)
	ti = b.waitTask(t, "dlr:forged", func(ti *asynq.TaskInfo) bool { return ti.State == asynq.TaskStateCompleted })
	require.Equal(t, 4, ti.Retried)
	require.Len(t, ft.received(), 1, "the forged report was not forwarded")
	require.Len(t, b.statusKeys(t), 1, "only send-late's")

	// With MAX_RETRY=0 there is no retry to wait with: dropped at once.
	_, err = b.client.Enqueue(deliveryTask(t, forged), asynq.Queue(tasks.QueueEvents), asynq.MaxRetry(0), asynq.Retention(time.Hour), asynq.TaskID("dlr:forged0"))
	require.NoError(t, err)
	ti = b.waitTask(t, "dlr:forged0", func(ti *asynq.TaskInfo) bool { return ti.State == asynq.TaskStateCompleted })
	require.Zero(t, ti.Retried)
}
