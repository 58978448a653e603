package monitoring

import (
	"fmt"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// clock is a fake time source the test moves by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newTestThrottle(max int) (*throttle, *clock) {
	c := &clock{t: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)}
	return newThrottle(3, 10*time.Second, max, c.now), c
}

func wrong() bool { return false }
func right() bool { return true }

func TestThrottleLocksOutAGuesserForAWhile(t *testing.T) {
	t.Parallel()
	th, clk := newTestThrottle(100)
	for i := range 2 {
		require.Equal(t, verdict{}, th.attempt("203.0.113.7", wrong), "failure %d", i+1)
	}
	require.Equal(t, verdict{locked: true}, th.attempt("203.0.113.7", wrong), "the third failure uses the budget up")

	checked := false
	v := th.attempt("203.0.113.7", func() bool { checked = true; return true })
	require.False(t, checked, "locked out: not even a right password is checked (no oracle)")
	require.False(t, v.ok)
	require.Equal(t, 10*time.Second, v.retryAfter)
	require.Equal(t, 10, retryAfterSeconds(v.retryAfter))

	require.True(t, th.attempt("198.51.100.1", right).ok, "other clients are not affected")

	clk.add(4 * time.Second)
	require.Equal(t, 6*time.Second, th.attempt("203.0.113.7", right).retryAfter)
	clk.add(6 * time.Second)
	require.True(t, th.attempt("203.0.113.7", right).ok, "one attempt more every 10s")
}

func TestThrottleSuccessesLeaveNoTrace(t *testing.T) {
	t.Parallel()
	th, _ := newTestThrottle(100)
	for range 1000 {
		require.True(t, th.attempt("192.0.2.1", right).ok)
	}
	require.Empty(t, th.clients)
}

func TestThrottleParallelGuessesGetNoMoreThanTheBudget(t *testing.T) {
	t.Parallel()
	th, _ := newTestThrottle(100)
	var checks atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			th.attempt("203.0.113.7", func() bool { checks.Add(1); return false })
		})
	}
	wg.Wait()
	require.EqualValues(t, 3, checks.Load())
}

func TestThrottleMemoryIsBounded(t *testing.T) {
	t.Parallel()
	th, clk := newTestThrottle(10)
	for i := range 10 {
		th.attempt(fmt.Sprintf("10.0.0.%d", i), wrong)
	}
	require.Len(t, th.clients, 10)

	// A spoofer with fresh addresses shares the overflow budget once the map is full.
	for i := range 3 {
		th.attempt(fmt.Sprintf("10.1.0.%d", i), wrong)
	}
	require.Len(t, th.clients, 10)
	require.Positive(t, th.attempt("10.1.0.99", right).retryAfter, "new clients are throttled as one")
	require.Zero(t, th.attempt("10.0.0.1", wrong).retryAfter, "known clients keep their own budget")

	// Entries that have fully recovered carry no information: dropped when room is needed.
	clk.add(time.Minute)
	require.True(t, th.attempt("10.2.0.1", right).ok)
	th.attempt("10.2.0.1", wrong)
	require.Contains(t, th.clients, "10.2.0.1")
	require.Len(t, th.clients, 1)
}

func TestClientKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name         string
		remote       string
		xff          []string
		forwardedFor bool
		want         string
	}{
		{"IPv4", "203.0.113.7:51234", nil, false, "203.0.113.7"},
		{"IPv6 by /64", "[2001:db8:1:2:3:4:5:6]:443", nil, false, "2001:db8:1:2::/64"},
		{"same /64", "[2001:db8:1:2:ffff::1]:443", nil, false, "2001:db8:1:2::/64"},
		{"XFF not trusted", "10.0.0.2:80", []string{"198.51.100.9"}, false, "10.0.0.2"},
		{"XFF trusted: rightmost", "10.0.0.2:80", []string{"6.6.6.6, 198.51.100.9"}, true, "198.51.100.9"},
		{"XFF trusted: last header", "10.0.0.2:80", []string{"6.6.6.6", "198.51.100.9"}, true, "198.51.100.9"},
		{"XFF garbage", "10.0.0.2:80", []string{"not-an-ip"}, true, "10.0.0.2"},
		{"no XFF", "10.0.0.2:80", nil, true, "10.0.0.2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.remote
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			require.Equal(t, tc.want, clientKey(r, tc.forwardedFor))
		})
	}
}
