package webhook_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/event"
	"github.com/smsq/smsq/internal/logtest"
	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/tasks/handler"
	"github.com/smsq/smsq/tasks/store"
	"github.com/smsq/smsq/webhook"
)

// The black-box review's malformed values: NUL, control characters and
// ANSI escapes in smsID, 2 KiB free-text fields. Each is answered 400
// naming its parameter and stores nothing; the values next to the limits
// pass.
func TestValuesAreChecked(t *testing.T) {
	b := setup(t)
	set := func(base string, kv ...string) string {
		v, err := url.ParseQuery(base)
		require.NoError(t, err)
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v.Encode()
	}
	dr := func(kv ...string) string { return set(deliveryQuery, kv...) }
	mo := func(kv ...string) string { return set(replyQuery, kv...) }
	refused := []struct{ kind, query, param string }{
		{"delivery", dr("smsID", "S7Ep\x00"), "smsID"},
		{"delivery", dr("smsID", "S7Ep\x1b[31mRED"), "smsID"},
		{"delivery", dr("smsID", "S7Ep\r\nX-Injected: 1"), "smsID"},
		{"delivery", dr("smsID", "S7Ep-YZ"), "smsID"},
		{"delivery", dr("smsID", "S7Ep%2F..%2F"), "smsID"},
		{"delivery", dr("smsID", "Sé"), "smsID"},
		{"delivery", dr("smsID", strings.Repeat("A", 129)), "smsID"},
		{"delivery", dr("smsID", strings.Repeat("A", 2000)), "smsID"},
		{"delivery", dr("numero", "3361234"), "numero"},
		{"delivery", dr("numero", "3361234567890123"), "numero"},
		{"delivery", dr("refClient", strings.Repeat("r", 41)), "refClient"},
		{"delivery", dr("refClient", strings.Repeat("r", 2000)), "refClient"},
		{"delivery", dr("refClient", "order\x07"), "refClient"},
		{"delivery", dr("refClient", "order\x1b]0;pwned\x07"), "refClient"},
		{"delivery", dr("refClient", "order\nforged line"), "refClient"},
		{"delivery", dr("refClient", "ord\u0085er"), "refClient"},
		{"delivery", dr("refClient", "order\x7f"), "refClient"},
		{"delivery", dr("mcc_mnc", "2080"), "mcc_mnc"},
		{"delivery", dr("mcc_mnc", "2080a"), "mcc_mnc"},
		{"delivery", dr("mcc_mnc", "2080112"), "mcc_mnc"},
		{"delivery", dr("cost", "1e3"), "cost"},
		{"delivery", dr("cost", "-1"), "cost"},
		{"delivery", dr("cost", "1.2.3"), "cost"},
		{"delivery", dr("cost", "1."), "cost"},
		{"delivery", dr("cost", strings.Repeat("9", 17)), "cost"},
		{"reply", mo("smsID", "abcd\x00"), "smsID"},
		{"reply", mo("numero", "12"), "numero"},
		{"reply", mo("emetteur", "3360102"), "emetteur"},
		{"reply", mo("message", "STOP\x00"), "message"},
		{"reply", mo("message", "\x1b[2J\x1b[HSTOP"), "message"},
		{"reply", mo("message", "STOP\u009b31m"), "message"},
		{"reply", mo("message", strings.Repeat("a", 1601)), "message"},
		{"reply", mo("responseID", "r 1"), "responseID"},
		{"reply", mo("responseID", "r\x00"), "responseID"},
		{"reply", mo("responseID", strings.Repeat("r", 65)), "responseID"},
		{"reply", mo("refClient", "ref\x1b"), "refClient"},
	}
	for _, c := range refused {
		code, body := b.get(t, route(c.kind), c.query)
		require.Equal(t, http.StatusBadRequest, code, "%s %q", c.kind, c.query)
		require.Contains(t, body, `parameter "`+c.param+`"`, "%s %q", c.kind, c.query)
		require.Less(t, len(body), 200)
		require.NotContains(t, body, "\x1b")
	}
	require.Empty(t, b.events(t))
	require.NotContains(t, b.logs.String(), "\x1b", "log lines never carry the escape")

	accepted := []struct{ kind, query string }{
		{"delivery", dr("smsID", strings.Repeat("A", 128))},
		{"delivery", dr("refClient", strings.Repeat("é", 40), "smsID", "ref40")},
		{"delivery", dr("numero", "+33612345678", "smsID", "plus")},
		{"delivery", dr("numero", "0612345678", "smsID", "national")},
		{"delivery", dr("mcc_mnc", "310260", "smsID", "mnc3")},
		{"delivery", dr("mcc_mnc", "", "cost", "", "smsID", "none")},
		{"delivery", dr("cost", "0,5", "smsID", "comma")},
		{"delivery", dr("cost", "0.045", "smsID", "point")},
		{"reply", mo("message", "Oui\r\nmerci\t!", "responseID", "a.b_c-d")},
		{"reply", mo("message", strings.Repeat("a", 1600), "responseID", "long")},
		{"reply", mo("message", "", "responseID", "empty")},
		{"reply", mo("numero", "36034", "smsID", "", "responseID", "nosms")},
	}
	for _, c := range accepted {
		code, body := b.get(t, route(c.kind), c.query)
		require.Equal(t, http.StatusOK, code, "%s %q: %s", c.kind, c.query, body)
	}
	require.Len(t, b.events(t), len(accepted))
}

// A POST whose body is still incomplete when the server's ReadTimeout
// fires was answered 400 (its parameters were in the missing part), which
// the provider does not retry: the report was lost. It is 503 with
// Retry-After now, and nothing is stored.
func TestSlowBodyIs503(t *testing.T) {
	t.Parallel()
	enq := &memEnqueuer{}
	logs := &logtest.Buffer{}
	h, err := webhook.New(webhook.Config{
		Secrets: []string{secret}, Enqueuer: enq, Location: paris,
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
	})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 300 * time.Millisecond}
	go srv.Serve(ln) //nolint:errcheck // ends with Close
	t.Cleanup(func() { srv.Close() })

	conn, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	// Headers and the first bytes of the body, then nothing: the server's
	// read deadline, not this test, decides when the handler gives up.
	_, err = fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: smsq.example\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s",
		route("delivery"), len(deliveryQuery), deliveryQuery[:30])
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(30*time.Second)))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	require.Equal(t, "5", resp.Header.Get("Retry-After"))
	require.Zero(t, enq.calls, "nothing stored")
	require.Contains(t, logs.String(), "outcome=unavailable")
	require.Contains(t, logs.String(), "reading the body")
}

// The review's reproductions end to end: the webhook over HTTP, the events
// queue, the worker's EventHandler, the RecipientStore and a forwarding
// target. One real send is in the ledger. A flood of forged callbacks for
// smsIDs smsq never sent (the review posted 2,000 in 0.5 s: each became an
// event task and a 30-day status key), through every route, a forged
// reply STOP, and a forged later statut=2 for the real message after its
// received [11]. None changes a status, no status key but the real send's
// exists, and the application gets no forged report but the statut=2,
// which names a real smsID and number (it cannot be told from a genuine
// one) and which the store outranked.
func TestForgedCallbacksChangeNothing(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	app := newApp(t)
	fwd, err := handler.NewForwarder(app.URL, signingSecret)
	require.NoError(t, err)
	recipients, err := store.NewRecipientStore(b.rdb, store.DefaultRecipientTTL)
	require.NoError(t, err)
	events, err := handler.NewEventHandler(handler.EventConfig{Store: recipients, Ledger: b.ledger, Forwarder: fwd})
	require.NoError(t, err)
	mux := asynq.NewServeMux()
	events.Register(mux)
	worker := asynq.NewServerFromRedisClient(b.rdb, asynq.Config{
		Concurrency:              8,
		Queues:                   map[string]int{tasks.QueueEvents: 1},
		RetryDelayFunc:           func(int, error, *asynq.Task) time.Duration { return 10 * time.Millisecond },
		TaskCheckInterval:        10 * time.Millisecond,
		DelayedTaskCheckInterval: 50 * time.Millisecond,
		ShutdownTimeout:          5 * time.Second,
		LogLevel:                 asynq.FatalLevel,
	})
	require.NoError(t, worker.Start(mux))
	t.Cleanup(worker.Shutdown)

	const real, realSMS, realTo = "send-real", "REALsms01", "33612345678"
	require.NoError(t, b.ledger.Record(ctx, &store.Acceptance{
		TaskID: real, Type: tasks.TypeSend, SMSID: realSMS, Recipients: []string{realTo}, AcceptedAt: time.Now(),
	}))
	genuine := fmt.Sprintf("numero=%s&date_reception=2026-01-15+09%%3A52%%3A17&statut=11&smsID=%s", realTo, realSMS)
	code, body := b.get(t, route("delivery")+"/"+real, genuine)
	require.Equal(t, http.StatusOK, code, body)

	const forged = 500
	var wg sync.WaitGroup
	for w := range 10 {
		wg.Go(func() {
			for i := w; i < forged; i += 10 {
				paths := []string{route("delivery"), route("delivery") + "/" + real, route("delivery") + "/invented-task"}
				q := fmt.Sprintf("numero=336%08d&date_reception=2026-01-15+09%%3A52%%3A17&statut=11&smsID=FORGED%05d", i, i)
				code, _ := b.get(t, paths[i%3], q)
				if code != http.StatusOK {
					t.Errorf("forged callback %d: HTTP %d", i, code)
				}
			}
		})
	}
	wg.Wait()
	code, _ = b.get(t, route("reply")+"/"+real, "numero=36034&message=STOP&emetteur=33699999999&date_reception=15012026-095300&smsID=FORGEDstop")
	require.Equal(t, http.StatusOK, code)
	code, _ = b.get(t, route("reply"), "numero=36034&message=STOP&emetteur=33699999999&date_reception=15012026-095301")
	require.Equal(t, http.StatusOK, code)
	later := strings.Replace(strings.Replace(genuine, "statut=11", "statut=2", 1), "09%3A52%3A17", "18%3A00%3A00", 1)
	code, _ = b.get(t, route("delivery")+"/"+real, later)
	require.Equal(t, http.StatusOK, code)

	total := 1 + forged + 2 + 1
	require.Eventually(t, func() bool {
		info, err := b.insp.GetQueueInfo(tasks.QueueEvents)
		return err == nil && info.Completed == total && info.Pending+info.Active+info.Retry+info.Scheduled == 0
	}, 60*time.Second, 20*time.Millisecond, "the events queue was not drained")
	info, err := b.insp.GetQueueInfo(tasks.QueueEvents)
	require.NoError(t, err)
	require.Zero(t, info.Archived)

	keys, err := b.rdb.Keys(ctx, "*recipients*").Result()
	require.NoError(t, err)
	require.Equal(t, []string{"smsq:{" + real + "}:recipients"}, keys, "one status key: the real send's")
	rs, err := recipients.Recipients(ctx, real)
	require.NoError(t, err)
	require.Len(t, rs, 1)
	require.Equal(t, 11, rs[0].Status, "the forged statut=2 did not undo received [11]")

	var (
		forwarded []tasks.DeliveryPayload
		replies   int
	)
	for _, ev := range app.received() {
		require.NoError(t, ev.SigErr)
		switch ev.Type {
		case tasks.TypeDelivery:
			var d tasks.DeliveryPayload
			require.NoError(t, json.Unmarshal(ev.Data, &d))
			forwarded = append(forwarded, d)
		default:
			replies++
		}
	}
	require.Zero(t, replies, "no forged STOP reached the application")
	require.Len(t, forwarded, 2)
	for _, d := range forwarded {
		require.Equal(t, event.Delivery{
			SMSID: realSMS, To: realTo, Status: d.Status, StatusText: d.StatusText, Final: true,
			ReceivedAt: d.ReceivedAt, TaskID: real,
		}, d)
	}
	require.ElementsMatch(t, []int{11, 2}, []int{forwarded[0].Status, forwarded[1].Status})
}
