package monitoring

import (
	"math"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Throttle settings: a client may get its password wrong failureBurst times
// in a row, then once every failureEvery. An operator who mistypes a few
// times is not held up; a guesser gets about 4,300 tries a day per address
// instead of thousands a second.
const (
	failureBurst = 5
	failureEvery = 20 * time.Second
	// maxClients bounds the memory of the throttle. Beyond it, the clients
	// that do not fit share one budget (see throttle.limiter).
	maxClients = 10_000
)

// throttle counts failed logins per client. Only failures create entries,
// so the UI's own polling, with good credentials, never touches the map.
type throttle struct {
	burst int
	every time.Duration
	max   int
	now   func() time.Time

	mu        sync.Mutex
	clients   map[string]*rate.Limiter
	overflow  *rate.Limiter // shared by the clients that do not fit in clients
	lastSweep time.Time
}

func newThrottle(burst int, every time.Duration, max int, now func() time.Time) *throttle {
	return &throttle{
		burst: burst, every: every, max: max, now: now,
		clients:  make(map[string]*rate.Limiter),
		overflow: rate.NewLimiter(rate.Every(every), burst),
	}
}

// verdict is the outcome of one attempt.
type verdict struct {
	ok         bool          // credentials checked and right
	retryAfter time.Duration // > 0: refused without checking; retry after that
	locked     bool          // this failure used up the client's budget
}

// attempt runs check for client unless the client has used up its budget.
// Checking and recording under one lock means parallel guesses cannot slip
// through between the check and the count.
func (t *throttle) attempt(client string, check func() bool) verdict {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if lim := t.limiter(client, now, false); lim != nil {
		if tokens := lim.TokensAt(now); tokens < 1 {
			return verdict{retryAfter: time.Duration((1 - tokens) * float64(t.every))}
		}
	}
	if check() {
		return verdict{ok: true}
	}
	lim := t.limiter(client, now, true)
	lim.AllowN(now, 1)
	return verdict{locked: lim.TokensAt(now) < 1}
}

// limiter returns the client's limiter, creating it if create is set. When
// the map is full (after dropping entries that have fully recovered and so
// hold no information), clients not in it share t.overflow: an attacker
// spoofing addresses cannot grow memory, nor reset its own budget by
// evicting it, and gets throttled as one client.
func (t *throttle) limiter(client string, now time.Time, create bool) *rate.Limiter {
	if lim, ok := t.clients[client]; ok {
		return lim
	}
	if len(t.clients) >= t.max && now.Sub(t.lastSweep) >= t.every {
		t.lastSweep = now // at most one full scan per interval, not per request
		for k, lim := range t.clients {
			if lim.TokensAt(now) >= float64(t.burst) {
				delete(t.clients, k)
			}
		}
	}
	if len(t.clients) >= t.max {
		return t.overflow
	}
	if !create {
		return nil
	}
	lim := rate.NewLimiter(rate.Every(t.every), t.burst)
	t.clients[client] = lim
	return lim
}

// retryAfterSeconds is the Retry-After value of d: whole seconds, rounded up.
func retryAfterSeconds(d time.Duration) int {
	return int(math.Ceil(d.Seconds()))
}

// clientKey identifies the client of r for throttling: its IP address (an
// IPv6 client by its /64, which one host usually owns whole). With
// forwardedFor, the last X-Forwarded-For address (added by the proxy in
// front) is used when present and valid.
func clientKey(r *http.Request, forwardedFor bool) string {
	addr := r.RemoteAddr
	if host, _, err := net.SplitHostPort(addr); err == nil {
		addr = host
	}
	if forwardedFor {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			last := xff[len(xff)-1]
			if i := strings.LastIndexByte(last, ','); i >= 0 {
				last = last[i+1:]
			}
			if ip := net.ParseIP(strings.TrimSpace(last)); ip != nil {
				addr = ip.String()
			}
		}
	}
	ip := net.ParseIP(addr)
	if ip == nil {
		return addr
	}
	if ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return ip.String()
}
