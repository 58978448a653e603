package worker_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/config"
	"github.com/smsq/smsq/internal/proctest"
	"github.com/smsq/smsq/internal/redistest"
	"github.com/smsq/smsq/internal/worker"
	"github.com/smsq/smsq/smsmode/smsmodetest"
	"github.com/smsq/smsq/tasks"
)

// The number whose sends the gate holds, as the client sends it.
const (
	heldNumber = "0611111111"
	heldWire   = "33611111111"
	otpNumber  = "0622222222"
)

// gate is a test-local proxy in front of the fake: a sendSMS.do to
// heldNumber waits there until release (or until its client gives up), so
// that a test can keep task slots busy for as long as it likes.
type gate struct {
	URL     string // base URL for SMSMODE_BASE_URL
	proxy   *httputil.ReverseProxy
	held    atomic.Int64 // requests waiting now
	release chan struct{}
	once    sync.Once
}

func newGate(t *testing.T, fake *smsmodetest.Server) *gate {
	t.Helper()
	u, err := url.Parse(fake.URL)
	require.NoError(t, err)
	g := &gate{
		proxy:   httputil.NewSingleHostReverseProxy(&url.URL{Scheme: u.Scheme, Host: u.Host}),
		release: make(chan struct{}),
	}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	t.Cleanup(g.open)
	g.URL = srv.URL + u.Path
	return g
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if strings.HasSuffix(r.URL.Path, "/sendSMS.do") {
		if form, _ := url.ParseQuery(string(body)); form.Get("numero") == heldWire {
			g.held.Add(1)
			select {
			case <-g.release:
				g.held.Add(-1)
			case <-r.Context().Done():
				g.held.Add(-1)
				return
			}
		}
	}
	g.proxy.ServeHTTP(w, r)
}

// open lets every held request through, now and from now on.
func (g *gate) open() { g.once.Do(func() { close(g.release) }) }

// pod is a tasks-role worker in this process against a private Redis and
// the fake behind a gate.
type pod struct {
	redis    *redistest.Server
	gate     *gate
	base     string
	enqueuer *tasks.Enqueuer
	insp     *tasks.Inspector
	cancel   context.CancelFunc
	done     chan error
	stopped  bool
}

func startPod(t *testing.T, env ...string) *pod {
	t.Helper()
	srv := redistest.Start(t)
	fake := smsmodetest.NewServer(smsmodetest.WithCredit(1e6))
	t.Cleanup(fake.Close)
	p := &pod{redis: srv, gate: newGate(t, fake), done: make(chan error, 1)}
	t.Setenv("REDIS_URL", srv.URL())
	t.Setenv("SMSMODE_BASE_URL", p.gate.URL)
	t.Setenv("SMSMODE_ACCESS_TOKEN", smsmodetest.AccessToken)
	t.Setenv("HTTP_ADDR", "127.0.0.1:0")
	t.Setenv("RETRY_BASE_DELAY", "20ms")
	t.Setenv("RETRY_MAX_DELAY", "100ms")
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	cfg, err := config.Load()
	require.NoError(t, err)
	w, err := worker.New(cfg, worker.RoleTasks, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	go func() { p.done <- w.Run(ctx) }()
	t.Cleanup(func() {
		if !p.stopped {
			p.gate.open() // a failed test must not wait for SHUTDOWN_TIMEOUT
			p.stop(t)
		}
	})
	require.Eventually(t, func() bool {
		if w.Addr() == "" {
			return false
		}
		p.base = "http://" + w.Addr()
		resp, err := http.Get(p.base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 10*time.Second, 10*time.Millisecond)
	p.enqueuer = proctest.Enqueuer(t, srv.Client(), 20)
	p.insp = proctest.Inspector(t, srv.Client())
	return p
}

// stop cancels Run and returns how long it took to return.
func (p *pod) stop(t *testing.T) time.Duration {
	t.Helper()
	p.stopped = true
	start := time.Now()
	p.cancel()
	require.NoError(t, <-p.done)
	return time.Since(start)
}

func (p *pod) send(t *testing.T, id, queue, number string) {
	t.Helper()
	_, err := p.enqueuer.Send(context.Background(), tasks.SendPayload{To: []string{number}, Message: "Votre code : 4821"},
		tasks.WithTaskID(id), tasks.WithQueue(queue))
	require.NoError(t, err)
}

func (p *pod) state(t *testing.T, id string) string {
	t.Helper()
	st, err := p.insp.Status(context.Background(), id)
	require.NoError(t, err)
	return st.State
}

func (p *pod) waitState(t *testing.T, id, state string) {
	t.Helper()
	require.Eventually(t, func() bool {
		st, err := p.insp.Status(context.Background(), id)
		return err == nil && st.State == state
	}, 20*time.Second, 10*time.Millisecond, "task %s never reached %s", id, state)
}

func (p *pod) waitHeld(t *testing.T, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return p.gate.held.Load() == int64(n) }, 10*time.Second, 5*time.Millisecond,
		"want %d sends held at the provider", n)
}

// Every ordinary slot is held by a send the provider does not answer: an
// OTP still goes out at once through the critical lane, and only through it.
func TestOTPGetsALaneSlotWhileEveryOrdinarySlotIsHeld(t *testing.T) {
	for _, tc := range []struct {
		name         string
		env          []string
		otpGoesFirst bool
	}{
		{"with the lane", []string{"CRITICAL_CONCURRENCY=1"}, true},
		{"without a lane", []string{"CRITICAL_CONCURRENCY=0"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := startPod(t, append([]string{"WORKER_CONCURRENCY=2"}, tc.env...)...)
			// A campaign on low fills both ordinary slots; a third send waits.
			for i := range 3 {
				p.send(t, fmt.Sprintf("camp-%d", i), tasks.QueueLow, heldNumber)
			}
			p.waitHeld(t, 2)

			p.send(t, "otp", tasks.QueueCritical, otpNumber)
			if tc.otpGoesFirst {
				p.waitState(t, "otp", "completed")
			} else {
				require.Never(t, func() bool { return p.state(t, "otp") != "pending" }, 300*time.Millisecond, 20*time.Millisecond,
					"without a lane the OTP waits for a slot")
			}
			require.Equal(t, int64(2), p.gate.held.Load(), "the campaign's sends are still held")
			require.Equal(t, "pending", p.state(t, "camp-2"), "the lane takes nothing but critical")

			p.gate.open()
			for _, id := range []string{"camp-0", "camp-1", "camp-2", "otp"} {
				p.waitState(t, id, "completed")
			}
		})
	}
}

// The lane's slots come on top of WORKER_CONCURRENCY, and the main server
// keeps serving critical: three OTPs held at once fill the lane's slot and
// both ordinary ones.
func TestMainServerStillServesCritical(t *testing.T) {
	p := startPod(t, "WORKER_CONCURRENCY=2", "CRITICAL_CONCURRENCY=1")
	for i := range 3 {
		p.send(t, fmt.Sprintf("otp-%d", i), tasks.QueueCritical, heldNumber)
	}
	p.waitHeld(t, 3)
	p.gate.open()
	for i := range 3 {
		p.waitState(t, fmt.Sprintf("otp-%d", i), "completed")
	}
}

// What the web UI and asynq's inspector see: one server per lane, same host
// and PID, told apart by their queues and concurrency.
func TestLanesAsAsynqSeesThem(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  []string
		want []string // "queues concurrency" of each server
	}{
		{"defaults", nil, []string{"critical=1 5", "critical=6,default=3,events=2,low=1 20"}},
		{"no lane", []string{"CRITICAL_CONCURRENCY=0"}, []string{"critical=6,default=3,events=2,low=1 20"}},
		{"critical not served", []string{"WORKER_QUEUES=default=1,low=1"}, []string{"default=1,low=1 20"}},
		{"events only", []string{"WORKER_QUEUES=events=1"}, []string{"events=1 20"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := startPod(t, tc.env...)
			insp := asynq.NewInspectorFromRedisClient(p.redis.Client())
			var got []string
			require.Eventually(t, func() bool {
				servers, err := insp.Servers()
				if err != nil {
					return false
				}
				got = got[:0]
				for _, s := range servers {
					require.Equal(t, os.Getpid(), s.PID)
					got = append(got, fmt.Sprintf("%s %d", config.Queues(s.Queues), s.Concurrency))
				}
				slices.Sort(got)
				return len(got) == len(tc.want)
			}, 10*time.Second, 20*time.Millisecond)
			require.Equal(t, tc.want, got)

			resp, err := http.Get(p.base + "/readyz")
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
		})
	}
}

// A pod stopping with tasks in flight on both servers gives them one
// SHUTDOWN_TIMEOUT in all, not one per server, and puts them back in their
// queues.
func TestShutdownStopsBothServersTogether(t *testing.T) {
	const grace = 2 * time.Second
	p := startPod(t, "WORKER_CONCURRENCY=1", "CRITICAL_CONCURRENCY=1", "SHUTDOWN_TIMEOUT="+grace.String())
	p.send(t, "camp", tasks.QueueLow, heldNumber)
	p.waitHeld(t, 1)
	p.send(t, "otp", tasks.QueueCritical, heldNumber) // the main slot is busy: the lane takes it
	p.waitHeld(t, 2)

	took := p.stop(t)
	require.GreaterOrEqual(t, took, grace, "in-flight tasks get the whole grace period")
	require.Less(t, took, 2*grace, "one grace period for both servers")
	require.Equal(t, "pending", p.state(t, "camp"))
	require.Equal(t, "pending", p.state(t, "otp"))
}
