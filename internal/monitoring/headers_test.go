package monitoring

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	h := securityHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "whatever the inner handler answers", http.StatusUnauthorized)
	}))
	for _, tc := range []struct {
		path      string
		wantCache string
	}{
		{Path + "/api/queues", "no-store"},
		{Path + "/api/queues/default/archived_tasks", "no-store"},
		{Path + "/", ""},
		{Path + "/static/js/main.js", ""},
	} {
		t.Run(tc.path, func(t *testing.T) {
			t.Parallel()
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, tc.path, nil))
			got := w.Result().Header
			require.Equal(t, "DENY", got.Get("X-Frame-Options"))
			require.Contains(t, got.Get("Content-Security-Policy"), "frame-ancestors 'none'")
			require.Equal(t, "nosniff", got.Get("X-Content-Type-Options"))
			require.Equal(t, "no-referrer", got.Get("Referrer-Policy"))
			require.Equal(t, tc.wantCache, got.Get("Cache-Control"))
		})
	}
}
