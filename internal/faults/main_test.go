//go:build faults

// Package faults is smsq's fault-injection suite: the real worker and
// enqueue binaries against private redis-server processes and the fake
// sMsmode, while workers are killed, Redis restarts or runs out of memory,
// the provider fails, times out or drops connections, and callbacks flood
// the webhook. Every scenario asserts smsq's two promises — no task lost, no
// accepted message paid twice — and prints its figures (t.Logf lines
// starting with "FIGURE", and a table at the end of the run) for
// BENCHMARKS.md.
//
// The files carry the build tag "faults", so `go test ./...` skips them:
//
//	make faults   # go test -race -tags faults -count=1 -timeout 40m -v ./internal/faults/
//
// Nothing here touches a Redis it did not start: every redis-server comes
// from internal/redistest (unix socket in a temporary directory), every
// HTTP server listens on 127.0.0.1.
package faults

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/proctest"
	"github.com/smsq/smsq/internal/redistest"
	"github.com/smsq/smsq/smsmode/smsmodetest"
	"github.com/smsq/smsq/tasks"
)

var bins *proctest.Binaries

func TestMain(m *testing.M) {
	// Redis outages are on purpose here: keep go-redis's own dial-error
	// lines out of the test output (the tests report what matters).
	redis.SetLogger(silentLogger{})
	var err error
	bins, err = proctest.Build("github.com/smsq/smsq/cmd/worker", "github.com/smsq/smsq/cmd/enqueue")
	if err != nil {
		fmt.Fprintln(os.Stderr, "faults:", err)
		os.Exit(1)
	}
	start := time.Now()
	code := m.Run()
	printFigures(time.Since(start))
	bins.Close()
	os.Exit(code)
}

type silentLogger struct{}

func (silentLogger) Printf(context.Context, string, ...any) {}

// ---------------------------------------------------------------------------
// Figures: every scenario records what it measured; TestMain prints them
// as one markdown table at the end (ready for BENCHMARKS.md).

type figure struct {
	scenario, name, value string
}

var (
	figMu   sync.Mutex
	figures []figure
)

// fig logs one measured figure and keeps it for the final table.
func fig(t *testing.T, name string, format string, args ...any) {
	t.Helper()
	v := fmt.Sprintf(format, args...)
	t.Logf("FIGURE %s | %s | %s", t.Name(), name, v)
	figMu.Lock()
	figures = append(figures, figure{t.Name(), name, v})
	figMu.Unlock()
}

func printFigures(total time.Duration) {
	figMu.Lock()
	defer figMu.Unlock()
	if len(figures) == 0 {
		return
	}
	fmt.Printf("\n## Fault injection (`make faults`, %s, total %s)\n\n", time.Now().Format("2006-01-02"), total.Round(time.Second))
	fmt.Println("| scenario | figure | value |")
	fmt.Println("| --- | --- | --- |")
	for _, f := range figures {
		fmt.Printf("| %s | %s | %s |\n", strings.TrimPrefix(f.scenario, "Test"), f.name, strings.ReplaceAll(f.value, "|", "\\|"))
	}
	fmt.Println()
}

// ---------------------------------------------------------------------------
// Processes.

// startWorker runs the worker with env (KEY=VALUE) and waits for /readyz.
func startWorker(t *testing.T, env ...string) (*proctest.Proc, string) {
	t.Helper()
	return bins.StartWorker(t, env...)
}

// run runs enqueue and returns its exit code, stdout and stderr.
func run(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	return bins.Enqueue(t, env, args...)
}

// ---------------------------------------------------------------------------
// Shared set-up and checks.

// workerEnv is the environment of a worker (and of the CLI) on srv, with
// the sMsmode API at baseURL (the fake's URL, or a proxy's in front of it).
func workerEnv(srv *redistest.Server, baseURL string, extra ...string) []string {
	return append([]string{
		"REDIS_URL=" + srv.URL(),
		"SMSMODE_BASE_URL=" + baseURL,
		"SMSMODE_ACCESS_TOKEN=" + smsmodetest.AccessToken,
	}, extra...)
}

// number returns a distinct valid French mobile number for i.
func number(i int) string { return fmt.Sprintf("06%08d", 10000000+i%90000000) }

// sendsByRef counts the provider's accepted messages per refClient (the
// task ID: the tasks here carry no ref of their own).
func sendsByRef(fake *smsmodetest.Server) map[string]int {
	out := map[string]int{}
	for _, m := range fake.Messages() {
		out[m.RefClient]++
	}
	return out
}

// duplicates returns the task IDs sent more than once and the number of
// extra sends.
func duplicates(sends map[string]int) (ids []string, extra int) {
	for id, n := range sends {
		if n > 1 {
			ids = append(ids, id)
			extra += n - 1
		}
	}
	sort.Strings(ids)
	return ids, extra
}

// produce enqueues n sends in the background, one every `every`, with IDs
// prefix-000 … (each with its own number and text; refClient is the task
// ID), adding each acknowledged ID to acked. The channel receives nil once
// all n are enqueued, or the first error.
func produce(ctx context.Context, enq *tasks.Enqueuer, prefix string, n int, every time.Duration, acked *idList) <-chan error {
	done := make(chan error, 1)
	go func() {
		tick := time.NewTicker(every)
		defer tick.Stop()
		for i := range n {
			select {
			case <-ctx.Done():
				done <- ctx.Err()
				return
			case <-tick.C:
			}
			id := fmt.Sprintf("%s-%03d", prefix, i)
			ectx, cancel := context.WithTimeout(ctx, 5*time.Second)
			_, err := enq.Send(ectx, tasks.SendPayload{To: []string{number(i)}, Message: prefix + " test " + id}, tasks.WithTaskID(id))
			cancel()
			if err != nil {
				done <- fmt.Errorf("enqueue %s: %w", id, err)
				return
			}
			acked.add(id)
		}
		done <- nil
	}()
	return done
}

// idList is a goroutine-safe list of acknowledged task IDs.
type idList struct {
	mu  sync.Mutex
	ids []string
}

func (l *idList) add(id string) {
	l.mu.Lock()
	l.ids = append(l.ids, id)
	l.mu.Unlock()
}

func (l *idList) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.ids...)
}

// queueCounts returns asynq's counts of queue q (zero when the queue does not exist yet).
func queueCounts(t *testing.T, insp *asynq.Inspector, q string) *asynq.QueueInfo {
	t.Helper()
	info, err := insp.GetQueueInfo(q)
	if err != nil {
		return &asynq.QueueInfo{Queue: q}
	}
	return info
}

// waitCompleted polls (deadline within) until every task of ids is
// completed, then checks each one with tasks.Inspector.Status. It returns
// how long it waited.
func waitCompleted(t *testing.T, srv *redistest.Server, queue string, ids []string, within time.Duration, w *proctest.Proc) time.Duration {
	t.Helper()
	waited, states := waitFinished(t, srv, queue, ids, within, w)
	var notDone []string
	for _, id := range ids {
		if states[id] != tasks.StateCompleted {
			notDone = append(notDone, id+": "+states[id])
		}
	}
	require.Empty(t, notDone, "tasks not completed (lost)")
	return waited
}

// waitFinished polls (deadline within) until asynq has finished every task
// of ids (none pending, active, scheduled, retrying or archived), and
// returns how long it waited and each task's state as tasks.Inspector.Status
// reports it ("completed", "expired", … or the lookup's error).
func waitFinished(t *testing.T, srv *redistest.Server, queue string, ids []string, within time.Duration, w *proctest.Proc) (time.Duration, map[string]string) {
	t.Helper()
	start := time.Now()
	ainsp := asynq.NewInspector(srv.ConnOpt())
	defer ainsp.Close()
	deadline := time.Now().Add(within)
	var last string
	for {
		info := queueCounts(t, ainsp, queue)
		last = fmt.Sprintf("pending=%d active=%d scheduled=%d retry=%d archived=%d completed=%d",
			info.Pending, info.Active, info.Scheduled, info.Retry, info.Archived, info.Completed)
		if info.Completed >= len(ids) && info.Pending+info.Active+info.Scheduled+info.Retry == 0 {
			break
		}
		if time.Now().After(deadline) || info.Archived > 0 {
			out := ""
			if w != nil {
				out = w.Tail(30)
			}
			t.Fatalf("after %v (deadline %v) not every task finished (%d expected): queue %s %s\nworker log tail:\n%s", time.Since(start).Round(time.Second), within, len(ids), queue, last, out)
		}
		time.Sleep(250 * time.Millisecond)
	}
	waited := time.Since(start)
	insp := proctest.Inspector(t, srv.Client())
	states := map[string]string{}
	for _, id := range ids {
		st, err := insp.Status(context.Background(), id)
		switch {
		case err != nil:
			states[id] = err.Error()
		case st.State != tasks.StateCompleted && st.State != tasks.StateExpired && st.LastError != "":
			states[id] = st.State + " " + st.LastError
		default:
			states[id] = st.State
		}
	}
	return waited, states
}

// delayProxy sits between the worker and the fake sMsmode and holds each
// request for pre() before forwarding it and each answer for post() after
// the fake has processed it. A worker killed during the post delay has had
// its send accepted (and charged) without seeing the answer: the ambiguous
// case the acceptance ledger's in-flight marker and reconciliation exist for.
// (The fake's own latency is spent before processing, so a client that goes
// away during it leaves nothing behind.)
type delayProxy struct {
	URL       string // base URL of the API, for SMSMODE_BASE_URL
	pre, post func() time.Duration
	inner     http.RoundTripper

	mu sync.Mutex
	// heldBack counts sendSMS.do answers the fake gave that the client never
	// received (it went away during the post delay).
	heldBack int
	inFlight int                    // requests in progress
	arrived  map[string][]time.Time // sendSMS.do requests by refClient, as they reached the proxy
}

func newDelayProxy(t *testing.T, fake *smsmodetest.Server, pre, post func() time.Duration) *delayProxy {
	target, err := url.Parse(fake.URL)
	require.NoError(t, err)
	tr := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}
	t.Cleanup(tr.CloseIdleConnections)
	p := &delayProxy{pre: pre, post: post, inner: tr}
	rp := &httputil.ReverseProxy{
		Rewrite:   func(r *httputil.ProxyRequest) { r.SetURL(&url.URL{Scheme: target.Scheme, Host: target.Host}) },
		Transport: p,
		ErrorLog:  log.New(io.Discard, "", 0),
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) {
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	hs := httptest.NewServer(rp)
	t.Cleanup(hs.Close)
	p.URL = hs.URL + target.Path
	return p
}

func (p *delayProxy) RoundTrip(req *http.Request) (*http.Response, error) {
	at := time.Now()
	if strings.HasSuffix(req.URL.Path, "sendSMS.do") {
		ref, err := refClient(req)
		if err != nil {
			return nil, err
		}
		p.mu.Lock()
		if p.arrived == nil {
			p.arrived = map[string][]time.Time{}
		}
		p.arrived[ref] = append(p.arrived[ref], at)
		p.mu.Unlock()
	}
	p.mu.Lock()
	p.inFlight++
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.inFlight--
		p.mu.Unlock()
	}()
	if err := sleepCtx(req.Context(), p.pre()); err != nil {
		return nil, err // the client left before the request went out
	}
	resp, err := p.inner.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err := sleepCtx(req.Context(), p.post()); err != nil {
		if strings.HasSuffix(req.URL.Path, "sendSMS.do") {
			p.mu.Lock()
			p.heldBack++
			p.mu.Unlock()
		}
		return nil, err
	}
	return resp, nil
}

// refClient reads a send's refClient from the query string or the form
// body, leaving the body for the next hop.
func refClient(req *http.Request) (string, error) {
	if ref := req.URL.Query().Get("refClient"); ref != "" {
		return ref, nil
	}
	if req.Body == nil {
		return "", nil
	}
	b, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return "", err
	}
	req.Body = io.NopCloser(bytes.NewReader(b))
	form, _ := url.ParseQuery(string(b))
	return form.Get("refClient"), nil
}

// Arrived returns when the sendSMS.do requests carrying ref reached the
// proxy: the moment the worker made each call, give or take loopback.
func (p *delayProxy) Arrived(ref string) []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]time.Time(nil), p.arrived[ref]...)
}

// InFlight returns how many requests the proxy is handling.
func (p *delayProxy) InFlight() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.inFlight
}

// HeldBack returns how many sendSMS.do answers never reached the client.
func (p *delayProxy) HeldBack() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.heldBack
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// leaseRecovered returns the completed tasks of queue q that asynq's
// recoverer had to put back after their lease expired (their last error).
func leaseRecovered(t *testing.T, srv *redistest.Server, q string) []string {
	t.Helper()
	insp := asynq.NewInspector(srv.ConnOpt())
	defer insp.Close()
	var out []string
	for page := 1; page <= 100; page++ {
		list, err := insp.ListCompletedTasks(q, asynq.PageSize(1000), asynq.Page(page))
		require.NoError(t, err)
		for _, ti := range list {
			if strings.Contains(ti.LastErr, "lease expired") {
				out = append(out, ti.ID)
			}
		}
		if len(list) < 1000 {
			break
		}
	}
	sort.Strings(out)
	return out
}

// logCount counts the worker log lines containing s.
func logCount(out, s string) int { return strings.Count(out, s) }
