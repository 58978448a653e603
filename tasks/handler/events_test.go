package handler_test

import (
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
	return b
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
	require.NoError(t, b.ledger.Record(context.Background(), &store.Acceptance{TaskID: "late-1", SMSID: "S1", AcceptedAt: time.Now()}))
	h := b.newEventHandler(t, nil)
	p := report("33612345678", smsmode.StatusDelivered, 0)
	p.TaskID = ""
	require.NoError(t, h.ProcessDelivery(context.Background(), deliveryTask(t, p)))
	require.Equal(t, 14, b.statusOf(t, "late-1", "33612345678").Status)
}

func TestEventHandlerUnknownTaskKeyedBySMSID(t *testing.T) {
	b := setupEvents(t)
	h := b.newEventHandler(t, nil)
	p := report("33612345678", smsmode.StatusDelivered, 0)
	p.TaskID = ""
	require.NoError(t, h.ProcessDelivery(context.Background(), deliveryTask(t, p)))
	require.Equal(t, 14, b.statusOf(t, "", "33612345678", "S1").Status)
}

func TestEventHandlerForwardsReply(t *testing.T) {
	b := setupEvents(t)
	ft := newForwardTarget(t)
	h := b.newEventHandler(t, newForwarder(t, ft.URL))
	p := tasks.ReplyPayload{SMSID: "S1", From: "33601020304", To: "36034", Message: "été", ReceivedAt: t0, ResponseID: "r1"}
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
}

func TestEventHandlerWithoutForwarder(t *testing.T) {
	b := setupEvents(t)
	h := b.newEventHandler(t, nil)
	require.NoError(t, h.ProcessDelivery(context.Background(), deliveryTask(t, report("33612345678", 11, 0))))
	require.NoError(t, h.ProcessReply(context.Background(), asynq.NewTask(tasks.TypeReply, []byte(`{"from":"33601020304","to":"36034","message":""}`))))
	require.Equal(t, 11, b.statusOf(t, "send-1", "33612345678").Status)
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
