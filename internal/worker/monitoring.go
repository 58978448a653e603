package worker

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"net/http"

	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"
)

// monitoringPath is where the Asynq web UI is served.
const monitoringPath = "/monitoring"

// monitoring returns the Asynq web UI behind basic auth. Payloads and
// results are shown as indented JSON.
func monitoring(conn asynq.RedisConnOpt, user, password string, readOnly bool) http.Handler {
	ui := asynqmon.New(asynqmon.Options{
		RootPath:         monitoringPath,
		RedisConnOpt:     conn,
		ReadOnly:         readOnly,
		PayloadFormatter: asynqmon.PayloadFormatterFunc(func(_ string, b []byte) string { return indentJSON(b) }),
		ResultFormatter:  asynqmon.ResultFormatterFunc(func(_ string, b []byte) string { return indentJSON(b) }),
	})
	return basicAuth(ui, user, password)
}

func indentJSON(b []byte) string {
	var out bytes.Buffer
	if json.Indent(&out, b, "", "  ") != nil {
		return string(b) // not JSON: show it as it is
	}
	return out.String()
}

// basicAuth guards h. Comparing SHA-256 digests in constant time hides both
// the content and the length of the expected credentials.
func basicAuth(h http.Handler, user, password string) http.Handler {
	wantUser := sha256.Sum256([]byte(user))
	wantPass := sha256.Sum256([]byte(password))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		gotUser := sha256.Sum256([]byte(u))
		gotPass := sha256.Sum256([]byte(p))
		userOK := subtle.ConstantTimeCompare(gotUser[:], wantUser[:])
		passOK := subtle.ConstantTimeCompare(gotPass[:], wantPass[:])
		if !ok || userOK&passOK != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="smsq monitoring", charset="UTF-8"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}
