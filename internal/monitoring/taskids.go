package monitoring

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"time"
)

// asynqmon's lists show a task ID only up to its first "-" (uuidPrefix in
// ui/src/utils.ts: made for UUIDs), so "otp-42", "camp-7-1" and "camp-7-2"
// all read "otp" or "camp". smsq's IDs are chosen by producers and carry
// meaning after the dash. Rather than fork asynqmon, the handler rewrites
// that one function in the bundled JavaScript, once, at start.
//
// Minified, the function reads
//
//	function cn(e){var t=e.indexOf("-");return-1===t?e:e.substr(0,t)}
//
// with names that change from one build to the next. RE2 has no
// back-references, so the names are captured and compared in code.
var uuidPrefixJS = regexp.MustCompile(`function ([\w$]+)\(([\w$]+)\)\{var ([\w$]+)=([\w$]+)\.indexOf\("-"\);return-1===([\w$]+)\?([\w$]+):([\w$]+)\.substr\(0,([\w$]+)\)\}`)

// scriptSrc finds the bundle files index.html loads.
var scriptSrc = regexp.MustCompile(`<script src="([^"]+\.js)"`)

// asset is a patched bundle file, served instead of asynqmon's.
type asset struct {
	body []byte
	etag string
}

// wholeTaskIDs serves ui with its uuidPrefix replaced by the identity. If the
// bundle no longer has that function (asynqmon upgraded), the UI is served
// as it is, with a warning: a cosmetic loss, not an outage. The unit test
// fails loudly in that case.
func wholeTaskIDs(ui http.Handler, log *slog.Logger) http.Handler {
	assets, err := patchTaskIDs(ui)
	if err != nil {
		log.Warn("monitoring: web UI served unpatched: task IDs are cut at their first '-' in lists",
			slog.String("error", err.Error()))
		return ui
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := assets[r.URL.Path]
		if !ok || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
			ui.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/javascript; charset=utf-8")
		h.Set("ETag", a.etag)
		// The file keeps asynqmon's content-hashed name although its content
		// changed: revalidate (a cheap 304) rather than trust a cached copy.
		h.Set("Cache-Control", "private, no-cache")
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
	})
}

// patchTaskIDs reads the bundle files that ui's index page loads and
// rewrites uuidPrefix in the one that has it. It fails unless exactly one
// such function is found.
func patchTaskIDs(ui http.Handler) (map[string]asset, error) {
	index, err := get(ui, Path+"/")
	if err != nil {
		return nil, err
	}
	assets := make(map[string]asset)
	found := 0
	for _, m := range scriptSrc.FindAllSubmatch(index, -1) {
		path := string(m[1])
		js, err := get(ui, path)
		if err != nil {
			return nil, err
		}
		patched, n := rewriteUUIDPrefix(js)
		if n == 0 {
			continue
		}
		found += n
		sum := sha256.Sum256(patched)
		assets[path] = asset{body: patched, etag: `"` + hex.EncodeToString(sum[:16]) + `"`}
	}
	if found != 1 {
		return nil, fmt.Errorf("found %d uuidPrefix functions in the bundle, want 1", found)
	}
	return assets, nil
}

// rewriteUUIDPrefix replaces each uuidPrefix in js by the identity
// function, and says how many it replaced.
func rewriteUUIDPrefix(js []byte) ([]byte, int) {
	var out bytes.Buffer
	n, last := 0, 0
	for _, m := range uuidPrefixJS.FindAllSubmatchIndex(js, -1) {
		g := func(i int) string { return string(js[m[2*i]:m[2*i+1]]) }
		arg, idx := g(2), g(3)
		if g(4) != arg || g(6) != arg || g(7) != arg || g(5) != idx || g(8) != idx {
			continue // same shape, different function
		}
		out.Write(js[last:m[0]])
		fmt.Fprintf(&out, "function %s(%s){return %s}", g(1), arg, arg)
		last = m[1]
		n++
	}
	if n == 0 {
		return js, 0
	}
	out.Write(js[last:])
	return out.Bytes(), n
}

// get fetches path from h in process.
func get(h http.Handler, path string) ([]byte, error) {
	r, err := http.NewRequest(http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	w := &capture{header: make(http.Header), code: http.StatusOK}
	h.ServeHTTP(w, r)
	if w.code != http.StatusOK {
		return nil, fmt.Errorf("GET %s: status %d", path, w.code)
	}
	if w.body.Len() == 0 {
		return nil, errors.New("GET " + path + ": empty")
	}
	return w.body.Bytes(), nil
}

// capture is an in-memory http.ResponseWriter.
type capture struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (c *capture) Header() http.Header         { return c.header }
func (c *capture) Write(b []byte) (int, error) { return c.body.Write(b) }
func (c *capture) WriteHeader(code int)        { c.code = code }
