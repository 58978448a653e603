package monitoring_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/monitoring"
	"github.com/smsq/smsq/internal/redistest"
)

const evil = "https://evil.example"

// logBuffer collects the handler's log lines while the test reads them.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// bundle is the web UI served over HTTP from a private Redis.
type bundle struct {
	base    string // http://127.0.0.1:port
	connOpt asynq.RedisConnOpt
	rdb     *redis.Client
	client  *asynq.Client
	insp    *asynq.Inspector
	reg     *prometheus.Registry
	logs    *logBuffer
}

func setup(t *testing.T, edit ...func(*monitoring.Options)) *bundle {
	t.Helper()
	srv := redistest.Start(t)
	b := &bundle{connOpt: srv.ConnOpt(), rdb: srv.Client(), reg: prometheus.NewRegistry(), logs: &logBuffer{}}
	o := monitoring.Options{
		Redis: b.rdb, User: "ops", Password: "pw",
		Logger: slog.New(slog.NewTextHandler(b.logs, nil)), Registerer: b.reg,
	}
	for _, e := range edit {
		e(&o)
	}
	h, err := monitoring.New(o)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle(monitoring.Path+"/", h)
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	b.base = hs.URL
	b.client = asynq.NewClient(srv.ConnOpt())
	t.Cleanup(func() { b.client.Close() })
	b.insp = asynq.NewInspector(srv.ConnOpt())
	t.Cleanup(func() { b.insp.Close() })
	return b
}

// enqueue adds a pending task with this ID to the default queue.
func (b *bundle) enqueue(t *testing.T, id string) {
	t.Helper()
	_, err := b.client.Enqueue(asynq.NewTask("sms:send", []byte(`{"to":["33612345678"]}`)), asynq.TaskID(id))
	require.NoError(t, err)
}

// archived adds an archived task (a send that failed for good).
func (b *bundle) archived(t *testing.T, id string) {
	t.Helper()
	b.enqueue(t, id)
	require.NoError(t, b.insp.ArchiveTask("default", id))
}

func (b *bundle) state(t *testing.T, id string) string {
	t.Helper()
	info, err := b.insp.GetTaskInfo("default", id)
	if err != nil {
		return "gone"
	}
	return info.State.String()
}

func (b *bundle) paused(t *testing.T) bool {
	t.Helper()
	info, err := b.insp.GetQueueInfo("default")
	require.NoError(t, err)
	return info.Paused
}

// req is one request to the UI, as a browser or a script would send it.
type req struct {
	method, path string
	headers      map[string]string
	body         string
	noAuth       bool
	user, pass   string
}

func (b *bundle) do(t *testing.T, r req) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr, err := http.NewRequest(r.method, b.base+r.path, body)
	require.NoError(t, err)
	if !r.noAuth {
		user, pass := "ops", "pw"
		if r.user != "" || r.pass != "" {
			user, pass = r.user, r.pass
		}
		hr.SetBasicAuth(user, pass)
	}
	for k, v := range r.headers {
		hr.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(hr)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(out)
}

// sameOrigin are the headers Chromium sends with the UI's own XHRs.
func (b *bundle) sameOrigin(extra ...string) map[string]string {
	h := map[string]string{"Origin": b.base, "Sec-Fetch-Site": "same-origin"}
	for i := 0; i+1 < len(extra); i += 2 {
		h[extra[i]] = extra[i+1]
	}
	return h
}

func TestNewRefusesMissingDependencies(t *testing.T) {
	t.Parallel()
	c := redis.NewClient(&redis.Options{Network: "unix", Addr: filepath.Join(t.TempDir(), "none.sock")})
	t.Cleanup(func() { c.Close() })
	valid := func() monitoring.Options {
		return monitoring.Options{Redis: c, User: "ops", Password: "pw", Logger: slog.New(slog.DiscardHandler), Registerer: prometheus.NewRegistry()}
	}
	for _, tc := range []struct {
		name string
		edit func(*monitoring.Options)
		want string
	}{
		{"no Redis", func(o *monitoring.Options) { o.Redis = nil }, "Redis"},
		{"no password", func(o *monitoring.Options) { o.Password = "" }, "password"},
		{"no logger", func(o *monitoring.Options) { o.Logger = nil }, "Logger"},
		{"no registerer", func(o *monitoring.Options) { o.Registerer = nil }, "Registerer"},
		{"bad trusted origin", func(o *monitoring.Options) { o.TrustedOrigins = []string{"not an origin"} }, "origin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := valid()
			tc.edit(&o)
			h, err := monitoring.New(o)
			require.ErrorContains(t, err, tc.want)
			require.Nil(t, h)
		})
	}
	h, err := monitoring.New(valid())
	require.NoError(t, err)
	require.NotNil(t, h)
}

// The black-box review paused a queue from another site with a form.
func TestCrossSitePauseIsRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.enqueue(t, "t1")
	for _, h := range []map[string]string{
		{"Origin": evil, "Sec-Fetch-Site": "cross-site", "Content-Type": "application/x-www-form-urlencoded"},
		{"Origin": evil, "Content-Type": "application/x-www-form-urlencoded"}, // a browser without Sec-Fetch-Site
		{"Origin": evil, "Sec-Fetch-Site": "cross-site"},                      // fetch() without body, no-cors
	} {
		resp, body := b.do(t, req{method: "POST", path: "/monitoring/api/queues/default:pause", headers: h})
		require.Equal(t, http.StatusForbidden, resp.StatusCode, h)
		require.Contains(t, body, "refused")
		require.False(t, b.paused(t), "the queue still runs")
	}
	require.Contains(t, b.logs.String(), `reason=cross-origin`)
}

// …made an archived send pending again (sent and paid twice) with text/plain.
func TestCrossSiteRunAllIsRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.archived(t, "t2")
	for _, h := range []map[string]string{
		{"Origin": evil, "Sec-Fetch-Site": "cross-site", "Content-Type": "text/plain"},
		{"Origin": evil, "Content-Type": "text/plain"},
		{"Content-Type": "text/plain"}, // no origin information at all: the body type alone refuses it
	} {
		resp, _ := b.do(t, req{method: "POST", path: "/monitoring/api/queues/default/archived_tasks:run_all", headers: h, body: "x"})
		require.Equal(t, http.StatusForbidden, resp.StatusCode, h)
		require.Equal(t, "archived", b.state(t, "t2"))
	}
}

// …and deleted a task with a text/plain body that asynqmon reads as JSON.
func TestTextPlainBatchDeleteIsRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.enqueue(t, "t3")
	for _, h := range []map[string]string{
		{"Origin": evil, "Sec-Fetch-Site": "cross-site", "Content-Type": "text/plain"},
		{"Origin": evil, "Content-Type": "text/plain"},
		{"Content-Type": "text/plain"},
		{"Origin": b.base, "Sec-Fetch-Site": "same-origin", "Content-Type": "text/plain"},
	} {
		resp, _ := b.do(t, req{method: "POST", path: "/monitoring/api/queues/default/pending_tasks:batch_delete", headers: h, body: `{"task_ids":["t3"]}=`})
		require.Equal(t, http.StatusForbidden, resp.StatusCode, h)
		require.Equal(t, "pending", b.state(t, "t3"))
	}
	require.Contains(t, b.logs.String(), `reason=content-type`)
}

// What the real UI sends (axios from the UI's own origin: no body, or JSON)
// keeps working; so do scripts that send no browser headers.
func TestTheUIsOwnRequestsStillWork(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.enqueue(t, "p1")
	b.enqueue(t, "p2")
	b.archived(t, "a1")
	b.archived(t, "a2")

	resp, _ := b.do(t, req{method: "POST", path: "/monitoring/api/queues/default:pause", headers: b.sameOrigin()})
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	require.True(t, b.paused(t))
	resp, _ = b.do(t, req{method: "POST", path: "/monitoring/api/queues/default:resume"}) // curl
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	require.False(t, b.paused(t))

	resp, body := b.do(t, req{method: "POST", path: "/monitoring/api/queues/default/pending_tasks:batch_delete",
		headers: b.sameOrigin("Content-Type", "application/json;charset=utf-8"), body: `{"task_ids":["p1"]}`})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.JSONEq(t, `{"deleted_ids":["p1"],"failed_ids":[]}`, body)
	require.Equal(t, "gone", b.state(t, "p1"))

	resp, _ = b.do(t, req{method: "POST", path: "/monitoring/api/queues/default/archived_tasks/a1:run", headers: b.sameOrigin()})
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	require.Equal(t, "pending", b.state(t, "a1"))

	resp, _ = b.do(t, req{method: "DELETE", path: "/monitoring/api/queues/default/archived_tasks/a2", headers: b.sameOrigin()})
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	require.Equal(t, "gone", b.state(t, "a2"))

	// An old browser: no Sec-Fetch-Site, its Origin matches the Host.
	resp, _ = b.do(t, req{method: "POST", path: "/monitoring/api/queues/default/pending_tasks:archive_all", headers: map[string]string{"Origin": b.base}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "archived", b.state(t, "p2"))
}

func TestReadOnlyRefusesChangesFromTheUI(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *monitoring.Options) { o.ReadOnly = true })
	b.enqueue(t, "r1")
	resp, _ := b.do(t, req{method: "GET", path: "/monitoring/api/queues"})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp, _ = b.do(t, req{method: "POST", path: "/monitoring/api/queues/default:pause", headers: b.sameOrigin()})
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	require.False(t, b.paused(t))
}

func TestNoFramingAndNoCachingOfAnswers(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, r := range []req{
		{method: "GET", path: "/monitoring/"},
		{method: "GET", path: "/monitoring/api/queues"},
		{method: "GET", path: "/monitoring/api/queues", noAuth: true},
		{method: "POST", path: "/monitoring/api/queues/default:pause", headers: map[string]string{"Origin": evil}},
	} {
		resp, _ := b.do(t, r)
		require.Equal(t, "DENY", resp.Header.Get("X-Frame-Options"), r)
		require.Contains(t, resp.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'", r)
		require.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"), r)
		require.Equal(t, "no-referrer", resp.Header.Get("Referrer-Policy"), r)
		if strings.Contains(r.path, "/api/") {
			require.Equal(t, "no-store", resp.Header.Get("Cache-Control"), r)
		}
	}
}

// size=-1 answered every task in one response (5 MB for 2,508 tasks).
func TestPageSizeIsBounded(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for i := range 150 {
		b.enqueue(t, "bulk-"+strconv.Itoa(i))
	}
	for _, tc := range []struct {
		query string
		want  int
	}{
		{"size=-1", 1},
		{"size=100000", 100},
		{"size=100&page=2", 50},
		{"size=20&page=0", 20},
		{"", 20},
	} {
		resp, body := b.do(t, req{method: "GET", path: "/monitoring/api/queues/default/pending_tasks?" + tc.query})
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var list struct {
			Tasks []json.RawMessage `json:"tasks"`
		}
		require.NoError(t, json.Unmarshal([]byte(body), &list))
		require.Len(t, list.Tasks, tc.want, tc.query)
	}
}

// 300 wrong passwords in 2 s went unnoticed.
func TestAuthFailuresAreCountedLoggedAndThrottled(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *monitoring.Options) { o.Password = "Correct-Horse-9" })
	n, err := testutil.GatherAndCount(b.reg, "smsq_monitoring_auth_failures_total")
	require.NoError(t, err)
	require.Equal(t, 1, n, "the counter is exported at 0 from the start")

	for i := range 5 {
		resp, _ := b.do(t, req{method: "GET", path: "/monitoring/api/queues", user: "ops", pass: "Guess-" + strconv.Itoa(i)})
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	}
	resp, _ := b.do(t, req{method: "GET", path: "/monitoring/api/queues", user: "ops", pass: "Guess-5"})
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	require.NotEmpty(t, resp.Header.Get("Retry-After"))
	resp, _ = b.do(t, req{method: "GET", path: "/monitoring/api/queues", user: "ops", pass: "Correct-Horse-9"})
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "no oracle while locked out")

	require.NoError(t, testutil.GatherAndCompare(b.reg, strings.NewReader(`
# HELP smsq_monitoring_auth_failures_total Requests to the web UI with wrong basic-auth credentials.
# TYPE smsq_monitoring_auth_failures_total counter
smsq_monitoring_auth_failures_total 5
# HELP smsq_monitoring_auth_throttled_total Requests to the web UI refused with 429 after repeated authentication failures from their client.
# TYPE smsq_monitoring_auth_throttled_total counter
smsq_monitoring_auth_throttled_total 2
`), "smsq_monitoring_auth_failures_total", "smsq_monitoring_auth_throttled_total"))
	logs := b.logs.String()
	require.Equal(t, 5, strings.Count(logs, `level=WARN msg="monitoring: authentication failed" client=127.0.0.1`))
	require.NotContains(t, logs, "Guess-")
	require.NotContains(t, logs, "Correct-Horse")
}

// The UI reads Redis through the process's client, and leaves it open.
func TestTheSharedRedisClientIsUsed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.enqueue(t, "s1")
	before := b.rdb.PoolStats().Hits + b.rdb.PoolStats().Misses
	resp, body := b.do(t, req{method: "GET", path: "/monitoring/api/queues"})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, `"queue":"default"`)
	require.Greater(t, b.rdb.PoolStats().Hits+b.rdb.PoolStats().Misses, before)
	require.NoError(t, b.rdb.Ping(t.Context()).Err())
}
