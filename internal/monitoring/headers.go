package monitoring

import (
	"net/http"
	"strings"
)

// securityHeaders sets, on every answer (401, 403 and 429 included):
//   - no framing by any page (clickjacking: a hostile page overlaying the UI
//     to make the operator click "Run All"), in both the old and the CSP form;
//   - no MIME sniffing, so an API answer is never run as a script;
//   - no Referer, so task IDs in the UI's URLs do not leak to other sites;
//   - no caching of API answers, which hold payloads (phone numbers,
//     messages) that must not stay in a shared browser's cache.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if isAPI(r) {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// isAPI reports whether r is for asynqmon's JSON API rather than the UI's files.
func isAPI(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, Path+"/api/")
}
