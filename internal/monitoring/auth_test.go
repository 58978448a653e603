package monitoring

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
)

// logBuffer is a bytes.Buffer that handlers may write while the test reads.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *logBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

func TestBasicAuth(t *testing.T) {
	t.Parallel()
	var logs logBuffer
	reg := prometheus.NewRegistry()
	a, err := newBasicAuth("ops", "s3cret-Pass", false, slog.New(slog.NewTextHandler(&logs, nil)), reg)
	require.NoError(t, err)
	h := a.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ui")) }))
	do := func(remote, user, pass string, auth bool) *http.Response {
		r := httptest.NewRequest(http.MethodGet, Path+"/api/queues", nil)
		r.RemoteAddr = remote
		if auth {
			r.SetBasicAuth(user, pass)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Result()
	}

	// Both counters exist, at 0, before anything happened.
	n, err := testutil.GatherAndCount(reg, "smsq_monitoring_auth_failures_total", "smsq_monitoring_auth_throttled_total")
	require.NoError(t, err)
	require.Equal(t, 2, n)
	require.Zero(t, testutil.ToFloat64(a.failures))

	require.Equal(t, http.StatusOK, do("192.0.2.1:1000", "ops", "s3cret-Pass", true).StatusCode)

	resp := do("192.0.2.1:1000", "", "", false)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Contains(t, resp.Header.Get("WWW-Authenticate"), `Basic realm="smsq monitoring"`)
	require.Zero(t, testutil.ToFloat64(a.failures), "no credentials is a challenge, not a failed guess")

	for _, c := range []struct{ user, pass string }{
		{"ops", "s3cret-Pasz"}, {"0ps-typo", "s3cret-Pass"}, {"ops", ""}, {"", ""}, {"ops", "guess-4"},
	} {
		require.Equal(t, http.StatusUnauthorized, do("203.0.113.7:4242", c.user, c.pass, true).StatusCode)
	}
	require.EqualValues(t, 5, testutil.ToFloat64(a.failures))
	out := logs.String()
	require.Equal(t, 5, strings.Count(out, "level=WARN msg=\"monitoring: authentication failed\""))
	require.Contains(t, out, "client=203.0.113.7")
	require.Contains(t, out, "path=/monitoring/api/queues")
	for _, secret := range []string{"s3cret", "Pasz", "0ps-typo", "guess-4", "user=", "password="} {
		require.NotContains(t, out, secret, "the values tried never reach the log")
	}

	// Locked out: even the right password gets 429, without being checked.
	resp = do("203.0.113.7:4243", "ops", "s3cret-Pass", true)
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	require.Equal(t, "20", resp.Header.Get("Retry-After"))
	require.EqualValues(t, 1, testutil.ToFloat64(a.throttled))
	require.EqualValues(t, 5, testutil.ToFloat64(a.failures), "a refused attempt is not a checked failure")

	require.Equal(t, http.StatusOK, do("192.0.2.1:1001", "ops", "s3cret-Pass", true).StatusCode, "the operator elsewhere is not slowed")

	_, err = newBasicAuth("ops", "pw", false, slog.New(slog.DiscardHandler), reg)
	require.Error(t, err, "the counters are already registered")
}
