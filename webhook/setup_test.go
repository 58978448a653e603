package webhook_test

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/logtest"
	"github.com/smsq/smsq/internal/redistest"
	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/tasks/store"
	"github.com/smsq/smsq/webhook"
)

const secret = "s3cr3t-Zq8xW1vT9kLm"

var paris = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err)
	}
	return loc
}()

// bundle is a handler on a private Redis, served over loopback HTTP.
type bundle struct {
	redis  *redistest.Server
	rdb    *redis.Client
	client *asynq.Client
	insp   *asynq.Inspector
	ledger *store.Ledger
	logs   *logtest.Buffer
	srv    *httptest.Server
}

func setup(t *testing.T, mutate ...func(*webhook.Config)) *bundle {
	t.Helper()
	t.Parallel()
	r := redistest.Start(t)
	b := &bundle{redis: r, rdb: r.Client(), logs: &logtest.Buffer{}}
	b.client = asynq.NewClientFromRedisClient(b.rdb)
	b.insp = asynq.NewInspectorFromRedisClient(b.rdb)
	var err error
	b.ledger, err = store.NewLedger(b.rdb, store.DefaultLedgerTTL)
	require.NoError(t, err)
	enq, err := tasks.NewEnqueuer(b.rdb, tasks.Options{Region: "FR", MaxRetry: 7, Retention: time.Hour, BatchChunk: 1000, Queues: []string{"critical", "default", "low"}})
	require.NoError(t, err)
	cfg := webhook.Config{
		Secrets:  []string{secret},
		Enqueuer: enq,
		Ledger:   b.ledger,
		Location: paris,
		Logger:   slog.New(slog.NewTextHandler(b.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, m := range mutate {
		m(&cfg)
	}
	h, err := webhook.New(cfg)
	require.NoError(t, err)
	b.srv = httptest.NewServer(h)
	t.Cleanup(b.srv.Close)
	return b
}

// url returns the server's URL of path plus query.
func (b *bundle) url(path, query string) string {
	if query != "" {
		path += "?" + query
	}
	return b.srv.URL + path
}

func route(kind string) string { return "/webhooks/smsmode/" + secret + "/" + kind }

// do sends a request and returns the status and body.
func (b *bundle) do(t *testing.T, method, path, query, contentType string, body io.Reader) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, b.url(path, query), body)
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := b.srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(out)
}

func (b *bundle) get(t *testing.T, path, query string) (int, string) {
	t.Helper()
	return b.do(t, http.MethodGet, path, query, "", nil)
}

func (b *bundle) postForm(t *testing.T, path, query, form string) (int, string) {
	t.Helper()
	return b.do(t, http.MethodPost, path, query, "application/x-www-form-urlencoded", strings.NewReader(form))
}

// events returns the pending tasks of the events queue.
func (b *bundle) events(t *testing.T) []*asynq.TaskInfo {
	t.Helper()
	ts, err := b.insp.ListPendingTasks(tasks.QueueEvents, asynq.PageSize(1000))
	if errors.Is(err, asynq.ErrQueueNotFound) {
		return nil
	}
	require.NoError(t, err)
	return ts
}

// onlyEvent asserts exactly one pending event and returns it.
func (b *bundle) onlyEvent(t *testing.T) *asynq.TaskInfo {
	t.Helper()
	ts := b.events(t)
	require.Len(t, ts, 1)
	return ts[0]
}

func decodeDelivery(t *testing.T, ti *asynq.TaskInfo) tasks.DeliveryPayload {
	t.Helper()
	require.Equal(t, tasks.TypeDelivery, ti.Type)
	var p tasks.DeliveryPayload
	require.NoError(t, json.Unmarshal(ti.Payload, &p))
	return p
}

func decodeReply(t *testing.T, ti *asynq.TaskInfo) tasks.ReplyPayload {
	t.Helper()
	require.Equal(t, tasks.TypeReply, ti.Type)
	var p tasks.ReplyPayload
	require.NoError(t, json.Unmarshal(ti.Payload, &p))
	return p
}

// The reference's examples.
const (
	deliveryQuery = "numero=33612345678&date_reception=2026-01-15+09%3A52%3A17&statut=11&smsID=S7EpYZ5kmS87&refClient=order-42&mcc_mnc=20801&cost=1"
	replyQuery    = "numero=36034&message=bonjour&emetteur=33601020304&date_reception=01012026-122233&smsID=abcd1234&refClient=monclient123&responseID=azertyu123"
)
