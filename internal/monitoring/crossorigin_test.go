package monitoring

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCrossOriginRefusesWhatAHostilePageCanSend(t *testing.T) {
	t.Parallel()
	const self = "http://ops.internal:8080"
	for _, tc := range []struct {
		name    string
		method  string
		headers map[string]string
		body    string
		allowed bool
	}{
		// What asynqmon's UI sends (axios): no body and no Content-Type for
		// pause/run/archive/"… all", JSON for batch actions.
		{"UI pause, no body", "POST", map[string]string{"Origin": self, "Sec-Fetch-Site": "same-origin"}, "", true},
		{"UI delete, no body", "DELETE", map[string]string{"Origin": self, "Sec-Fetch-Site": "same-origin"}, "", true},
		{"UI batch, JSON", "POST", map[string]string{"Origin": self, "Sec-Fetch-Site": "same-origin", "Content-Type": "application/json;charset=utf-8"}, `{"task_ids":["t1"]}`, true},
		{"old browser, same Origin", "POST", map[string]string{"Origin": self, "Content-Type": "application/json"}, `{}`, true},
		{"typed URL", "POST", map[string]string{"Sec-Fetch-Site": "none"}, "", true},
		{"curl, no body", "POST", nil, "", true},
		{"curl, JSON", "POST", map[string]string{"Content-Type": "application/json"}, `{"task_ids":["t1"]}`, true},
		{"reads are never refused", "GET", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, "", true},
		{"HEAD", "HEAD", map[string]string{"Sec-Fetch-Site": "cross-site"}, "", true},

		// The black-box review's reproductions, and their neighbours.
		{"cross-site form pause", "POST", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site", "Content-Type": "application/x-www-form-urlencoded"}, "", false},
		{"cross-site form, old browser", "POST", map[string]string{"Origin": "https://evil.example", "Content-Type": "application/x-www-form-urlencoded"}, "a=b", false},
		{"cross-site, no Origin", "POST", map[string]string{"Sec-Fetch-Site": "cross-site"}, "", false},
		{"same-site sibling", "POST", map[string]string{"Origin": "http://other.internal:8080", "Sec-Fetch-Site": "same-site"}, "", false},
		{"cross-site JSON", "POST", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site", "Content-Type": "application/json"}, `{}`, false},
		{"text/plain run_all, same origin", "POST", map[string]string{"Origin": self, "Content-Type": "text/plain"}, "", false},
		{"text/plain batch_delete", "POST", map[string]string{"Content-Type": "text/plain"}, `{"task_ids":["t3"]}=`, false},
		{"multipart", "POST", map[string]string{"Content-Type": "multipart/form-data; boundary=x"}, "--x--", false},
		{"empty form", "POST", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "", false},
		{"body without type", "POST", nil, `{"task_ids":["t3"]}`, false},
		{"bad media type", "POST", map[string]string{"Content-Type": "application/json; ;"}, `{}`, false},
		{"form DELETE", "DELETE", map[string]string{"Content-Type": "text/plain"}, "x", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			c, err := newCrossOrigin(nil, slog.New(slog.NewTextHandler(&logs, nil)))
			require.NoError(t, err)
			reached := false
			h := c.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached = true }))
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			r := httptest.NewRequest(tc.method, "http://ops.internal:8080"+Path+"/api/queues/default:pause", body)
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			require.Equal(t, tc.allowed, reached)
			if !tc.allowed {
				require.Equal(t, http.StatusForbidden, w.Code)
				require.Contains(t, logs.String(), "level=WARN")
				require.Contains(t, logs.String(), "state-changing request refused")
			}
		})
	}
}

func TestCrossOriginTrustedOrigins(t *testing.T) {
	t.Parallel()
	c, err := newCrossOrigin([]string{"https://ops.example.com"}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	h := c.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	r := httptest.NewRequest("POST", "http://worker:8080"+Path+"/api/queues/default:pause", nil)
	r.Header.Set("Origin", "https://ops.example.com")
	r.Header.Set("Sec-Fetch-Site", "cross-site") // the proxy rewrote Host
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	require.Equal(t, http.StatusNoContent, w.Code)

	_, err = newCrossOrigin([]string{"ops.example.com/path"}, slog.New(slog.DiscardHandler))
	require.Error(t, err, "an origin is scheme://host[:port]")
}
