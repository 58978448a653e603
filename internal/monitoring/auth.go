package monitoring

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// basicAuth guards the UI with one user and password.
//
// A failure is a request whose credentials are wrong; a request without any
// (a browser's first visit, before it shows its login prompt) is only
// challenged. Failures are logged with the client and path — never the user
// or password tried, which may be the real password with a typo — counted,
// and throttled per client (throttle.go).
type basicAuth struct {
	wantUser, wantPass [sha256.Size]byte
	forwardedFor       bool
	throttle           *throttle
	log                *slog.Logger
	failures           prometheus.Counter
	throttled          prometheus.Counter
}

func newBasicAuth(user, password string, forwardedFor bool, log *slog.Logger, reg prometheus.Registerer) (*basicAuth, error) {
	a := &basicAuth{
		wantUser:     sha256.Sum256([]byte(user)),
		wantPass:     sha256.Sum256([]byte(password)),
		forwardedFor: forwardedFor,
		throttle:     newThrottle(failureBurst, failureEvery, maxClients, time.Now),
		log:          log,
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "smsq_monitoring_auth_failures_total",
			Help: "Requests to the web UI with wrong basic-auth credentials.",
		}),
		throttled: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "smsq_monitoring_auth_throttled_total",
			Help: "Requests to the web UI refused with 429 after repeated authentication failures from their client.",
		}),
	}
	for _, c := range []prometheus.Collector{a.failures, a.throttled} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("monitoring: register metrics: %w", err)
		}
	}
	return a, nil
}

// valid compares SHA-256 digests in constant time, which hides both the
// content and the length of the expected credentials.
func (a *basicAuth) valid(user, pass string) bool {
	gotUser := sha256.Sum256([]byte(user))
	gotPass := sha256.Sum256([]byte(pass))
	userOK := subtle.ConstantTimeCompare(gotUser[:], a.wantUser[:])
	passOK := subtle.ConstantTimeCompare(gotPass[:], a.wantPass[:])
	return userOK&passOK == 1
}

func (a *basicAuth) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if !ok {
			challenge(w)
			return
		}
		client := clientKey(r, a.forwardedFor)
		v := a.throttle.attempt(client, func() bool { return a.valid(user, pass) })
		switch {
		case v.ok:
			next.ServeHTTP(w, r)
		case v.retryAfter > 0:
			// Refused before the credentials are looked at: a right password
			// must not answer differently, or the throttle would be an oracle.
			a.throttled.Inc()
			w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(v.retryAfter)))
			http.Error(w, "too many failed logins; retry later", http.StatusTooManyRequests)
		default:
			a.failures.Inc()
			a.log.Warn("monitoring: authentication failed",
				slog.String("client", client),
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.Bool("throttled", v.locked))
			challenge(w)
		}
	})
}

func challenge(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Basic realm="smsq monitoring", charset="UTF-8"`)
	http.Error(w, "authentication required", http.StatusUnauthorized)
}
