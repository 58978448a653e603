package webhook_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/event"
	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/smsmode/smsmodetest"
	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/tasks/handler"
	"github.com/smsq/smsq/tasks/store"
	"github.com/smsq/smsq/webhook"
)

const signingSecret = "whsec-e2e-9f8e7d"

// app is the application behind EVENTS_FORWARD_URL: it verifies every
// signature and answers the scripted statuses, then 200.
type app struct {
	*httptest.Server
	mu     sync.Mutex
	script []int
	events []appEvent
}

type appEvent struct {
	event.Envelope
	Answered int
	SigErr   error
}

func newApp(t *testing.T) *app {
	a := &app{}
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ev := appEvent{SigErr: event.Verify(signingSecret, r.Header.Get(event.HeaderTimestamp),
			r.Header.Get(event.HeaderSignature), body, time.Minute, time.Now())}
		_ = json.Unmarshal(body, &ev.Envelope)
		a.mu.Lock()
		ev.Answered = http.StatusOK
		if ev.SigErr != nil {
			ev.Answered = http.StatusUnauthorized
		} else if len(a.script) > 0 {
			ev.Answered, a.script = a.script[0], a.script[1:]
		}
		a.events = append(a.events, ev)
		a.mu.Unlock()
		w.WriteHeader(ev.Answered)
	}))
	t.Cleanup(a.Close)
	return a
}

func (a *app) fail(statuses ...int) {
	a.mu.Lock()
	a.script = append(a.script, statuses...)
	a.mu.Unlock()
}

func (a *app) received() []appEvent {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]appEvent(nil), a.events...)
}

// eventually polls cond every 10 ms until it holds or 20 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The whole chain in one process: fake sMsmode → webhook over HTTP → events
// queue in Redis → asynq server with the EventHandler → RecipientStore and a
// signed POST to the application, retried while the application fails.
func TestEndToEndCallbacksToStoreAndForward(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	application := newApp(t)
	fwd, err := handler.NewForwarder(application.URL+"/smsq/events", signingSecret)
	require.NoError(t, err)
	recipients, err := store.NewRecipientStore(b.rdb, store.DefaultRecipientTTL)
	require.NoError(t, err)

	mux := asynq.NewServeMux()
	mux.Use(handler.Logging(slog.New(slog.NewTextHandler(io.Discard, nil))))
	events, err := handler.NewEventHandler(handler.EventConfig{Store: recipients, Forwarder: fwd, Ledger: b.ledger})
	require.NoError(t, err)
	events.Register(mux)
	worker := asynq.NewServerFromRedisClient(b.rdb, asynq.Config{
		Concurrency:              4,
		Queues:                   map[string]int{tasks.QueueEvents: 1},
		RetryDelayFunc:           func(int, error, *asynq.Task) time.Duration { return 20 * time.Millisecond },
		TaskCheckInterval:        10 * time.Millisecond,
		DelayedTaskCheckInterval: 50 * time.Millisecond,
		ShutdownTimeout:          5 * time.Second,
		LogLevel:                 asynq.FatalLevel,
	})
	require.NoError(t, worker.Start(mux))
	t.Cleanup(worker.Shutdown)

	fake := smsmodetest.NewServer(smsmodetest.WithLocation(paris))
	t.Cleanup(fake.Close)
	res, err := fake.Client().SendSMS(ctx, &smsmode.SMS{
		Numbers:         []string{"33612345678"},
		Message:         "Votre commande est prete. Répondez OUI pour confirmer.",
		Class:           smsmode.ClassReply,
		RefClient:       "order-7",
		NotificationURL: webhook.DeliveryURL(b.srv.URL, secret, "send-order-7"),
		ReplyURL:        webhook.ReplyURL(b.srv.URL, secret, "send-order-7"),
	})
	require.NoError(t, err)
	// What the sender does once the provider accepted the send.
	require.NoError(t, b.ledger.Record(ctx, &store.Acceptance{
		TaskID: "send-order-7", Type: tasks.TypeSend, SMSID: res.SMSID, Ref: "order-7",
		Recipients: []string{"33612345678"}, AcceptedAt: time.Now(),
	}))

	statusOf := func() (store.RecipientState, bool) {
		rs, err := recipients.Recipients(ctx, "send-order-7", res.SMSID)
		require.NoError(t, err)
		if len(rs) != 1 {
			return store.RecipientState{}, false
		}
		return rs[0], true
	}

	// Delivery reports, one of them delivered twice.
	require.NoError(t, fake.Deliver(res.SMSID, "33612345678", smsmode.StatusDeliveredToOperator))
	eventually(t, "status 13", func() bool { st, ok := statusOf(); return ok && st.Status == 13 })
	require.NoError(t, fake.Deliver(res.SMSID, "33612345678", smsmode.StatusReceived))
	eventually(t, "final status 11", func() bool { st, ok := statusOf(); return ok && st.Status == 11 })
	st, _ := statusOf()
	require.True(t, st.Final)
	require.Equal(t, "received", st.StatusText)
	require.Equal(t, res.SMSID, st.SMSID)

	// A reply with accents.
	responseID, err := fake.Reply(res.SMSID, "33612345678", "OUI, c'est très bien")
	require.NoError(t, err)
	eventually(t, "two reports and the reply forwarded", func() bool {
		return len(application.received()) == 3
	})

	// The application fails twice: the event task is retried, then succeeds.
	application.fail(http.StatusInternalServerError, http.StatusInternalServerError)
	require.NoError(t, fake.Deliver(res.SMSID, "33612345678", smsmode.StatusRead))
	var readID string
	eventually(t, "the read receipt accepted", func() bool {
		for _, ev := range application.received() {
			var d tasks.DeliveryPayload
			if ev.Type == tasks.TypeDelivery && json.Unmarshal(ev.Data, &d) == nil && d.Status == 100 && ev.Answered == http.StatusOK {
				readID = ev.ID
				return true
			}
		}
		return false
	})
	var info *asynq.TaskInfo
	eventually(t, "the read receipt task completed", func() bool {
		info, err = b.insp.GetTaskInfo(tasks.QueueEvents, readID)
		return err == nil && info.State == asynq.TaskStateCompleted
	})
	require.Equal(t, 2, info.Retried)
	eventually(t, "status 100", func() bool { st, ok := statusOf(); return ok && st.Status == 100 })

	// Every forwarded request was signed correctly; each event reached the
	// application with the payload of its task.
	evs := application.received()
	var deliveries, replies, failed int
	for _, ev := range evs {
		require.NoError(t, ev.SigErr)
		switch ev.Type {
		case tasks.TypeDelivery:
			var d tasks.DeliveryPayload
			require.NoError(t, json.Unmarshal(ev.Data, &d))
			require.Equal(t, "send-order-7", d.TaskID)
			require.Equal(t, "order-7", d.Ref)
			require.Equal(t, "33612345678", d.To)
			require.Regexp(t, dlrID, ev.ID)
			deliveries++
		case tasks.TypeReply:
			var r tasks.ReplyPayload
			require.NoError(t, json.Unmarshal(ev.Data, &r))
			require.Equal(t, "OUI, c'est très bien", r.Message)
			require.Equal(t, "33612345678", r.From)
			require.Equal(t, smsmodetest.ShortCode, r.To)
			require.Equal(t, "send-order-7", r.TaskID)
			require.Equal(t, responseID, r.ResponseID)
			require.Equal(t, "mo:"+responseID, ev.ID)
			replies++
		}
		if ev.Answered != http.StatusOK {
			failed++
		}
	}
	require.Equal(t, 3+2, deliveries, "three reports, the last one tried three times")
	require.Equal(t, 1, replies)
	require.Equal(t, 2, failed)
	for _, cb := range fake.Callbacks() {
		require.Equal(t, http.StatusOK, cb.StatusCode, cb.Kind)
	}
	require.NotContains(t, b.logs.String(), secret)
}
