package api_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/api"
	"github.com/smsq/smsq/tasks"
)

func TestEveryRouteButTheDocumentNeedsABearerToken(t *testing.T) {
	b := setup(t)
	body := `{"to":["0612345678"],"message":"x"}`
	for _, tc := range []struct {
		name, auth, challenge string
	}{
		{"none", "", `Bearer realm="smsq"`},
		{"basic", "Basic c2hvcDpzZWNyZXQ=", `Bearer realm="smsq"`},
		{"empty bearer", "Bearer ", `Bearer realm="smsq"`},
		{"wrong", "Bearer " + wrongToken, `Bearer realm="smsq", error="invalid_token"`},
		{"prefix of a token", "Bearer " + shopToken[:len(shopToken)-1], `Bearer realm="smsq", error="invalid_token"`},
		{"token and more", "Bearer " + shopToken + "x", `Bearer realm="smsq", error="invalid_token"`},
	} {
		for _, c := range []call{
			{method: http.MethodPost, path: "/v1/sms", contentType: "application/json", body: strings.NewReader(body)},
			{method: http.MethodPost, path: "/v1/voice", contentType: "application/json", body: strings.NewReader(body)},
			{method: http.MethodPost, path: "/v1/batches", contentType: "text/csv", body: strings.NewReader("0612345678,x\n")},
			{method: http.MethodGet, path: "/v1/tasks/x"},
			{method: http.MethodDelete, path: "/v1/tasks/x"},
		} {
			c.headers = map[string]string{}
			if tc.auth != "" {
				c.headers["Authorization"] = tc.auth
			}
			r := b.do(t, c)
			p := r.problem(t, http.StatusUnauthorized)
			require.Contains(t, p["type"], "unauthorized")
			require.Equal(t, tc.challenge, r.header.Get("WWW-Authenticate"), "%s %s %s", tc.name, c.method, c.path)
		}
	}
	require.Empty(t, b.taskIDs(t))

	// Either token works, lower-case scheme included; the document needs none.
	for _, auth := range []string{"Bearer " + shopToken, "bearer " + crmToken} {
		r := b.do(t, call{method: http.MethodPost, path: "/v1/sms", contentType: "application/json", body: strings.NewReader(body), headers: map[string]string{"Authorization": auth}})
		require.Equal(t, http.StatusAccepted, r.status, "%s", r.body)
	}
	require.Equal(t, http.StatusOK, b.do(t, call{method: http.MethodGet, path: "/v1/openapi.json"}).status)
}

func TestUnknownRoutesAndMethodsAreProblems(t *testing.T) {
	b := setup(t)
	for _, tc := range []struct {
		method, path, allow string
		status              int
	}{
		{http.MethodGet, "/v1/sms", "POST", 405},
		{http.MethodPut, "/v1/batches", "POST", 405},
		{http.MethodOptions, "/v1/voice", "POST", 405}, // no CORS preflight is ever answered
		{http.MethodPost, "/v1/tasks/x", "GET, DELETE", 405},
		{http.MethodPost, "/v1/openapi.json", "GET", 405},
		{http.MethodGet, "/v1/", "", 404},
		{http.MethodGet, "/v1/tasks/", "", 404},
		{http.MethodGet, "/v1/tasks/a/b", "", 404},
		{http.MethodPost, "/v1/messages", "", 404},
	} {
		r := b.do(t, call{method: tc.method, path: tc.path, token: shopToken})
		r.problem(t, tc.status)
		require.Equal(t, tc.allow, r.header.Get("Allow"), "%s %s", tc.method, tc.path)
	}
}

func TestRedisUnavailableIs503WithRetryAfter(t *testing.T) {
	b := setup(t, func(c *apiConfig) { c.Timeout = time.Second })
	r := b.post(t, "/v1/sms", map[string]any{"to": []string{"0612345678"}, "message": "avant"}, "Idempotency-Key", "before")
	require.Equal(t, http.StatusAccepted, r.status)
	b.redis.Kill()

	for _, tc := range []struct {
		name string
		do   func() *reply
	}{
		{"sms", func() *reply {
			return b.post(t, "/v1/sms", map[string]any{"to": []string{"0612345678"}, "message": "x"})
		}},
		{"sms with key", func() *reply {
			return b.post(t, "/v1/sms", map[string]any{"to": []string{"0612345678"}, "message": "x"}, "Idempotency-Key", "k1")
		}},
		{"voice", func() *reply {
			return b.post(t, "/v1/voice", map[string]any{"to": []string{"0612345678"}, "message": "x"})
		}},
		{"batch", func() *reply {
			return b.post(t, "/v1/batches", map[string]any{"rows": []map[string]string{{"to": "0612345678", "message": "x"}}}, "Idempotency-Key", "k2")
		}},
		{"status", func() *reply { return b.get(t, "/v1/tasks/before") }},
		{"cancel", func() *reply { return b.delete(t, "/v1/tasks/before") }},
	} {
		r := tc.do()
		p := r.problem(t, http.StatusServiceUnavailable)
		require.Equal(t, "5", r.header.Get("Retry-After"), tc.name)
		require.Contains(t, p["type"], "unavailable", tc.name)
		switch tc.name {
		case "sms":
			require.NotEmpty(t, p["idempotency_key"], "a key that makes the repeat safe")
		case "sms with key":
			require.Equal(t, "k1", p["idempotency_key"])
		case "batch":
			require.Equal(t, "k2", p["idempotency_key"])
		}
	}
	// Validation needs no Redis: an invalid message is still a 422.
	r = b.post(t, "/v1/sms", map[string]any{"to": []string{"12"}, "message": "x"})
	r.problem(t, http.StatusUnprocessableEntity)

	b.redis.Restart()
	r = b.post(t, "/v1/sms", map[string]any{"to": []string{"0612345678"}, "message": "x"}, "Idempotency-Key", "k1")
	require.Equal(t, http.StatusAccepted, r.status, "%s", r.body)
}

func TestMetricsCountByRouteStatusAndTokenName(t *testing.T) {
	b := setup(t)
	body := map[string]any{"to": []string{"0612345678"}, "message": "x"}
	b.post(t, "/v1/sms", body)
	b.post(t, "/v1/sms", body)
	b.do(t, call{method: http.MethodPost, path: "/v1/sms", token: crmToken, contentType: "application/json", body: strings.NewReader(`{}`)})
	b.do(t, call{method: http.MethodGet, path: "/v1/tasks/x", token: wrongToken})
	b.do(t, call{method: http.MethodGet, path: "/v1/openapi.json"})

	count := func(route, status, token string) float64 { return value(t, b.reg, route, status, token) }
	// A request is counted once its answer is written: the client may read
	// the answer a moment before.
	eventually := func(want float64, route, status, token string) {
		t.Helper()
		require.Eventually(t, func() bool { return count(route, status, token) == want }, 5*time.Second, 5*time.Millisecond,
			"%s %s %s: %v, want %v", route, status, token, count(route, status, token), want)
	}
	eventually(2, "POST /v1/sms", "202", "shop")
	eventually(1, "POST /v1/sms", "422", "crm")
	eventually(1, "GET /v1/tasks/{id}", "401", "none")
	eventually(1, "GET /v1/openapi.json", "200", "none")
	// Created at 0, so that rate() sees the first request.
	require.Equal(t, 0.0, count("POST /v1/batches", "202", "crm"))
	require.Equal(t, 0.0, count("DELETE /v1/tasks/{id}", "409", "shop"))
	require.Equal(t, 0.0, count("GET /v1/tasks/{id}", "503", "shop"))

	var out bytes.Buffer
	mfs, err := b.reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		out.WriteString(mf.String())
	}
	for _, tok := range allTokens {
		require.NotContains(t, out.String(), tok)
	}
}

// value is the smsq_api_requests_total series with these labels; it
// fails the test when the series does not exist.
func value(t *testing.T, reg *prometheus.Registry, route, status, token string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != "smsq_api_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["route"] == route && labels["status"] == status && labels["token"] == token {
				return m.GetCounter().GetValue()
			}
		}
	}
	t.Fatalf("no series route=%q status=%q token=%q", route, status, token)
	return 0
}

// Each request is one log line naming the client, the route, the status
// and the task, and no line of a whole run holds a token, a message text
// or the Authorization header.
func TestLogLinesNameTheClientNeverATokenOrAText(t *testing.T) {
	b := setup(t)
	b.startWorker(t)
	const text = "Texte confidentiel 7731"
	b.post(t, "/v1/sms", map[string]any{"to": []string{"0612345678"}, "message": text}, "Idempotency-Key", "log-1")
	b.post(t, "/v1/sms", map[string]any{"to": []string{"0612345678"}, "message": text}, "Idempotency-Key", "log-1")
	b.post(t, "/v1/sms", map[string]any{"to": []string{"12"}, "message": text})
	b.post(t, "/v1/sms?dry_run=true", map[string]any{"to": []string{"0612345678"}, "message": text})
	b.do(t, call{method: http.MethodPost, path: "/v1/batches?sender=SHOP", token: crmToken, contentType: "text/csv", body: strings.NewReader("0612345678," + text + "\n")})
	b.postRaw(t, "/v1/sms", `{"message":`)
	for _, tok := range allTokens {
		b.do(t, call{method: http.MethodGet, path: "/v1/tasks/log-1", token: tok})
		b.do(t, call{method: http.MethodDelete, path: "/v1/tasks/nope", token: tok})
	}
	b.do(t, call{method: http.MethodGet, path: "/v1/tasks/log-1", headers: map[string]string{"Authorization": "Basic " + wrongToken}})

	lines := b.logs.Lines(t)
	require.Len(t, lines, 13)
	out := b.logs.String()
	for _, tok := range allTokens {
		require.NotContains(t, out, tok)
	}
	require.NotContains(t, out, text)
	require.NotContains(t, out, "Authorization")
	require.Equal(t, map[string]any{"route": "POST /v1/sms", "method": "POST", "status": 202.0, "token": "shop", "task_id": "log-1"}, pick(lines[0], "route", "method", "status", "token", "task_id"))
	require.Equal(t, true, lines[1]["duplicate"])
	require.Equal(t, "to[0]", lines[2]["field"])
	require.Equal(t, "WARN", lines[2]["level"])
	require.Equal(t, true, lines[3]["dry_run"])
	require.Equal(t, "crm", lines[4]["token"])
	require.Equal(t, "none", lines[10]["token"])
	require.Equal(t, "unknown bearer token", lines[10]["error"])
}

func pick(m map[string]any, keys ...string) map[string]any {
	out := map[string]any{}
	for _, k := range keys {
		out[k] = m[k]
	}
	return out
}

func TestNewRefusesAnIncompleteConfig(t *testing.T) {
	t.Parallel()
	full := func() api.Config {
		return api.Config{
			Tokens: []api.Token{{Name: "shop", Token: shopToken}}, Enqueuer: &tasks.Enqueuer{}, Inspector: &tasks.Inspector{},
			BatchChunk: 1000, Location: paris,
		}
	}
	_, err := api.New(full())
	require.NoError(t, err)
	for name, f := range map[string]func(*api.Config){
		"no tokens":        func(c *api.Config) { c.Tokens = nil },
		"empty token":      func(c *api.Config) { c.Tokens = []api.Token{{Name: "shop"}} },
		"unnamed token":    func(c *api.Config) { c.Tokens = []api.Token{{Token: shopToken}} },
		"same name twice":  func(c *api.Config) { c.Tokens = append(c.Tokens, api.Token{Name: "shop", Token: crmToken}) },
		"same token twice": func(c *api.Config) { c.Tokens = append(c.Tokens, api.Token{Name: "crm", Token: shopToken}) },
		"no enqueuer":      func(c *api.Config) { c.Enqueuer = nil },
		"no inspector":     func(c *api.Config) { c.Inspector = nil },
		"no location":      func(c *api.Config) { c.Location = nil },
		"no chunk":         func(c *api.Config) { c.BatchChunk = 0 },
	} {
		c := full()
		f(&c)
		_, err := api.New(c)
		require.Error(t, err, name)
		require.NotContains(t, err.Error(), shopToken, name)
	}
}

// The worker mounts the handler on a mux it shares with the webhook and
// health routes: the API answers only under /v1/.
func TestHandlerServesOnlyItsPrefix(t *testing.T) {
	t.Parallel()
	h, err := api.New(api.Config{
		Tokens: []api.Token{{Name: "shop", Token: shopToken}}, Enqueuer: &tasks.Enqueuer{}, Inspector: &tasks.Inspector{},
		BatchChunk: 1000, Location: paris,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle(api.PathPrefix, h)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	require.Equal(t, "ok", rec.Body.String())
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/openapi.json", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	require.True(t, reflect.DeepEqual(rec.Body.Bytes(), api.OpenAPI()))
}
