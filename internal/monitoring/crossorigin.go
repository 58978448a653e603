package monitoring

import (
	"fmt"
	"log/slog"
	"mime"
	"net/http"
)

// crossOrigin refuses state-changing requests that a hostile page could make
// the operator's browser send: the browser attaches the cached basic-auth
// credentials to any request to the UI's host, whoever asks for it.
//
// Two checks, both needed:
//   - origin: net/http.CrossOriginProtection (Sec-Fetch-Site, or Origin
//     against Host for browsers without it). Requests with neither header
//     are not from a browser (curl, scripts) and pass.
//   - body type: a request with a body must be application/json, the only
//     type asynqmon's UI sends (axios turns its data objects into JSON, and
//     sends its body-less actions — pause, run, archive, "… all" — with no
//     Content-Type). A cross-site HTML form can only send form-encoded,
//     multipart or text/plain bodies, and asynqmon decodes a text/plain
//     `{"task_ids":["t3"]}=` as JSON; JSON itself needs a CORS preflight,
//     which asynqmon never grants. This also covers an origin check an old
//     or misconfigured proxy might defeat.
type crossOrigin struct {
	protect *http.CrossOriginProtection
	log     *slog.Logger
}

func newCrossOrigin(trusted []string, log *slog.Logger) (*crossOrigin, error) {
	p := http.NewCrossOriginProtection()
	for _, o := range trusted {
		if err := p.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("monitoring: trusted origin: %w", err)
		}
	}
	return &crossOrigin{protect: p, log: log}, nil
}

func (c *crossOrigin) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if safeMethod(r.Method) {
			next.ServeHTTP(w, r)
			return
		}
		reason := ""
		if err := c.protect.Check(r); err != nil {
			reason = "cross-origin"
		} else if !jsonOrEmpty(r) {
			reason = "content-type"
		}
		if reason != "" {
			c.log.Warn("monitoring: state-changing request refused",
				slog.String("reason", reason),
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.String("origin", r.Header.Get("Origin")),
				slog.String("sec_fetch_site", r.Header.Get("Sec-Fetch-Site")),
				slog.String("content_type", r.Header.Get("Content-Type")))
			http.Error(w, "cross-site or non-JSON request refused", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// safeMethod: asynqmon changes nothing on these.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// jsonOrEmpty reports whether r carries a JSON body, or no body and no
// Content-Type at all. An empty form still announces its type: refused.
func jsonOrEmpty(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return r.ContentLength == 0 // -1 is a chunked body of unknown length
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/json"
}
