package monitoring

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/hibiken/asynqmon"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// asynqmonUI is asynqmon's handler for serving its files only: the client
// points at a socket nobody listens on, and is never dialled.
func asynqmonUI(t *testing.T) http.Handler {
	t.Helper()
	c := redis.NewClient(&redis.Options{Network: "unix", Addr: filepath.Join(t.TempDir(), "none.sock")})
	t.Cleanup(func() { c.Close() })
	return asynqmon.New(asynqmon.Options{RootPath: Path, RedisConnOpt: sharedConn{c}})
}

func asynqmonVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/hibiken/asynqmon" {
				return d.Version
			}
		}
	}
	return "(unknown)"
}

// If this fails after an asynqmon upgrade, the UI still works but shows task
// IDs cut at their first "-": find the new uuidPrefix in the bundle and
// update uuidPrefixJS.
func TestTheBundleOfAsynqmonInGoModIsPatched(t *testing.T) {
	t.Parallel()
	assets, err := patchTaskIDs(asynqmonUI(t))
	require.NoError(t, err, "asynqmon %s: uuidPrefix not found in its bundle; update taskids.go", asynqmonVersion())
	require.Len(t, assets, 1)
	for path, a := range assets {
		require.True(t, strings.HasPrefix(path, Path+"/static/js/main."), path)
		require.NotContains(t, string(a.body), `.indexOf("-");return-1===`)
		require.Regexp(t, `function [\w$]+\(([\w$]+)\)\{return ([\w$]+)\}`, string(a.body))
	}
}

func TestRewriteUUIDPrefix(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, js, want string
		n              int
	}{
		{"asynqmon 0.7.2", `x;function cn(e){var t=e.indexOf("-");return-1===t?e:e.substr(0,t)}function sn(e,t){}`,
			`x;function cn(e){return e}function sn(e,t){}`, 1},
		{"other names", `function $a(b$){var _c=b$.indexOf("-");return-1===_c?b$:b$.substr(0,_c)}`,
			`function $a(b$){return b$}`, 1},
		{"same shape, other function", `function f(e){var t=e.indexOf("-");return-1===t?x:e.substr(0,t)}`,
			`function f(e){var t=e.indexOf("-");return-1===t?x:e.substr(0,t)}`, 0},
		{"changed layout", `function cn(e){const t=e.indexOf("-");return t<0?e:e.slice(0,t)}`,
			`function cn(e){const t=e.indexOf("-");return t<0?e:e.slice(0,t)}`, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, n := rewriteUUIDPrefix([]byte(tc.js))
			require.Equal(t, tc.want, string(got))
			require.Equal(t, tc.n, n)
		})
	}
}

func TestPatchedBundleIsServedWithItsLengthAndRevalidated(t *testing.T) {
	t.Parallel()
	ui := asynqmonUI(t)
	assets, err := patchTaskIDs(ui)
	require.NoError(t, err)
	h := wholeTaskIDs(ui, slog.New(slog.DiscardHandler))
	for path, a := range assets {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		require.Equal(t, http.StatusOK, w.Code)
		require.Equal(t, string(a.body), w.Body.String())
		require.Equal(t, strconv.Itoa(len(a.body)), w.Header().Get("Content-Length"))
		require.Equal(t, "application/javascript; charset=utf-8", w.Header().Get("Content-Type"))
		require.Equal(t, "private, no-cache", w.Header().Get("Cache-Control"))
		etag := w.Header().Get("ETag")
		require.NotEmpty(t, etag)

		r := httptest.NewRequest(http.MethodGet, path, nil)
		r.Header.Set("If-None-Match", etag)
		w = httptest.NewRecorder()
		h.ServeHTTP(w, r)
		require.Equal(t, http.StatusNotModified, w.Code)

		w = httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodHead, path, nil))
		require.Equal(t, http.StatusOK, w.Code)
		require.Empty(t, w.Body.Bytes())
	}
	// Everything else is asynqmon's.
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, Path+"/", nil))
	require.Equal(t, http.StatusOK, w.Code)
	require.Contains(t, w.Body.String(), `<div id="root">`)
}

// An asynqmon whose bundle changed: served as it is, with a warning.
func TestUnknownBundleIsServedUnpatched(t *testing.T) {
	t.Parallel()
	const js = `function cn(e){return e.split("-")[0]}`
	ui := http.NewServeMux()
	ui.HandleFunc(Path+"/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`<html><script src="` + Path + `/static/js/main.1.chunk.js"></script></html>`))
	})
	ui.HandleFunc(Path+"/static/js/main.1.chunk.js", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(js)) })
	var logs logBuffer
	h := wholeTaskIDs(ui, slog.New(slog.NewTextHandler(&logs, nil)))
	require.Contains(t, logs.String(), "level=WARN")
	require.Contains(t, logs.String(), "served unpatched")

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, Path+"/static/js/main.1.chunk.js", nil))
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, js, w.Body.String())
}
