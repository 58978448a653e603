package webhook_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/tasks/store"
	"github.com/smsq/smsq/webhook"
)

// The task in the path fills task_id: the ledger is not read (here it is
// unreachable, and no ledger_error is logged), and the log names the task.
func TestTaskFromPathSkipsTheLedger(t *testing.T) {
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	t.Cleanup(func() { dead.Close() })
	b := setup(t, func(c *webhook.Config) { c.Ledger, _ = store.NewLedger(dead, store.DefaultLedgerTTL) })

	code, body := b.get(t, route("delivery")+"/send-42", deliveryQuery)
	require.Equal(t, http.StatusOK, code, body)
	code, body = b.get(t, route("reply")+"/otp-7", replyQuery)
	require.Equal(t, http.StatusOK, code, body)

	var kinds []string
	for _, ti := range b.events(t) {
		if ti.Type == tasks.TypeDelivery {
			require.Equal(t, "send-42", decodeDelivery(t, ti).TaskID)
		} else {
			require.Equal(t, "otp-7", decodeReply(t, ti).TaskID)
		}
		kinds = append(kinds, ti.Type)
	}
	require.ElementsMatch(t, []string{tasks.TypeDelivery, tasks.TypeReply}, kinds)
	logs := b.logs.String()
	require.NotContains(t, logs, "ledger_error")
	require.Contains(t, logs, "route=/webhooks/smsmode/REDACTED/delivery/send-42")
	require.Contains(t, logs, "send_task_id=send-42")
	require.Contains(t, logs, "route=/webhooks/smsmode/REDACTED/reply/otp-7")
	require.NotContains(t, logs, secret)
}

// Whatever a task ID holds, DeliveryURL's path reaches the handler mounted
// as the worker mounts it (http.ServeMux, which redirects paths with . or
// .. segments and doubled slashes) and gives back the same ID. IDs that
// cannot travel in a path get the route without task and the ledger's.
func TestTaskIDsSurviveTheRoundTrip(t *testing.T) {
	b := setup(t)
	mux := http.NewServeMux()
	h, err := webhook.New(webhook.Config{Secrets: []string{secret}, Enqueuer: mustEnqueuer(t, b), Ledger: b.ledger, Location: paris})
	require.NoError(t, err)
	mux.Handle(webhook.PathPrefix, h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	ids := []string{
		"send-42", "0b7d2c1e-9f3a-4c5e-8d6b-1a2b3c4d5e6f", "batch:7-3", "a/b", "../../etc/passwd", "a//b", "/lead",
		"x?y#z", "100%", "50%2F", "été 😀", "\x00\x1b[2J\r\n", "...", ".hidden", "with space", "+plus&amp=1",
		strings.Repeat("é", webhook.MaxPathTaskID/2),
		"..", strings.Repeat("x", webhook.MaxPathTaskID+1), "\xff\xfe", // the route without task
	}
	for i, id := range ids {
		smsID := fmt.Sprintf("RT%03d", i)
		require.NoError(t, b.ledger.Record(context.Background(), &store.Acceptance{TaskID: "owner-" + smsID, SMSID: smsID, AcceptedAt: time.Now()}))
		for _, kind := range []string{webhook.KindDelivery, webhook.KindReply} {
			u := webhook.DeliveryURL(srv.URL, secret, id) + "?numero=33612345678&date_reception=2026-01-15+09%3A52%3A17&statut=11&smsID=" + smsID
			if kind == webhook.KindReply {
				u = webhook.ReplyURL(srv.URL, secret, id) + "?numero=36034&message=oui&emetteur=33612345678&date_reception=15012026-095217&smsID=" + smsID
			}
			resp, err := hc.Get(u)
			require.NoError(t, err, "%q", id)
			resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode, "%s %q: %s", kind, id, u)
		}
	}
	got := map[string][]string{} // smsID → task IDs of its two events
	for _, ti := range b.events(t) {
		if ti.Type == tasks.TypeDelivery {
			p := decodeDelivery(t, ti)
			got[p.SMSID] = append(got[p.SMSID], p.TaskID)
		} else {
			p := decodeReply(t, ti)
			got[p.SMSID] = append(got[p.SMSID], p.TaskID)
		}
	}
	for i, id := range ids {
		smsID := fmt.Sprintf("RT%03d", i)
		want := id
		if i >= len(ids)-3 {
			want = "owner-" + smsID
		}
		require.Equal(t, []string{want, want}, got[smsID], "%q", id)
	}
}

func mustEnqueuer(t *testing.T, b *bundle) *tasks.Enqueuer {
	t.Helper()
	enq, err := tasks.NewEnqueuer(b.rdb, tasks.Options{Region: "FR", MaxRetry: 7, Retention: time.Hour, BatchChunk: 1000, Queues: []string{"critical", "default", "low"}})
	require.NoError(t, err)
	return enq
}

// Paths smsq never builds are unknown routes, without a hint.
func TestBadTaskSegmentsAre404(t *testing.T) {
	b := setup(t)
	_, notFound := b.get(t, "/webhooks/smsmode/", "")
	for _, p := range []string{
		route("delivery") + "/" + strings.Repeat("x", webhook.MaxPathTaskID+1),
		route("delivery") + "/" + strings.Repeat("%C3%A9", webhook.MaxPathTaskID/2+1),
		route("reply") + "/",
		route("delivery") + "/%2E%2E",
		route("delivery") + "/%FF",
	} {
		code, body := b.get(t, p, deliveryQuery)
		require.Equal(t, http.StatusNotFound, code, p)
		require.Equal(t, notFound, body, p)
	}
	// A proxy that decoded a task's %2F does not cut the ID short.
	code, body := b.get(t, route("delivery")+"/a/b", deliveryQuery)
	require.Equal(t, http.StatusOK, code, body)
	require.Equal(t, "a/b", decodeDelivery(t, b.onlyEvent(t)).TaskID)
}
