// Package monitoring serves the Asynq web UI (asynqmon) to operators, made
// safe for a browser that also visits hostile pages.
//
// asynqmon itself trusts every request that reaches it. The handler New
// returns puts in front of it, outermost first:
//
//   - security headers: no framing, no MIME sniffing, no referrer, no caching
//     of API answers (headers.go);
//   - cross-site protection: a state-changing request must come from the UI's
//     own origin and carry JSON or no body (crossorigin.go);
//   - basic auth whose failures are logged, counted and throttled per client:
//     after 5 wrong passwords in a row a client gets 429 (right password
//     included, or the throttle would tell a guesser when it hit) and one
//     more try every 20 s (auth.go, throttle.go);
//   - a bound on list page sizes (pagesize.go);
//   - the UI bundle patched to show whole task IDs (taskids.go).
package monitoring

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/hibiken/asynqmon"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// Path is where the web UI is mounted: the handler serves Path+"/" and
// everything below it.
const Path = "/monitoring"

// Options configures the web UI. Redis, Password, Logger and Registerer are
// required.
type Options struct {
	// Redis is the process's shared client. The UI never closes it.
	Redis redis.UniversalClient
	// User and Password are the basic-auth credentials (User may be empty).
	User, Password string
	// ReadOnly refuses every change (pause, run, delete…): view-only UI.
	ReadOnly bool
	// Logger receives authentication failures, refused cross-site requests
	// and a warning if the UI bundle could not be patched.
	Logger *slog.Logger
	// Registerer receives smsq_monitoring_auth_failures_total and
	// smsq_monitoring_auth_throttled_total.
	Registerer prometheus.Registerer
	// TrustedOrigins are extra origins ("https://ops.example.com") allowed
	// to change state, for a reverse proxy that rewrites the Host header.
	// The UI's own origin (same host as the request) is always allowed.
	TrustedOrigins []string
	// TrustForwardedFor identifies clients, for auth throttling, by the last
	// address of X-Forwarded-For instead of the connection's address. Set it
	// only behind exactly one reverse proxy that appends that header:
	// otherwise any client can pick its own address and dodge the throttle.
	TrustForwardedFor bool
}

// New returns the web UI handler, to be mounted at Path+"/". It refuses a
// missing dependency or an empty password.
func New(o Options) (http.Handler, error) {
	switch {
	case o.Redis == nil:
		return nil, errors.New("monitoring: Redis client is required")
	case o.Password == "":
		return nil, errors.New("monitoring: a password is required")
	case o.Logger == nil:
		return nil, errors.New("monitoring: Logger is required")
	case o.Registerer == nil:
		return nil, errors.New("monitoring: Registerer is required")
	}
	csrf, err := newCrossOrigin(o.TrustedOrigins, o.Logger)
	if err != nil {
		return nil, err
	}
	auth, err := newBasicAuth(o.User, o.Password, o.TrustForwardedFor, o.Logger, o.Registerer)
	if err != nil {
		return nil, err
	}
	ui := asynqmon.New(asynqmon.Options{
		RootPath:         Path,
		RedisConnOpt:     sharedConn{o.Redis},
		ReadOnly:         o.ReadOnly,
		PayloadFormatter: asynqmon.PayloadFormatterFunc(func(_ string, b []byte) string { return indentJSON(b) }),
		ResultFormatter:  asynqmon.ResultFormatterFunc(func(_ string, b []byte) string { return indentJSON(b) }),
	})
	// ui.Close is never called: it would close the shared client.
	var h http.Handler = wholeTaskIDs(ui, o.Logger)
	h = boundPages(h)
	h = auth.wrap(h)
	h = csrf.wrap(h)
	return securityHeaders(h), nil
}

// sharedConn hands asynqmon the process's client instead of letting it dial
// its own pools (asynqmon calls MakeRedisClient twice: for itself and for its
// inspector).
type sharedConn struct{ c redis.UniversalClient }

// MakeRedisClient returns the shared client.
func (s sharedConn) MakeRedisClient() any { return s.c }

// indentJSON shows payloads and results as indented JSON, readable in the UI.
func indentJSON(b []byte) string {
	var out bytes.Buffer
	if json.Indent(&out, b, "", "  ") != nil {
		return string(b) // not JSON: show it as it is
	}
	return out.String()
}
