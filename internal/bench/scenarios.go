package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hibiken/asynq"

	"github.com/smsq/smsq/internal/config"
	"github.com/smsq/smsq/internal/worker"
	"github.com/smsq/smsq/smsmode/smsmodetest"
	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/webhook"
)

// Row is one line of the table.
type Row struct {
	Scenario  string
	Workload  string
	Smsq      string // smsq's figure
	Reference string // what it is compared with
	Ratio     string
	Target    string
	Verdict   string // met, missed, or "" without a target
	Load      string // load average at the scenario's start → end
}

func verdict(ok bool) string {
	if ok {
		return "**met**"
	}
	return "**missed**"
}

func rate(n int, d time.Duration) float64 { return float64(n) / d.Seconds() }

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// spread renders "min–max" of xs.
func spread(xs []float64) string {
	return fmt.Sprintf("%s–%s", num(slices.Min(xs)), num(slices.Max(xs)))
}

// num renders a rate with thousands separators.
func num(f float64) string {
	s := strconv.FormatInt(int64(f+0.5), 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// quantile returns the q-quantile of sorted durations.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*q))]
}

// --- 1. throughput -----------------------------------------------------

// throughput drains n pre-enqueued sends at concurrency 50 through the
// production stack and through a bare asynq handler, alternating, rounds times.
func (e *env) throughput(ctx context.Context) (Row, error) {
	const concurrency = 50
	n := e.n(20_000, 500)
	fake := newFake()
	defer fake.Close()
	stack, err := e.smsqStack(fake.URL, concurrency)
	if err != nil {
		return Row{}, err
	}
	bare, closeBare := bareHandler(fake.URL)
	defer closeBare()
	// The bare server gets the same asynq settings (concurrency, queues,
	// polling): only the handler differs.
	bareCfg := stack.Config

	var smsqRates, bareRates []float64
	profiled, bareProfiled := false, false
	for r := range e.opts.Rounds {
		order := []string{"bare", "smsq"}
		if r%2 == 1 {
			order = []string{"smsq", "bare"}
		}
		for _, which := range order {
			if err := e.flush(ctx); err != nil {
				return Row{}, err
			}
			if _, err := e.enqueueSends(ctx, n, "tp", tasks.QueueDefault); err != nil {
				return Row{}, err
			}
			before := fake.RequestCount("sendSMS.do")
			var d time.Duration
			if which == "bare" {
				profile := ""
				if !bareProfiled {
					profile, bareProfiled = e.opts.BareCPUProfile, true
				}
				d, err = e.drain(ctx, bareCfg, bare, n, 5*time.Minute, profile, "")
			} else {
				profile, mem := "", ""
				if !profiled {
					profile, mem, profiled = e.opts.CPUProfile, e.opts.MemProfile, true
				}
				d, err = e.drain(ctx, stack.Config, stack.Mux, n, 5*time.Minute, profile, mem)
			}
			if err != nil {
				return Row{}, fmt.Errorf("%s: %w", which, err)
			}
			if got := fake.RequestCount("sendSMS.do") - before; got != n {
				return Row{}, fmt.Errorf("%s: the fake got %d sends for %d tasks", which, got, n)
			}
			e.progress("throughput round %d %s: %s tasks/s", r+1, which, num(rate(n, d)))
			if which == "bare" {
				bareRates = append(bareRates, rate(n, d))
			} else {
				smsqRates = append(smsqRates, rate(n, d))
			}
		}
	}
	s, b := median(smsqRates), median(bareRates)
	return Row{
		Scenario:  "1. throughput",
		Workload:  fmt.Sprintf("%s pre-enqueued sends, concurrency %d, fake at 0 ms; median of %d rounds", num(float64(n)), concurrency, e.opts.Rounds),
		Smsq:      fmt.Sprintf("%s tasks/s (%s)", num(s), spread(smsqRates)),
		Reference: fmt.Sprintf("bare asynq + net/http POST: %s tasks/s (%s)", num(b), spread(bareRates)),
		Ratio:     fmt.Sprintf("%.2f", s/b),
		Target:    "≥ 0.8 × bare",
		Verdict:   verdict(s/b >= 0.8),
	}, nil
}

// --- 2. provider-bound ---------------------------------------------------

func (e *env) providerBound(ctx context.Context) (Row, error) {
	const (
		concurrency = 100
		latency     = 50 * time.Millisecond
	)
	n := e.n(10_000, 500)
	fake := newFake(smsmodetest.WithLatency(latency))
	defer fake.Close()
	stack, err := e.smsqStack(fake.URL, concurrency)
	if err != nil {
		return Row{}, err
	}
	if err := e.flush(ctx); err != nil {
		return Row{}, err
	}
	if _, err := e.enqueueSends(ctx, n, "pb", tasks.QueueDefault); err != nil {
		return Row{}, err
	}
	d, err := e.drain(ctx, stack.Config, stack.Mux, n, 5*time.Minute, e.opts.ProviderCPUProfile, "")
	if err != nil {
		return Row{}, err
	}
	ideal := float64(concurrency) / latency.Seconds()
	got := rate(n, d)
	return Row{
		Scenario:  "2. provider-bound",
		Workload:  fmt.Sprintf("%s sends, concurrency %d, fake answering after %s", num(float64(n)), concurrency, latency),
		Smsq:      fmt.Sprintf("%s tasks/s", num(got)),
		Reference: fmt.Sprintf("ideal %s/s (concurrency ÷ latency)", num(ideal)),
		Ratio:     fmt.Sprintf("%.2f", got/ideal),
		Target:    "≥ 0.9 × ideal",
		Verdict:   verdict(got/ideal >= 0.9),
	}, nil
}

// --- 3. OTP latency ------------------------------------------------------

func (e *env) otpLatency(ctx context.Context) (Row, error) {
	n := e.n(1_000, 50)
	// The fake records the last few requests with their arrival time.
	fake := smsmodetest.NewServer(smsmodetest.WithRequestLimit(8), smsmodetest.WithCredit(1e15), smsmodetest.WithMessageLimit(1000))
	defer fake.Close()
	cfg, err := e.workerConfig(fake.URL)
	if err != nil {
		return Row{}, err
	}
	stack, err := e.smsqStack(fake.URL, cfg.WorkerConcurrency) // production default
	if err != nil {
		return Row{}, err
	}
	if err := e.flush(ctx); err != nil {
		return Row{}, err
	}
	tr := newTracker(n)
	tr.each = make(chan struct{}, 1)
	scfg := stack.Config
	scfg.ShutdownTimeout = 5 * time.Second
	srv := asynq.NewServer(e.connOpt, scfg)
	if err := srv.Start(tr.wrap(stack.Mux)); err != nil {
		return Row{}, err
	}
	defer srv.Shutdown()
	enq, err := e.enqueuer()
	if err != nil {
		return Row{}, err
	}
	time.Sleep(500 * time.Millisecond) // idle

	lat := make([]time.Duration, 0, n)
	for i := range n {
		if _, err := enq.Send(ctx, otpPayload(i), tasks.WithTaskID(fmt.Sprintf("otp-%d", i)), tasks.WithQueue(tasks.QueueCritical)); err != nil {
			return Row{}, err
		}
		start := time.Now()
		select {
		case <-tr.each: // the task is done: the worker is idle again
		case <-time.After(10 * time.Second):
			return Row{}, fmt.Errorf("send %d not done after 10s (%d failed, last error %v)", i, tr.failed.Load(), tr.lastErr.Load())
		case <-ctx.Done():
			return Row{}, ctx.Err()
		}
		reqs := fake.Requests()
		if len(reqs) == 0 || reqs[len(reqs)-1].Endpoint != "sendSMS.do" {
			return Row{}, fmt.Errorf("send %d: the fake recorded no sendSMS.do", i)
		}
		lat = append(lat, reqs[len(reqs)-1].Time.Sub(start))
	}
	slices.Sort(lat)
	p50, p99 := quantile(lat, 0.50), quantile(lat, 0.99)
	return Row{
		Scenario:  "3. OTP latency",
		Workload:  fmt.Sprintf("idle worker (concurrency %d, 20 ms poll), %s single sends one at a time on `critical`; Enqueue returned → the fake received the request", cfg.WorkerConcurrency, num(float64(n))),
		Smsq:      fmt.Sprintf("p50 %s, p99 %s", ms(p50), ms(p99)),
		Reference: "",
		Ratio:     "",
		Target:    "p50 ≤ 50 ms, p99 ≤ 200 ms",
		Verdict:   verdict(p50 <= 50*time.Millisecond && p99 <= 200*time.Millisecond),
	}, nil
}

// --- 4. webhook ------------------------------------------------------------

const webhookClients = 50

// parallel runs body(i) for i in [0, n) from clients goroutines and returns
// the rate and the sorted latencies.
func parallel(ctx context.Context, n, clients int, timeout time.Duration, body func(i int) error) (float64, []time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var (
		next    atomic.Int64
		wg      sync.WaitGroup
		mu      sync.Mutex
		all     = make([]time.Duration, 0, n)
		errOnce sync.Once
		first   error
	)
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, n/clients+1)
			defer func() {
				mu.Lock()
				all = append(all, local...)
				mu.Unlock()
			}()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				if err := body(i); err != nil {
					errOnce.Do(func() { first = err; cancel() })
					return
				}
				local = append(local, time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if first == nil && len(all) < n {
		first = fmt.Errorf("%d of %d done after %s", len(all), n, timeout)
	}
	slices.Sort(all)
	return rate(len(all), elapsed), all, first
}

func (e *env) webhook(ctx context.Context) (Row, error) {
	n := e.n(20_000, 1_000)
	const secret = "bench-webhook-secret"
	cfg, err := e.workerConfig("http://127.0.0.1:1/unused/")
	if err != nil {
		return Row{}, err
	}
	cfg.WebhookSecret = config.Secrets{secret}
	w, err := worker.New(cfg, worker.RoleWebhooks, e.logger)
	if err != nil {
		return Row{}, err
	}
	wctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(wctx) }()
	defer func() { stop(); <-done }()
	deadline := time.Now().Add(10 * time.Second)
	for w.Addr() == "" && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if w.Addr() == "" {
		return Row{}, fmt.Errorf("the webhook receiver did not listen within 10s")
	}
	// The notification URL smsq gives each message: it names the send task,
	// so the receiver fills task_id without reading the ledger.
	base := "http://" + w.Addr() + webhook.PathPrefix + secret + "/delivery/"
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		Proxy: nil, MaxIdleConns: 2 * webhookClients, MaxIdleConnsPerHost: 2 * webhookClients,
	}}
	defer hc.CloseIdleConnections()
	client := asynq.NewClient(e.connOpt)
	defer client.Close()
	t0 := time.Date(2026, 7, 14, 10, 30, 0, 0, time.UTC)

	receiver := func(round int) func(i int) error {
		return func(i int) error {
			k := round*n + i
			q := fmt.Sprintf("send-%010d?numero=336%08d&date_reception=2026-07-14+10%%3A30%%3A00&statut=11&smsID=B%010d&refClient=bench&mcc_mnc=20801&cost=1", k, k%100_000_000, k)
			resp, err := hc.Get(base + q)
			if err != nil {
				return err
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("callback: HTTP %d", resp.StatusCode)
			}
			return nil
		}
	}
	// The floor: the same follow-up task (payload size, ID, queue, options)
	// stored by asynq.Client.Enqueue directly.
	bare := func(round int) func(i int) error {
		return func(i int) error {
			k := round*n + i
			p, err := json.Marshal(tasks.DeliveryPayload{
				SMSID: fmt.Sprintf("B%010d", k), To: fmt.Sprintf("336%08d", k%100_000_000), Status: 11,
				StatusText: "received", Final: true, ReceivedAt: t0, Ref: "bench", MCCMNC: "20801", Cost: "1",
				TaskID: fmt.Sprintf("send-%010d", k),
			})
			if err != nil {
				return err
			}
			_, err = client.EnqueueContext(ctx, asynq.NewTask(tasks.TypeDelivery, p),
				asynq.TaskID(fmt.Sprintf("dlr:%032d", k)), asynq.Queue(tasks.QueueEvents),
				asynq.MaxRetry(cfg.MaxRetry), asynq.Retention(cfg.TaskRetention))
			return err
		}
	}
	// The ceiling of any HTTP receiver here: the same clients against a
	// handler that only answers 200 OK, on the same kind of server.
	floorSrv, floorURL, err := serveEmpty()
	if err != nil {
		return Row{}, err
	}
	defer floorSrv.Close()
	floor := func(round int) func(i int) error {
		return func(i int) error {
			k := round*n + i
			resp, err := hc.Get(fmt.Sprintf("%ssend-%010d?numero=336%08d&date_reception=2026-07-14+10%%3A30%%3A00&statut=11&smsID=B%010d&refClient=bench&mcc_mnc=20801&cost=1", floorURL, k, k%100_000_000, k))
			if err != nil {
				return err
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return nil
		}
	}
	var (
		recvRates, bareRates, floorRates []float64
		recvP99, bareP99                 []time.Duration
	)
	for r := range e.opts.Rounds {
		for _, which := range []string{"bare", "receiver", "floor"} {
			if err := e.flush(ctx); err != nil {
				return Row{}, err
			}
			body := bare(r)
			switch which {
			case "receiver":
				body = receiver(r)
			case "floor":
				body = floor(r)
			}
			stopProfile := func() {}
			if which == "receiver" && r == 0 && e.opts.WebhookCPUProfile != "" {
				if stopProfile, err = startCPUProfile(e.opts.WebhookCPUProfile); err != nil {
					return Row{}, err
				}
			}
			rt, lat, err := parallel(ctx, n, webhookClients, 2*time.Minute, body)
			stopProfile()
			if err != nil {
				return Row{}, fmt.Errorf("webhook %s: %w", which, err)
			}
			e.progress("webhook round %d %s: %s/s, p99 %s", r+1, which, num(rt), ms(quantile(lat, 0.99)))
			switch which {
			case "bare":
				bareRates, bareP99 = append(bareRates, rt), append(bareP99, quantile(lat, 0.99))
			case "receiver":
				recvRates, recvP99 = append(recvRates, rt), append(recvP99, quantile(lat, 0.99))
			default:
				floorRates = append(floorRates, rt)
			}
		}
	}
	rr, br, hr := median(recvRates), median(bareRates), median(floorRates)
	// A receiver does the HTTP exchange and the enqueue one after the other,
	// so no receiver here beats 1/(1/HTTP alone + 1/enqueue alone).
	combined := 1 / (1/hr + 1/br)
	slices.Sort(recvP99)
	slices.Sort(bareP99)
	return Row{
		Scenario: "4. webhook",
		Workload: fmt.Sprintf("%s distinct delivery callbacks (GET, task in the path: no ledger look-up) from %d clients over loopback to the worker's HTTP server (role webhooks); median of %d rounds", num(float64(n)), webhookClients, e.opts.Rounds),
		Smsq:     fmt.Sprintf("%s callbacks/s (%s), p99 %s", num(rr), spread(recvRates), ms(recvP99[len(recvP99)/2])),
		Reference: fmt.Sprintf("floor 1/(1/HTTP + 1/enqueue) = %s/s, from bare asynq.Client.Enqueue: %s enqueues/s (%s), p99 %s, and HTTP alone (same clients, handler answering 200 at once): %s requests/s (%s)",
			num(combined), num(br), spread(bareRates), ms(bareP99[len(bareP99)/2]), num(hr), spread(floorRates)),
		Ratio:   fmt.Sprintf("%.2f", rr/combined),
		Target:  "≥ 0.8 × floor",
		Verdict: verdict(rr/combined >= 0.8),
	}, nil
}

// --- 5. batch --------------------------------------------------------------

// childEnv is the environment of the enqueue and worker binaries.
func childEnv(extra ...string) []string {
	return append(os.Environ(), extra...)
}

// runMeasured runs a binary and returns its wall time and max RSS in KiB,
// with /usr/bin/time -v when present (it forks the binary itself), else the
// child's rusage, which is only an upper bound: Go starts children with
// vfork, and Linux counts this process's RSS in the child's ru_maxrss.
func runMeasured(ctx context.Context, env []string, bin string, args ...string) (wall time.Duration, rssKiB int64, how string, out []byte, err error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	var cmd *exec.Cmd
	const timeTool = "/usr/bin/time"
	useTime := false
	if st, err := os.Stat(timeTool); err == nil && !st.IsDir() {
		useTime = true
		cmd = exec.CommandContext(ctx, timeTool, append([]string{"-v", bin}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, bin, args...)
	}
	cmd.Env = env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	out, err = cmd.Output()
	wall = time.Since(start)
	if err != nil {
		return 0, 0, "", out, fmt.Errorf("%s: %v: %s", filepath.Base(bin), err, tail(stderr.String(), 400))
	}
	if useTime {
		for _, line := range strings.Split(stderr.String(), "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Maximum resident set size (kbytes):"); ok {
				rssKiB, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			}
		}
		return wall, rssKiB, "/usr/bin/time -v", out, nil
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rssKiB = int64(ru.Maxrss) // KiB on Linux
	}
	return wall, rssKiB, "rusage, an upper bound", out, nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

func (e *env) batch(ctx context.Context) ([]Row, error) {
	rows := e.n(100_000, 2_000)
	chunks := (rows + 999) / 1000
	file := filepath.Join(e.tmp, "rows.csv")
	var b strings.Builder
	b.WriteString("numero,message,emetteur,refClient\n")
	for i := range rows {
		fmt.Fprintf(&b, "06%08d,Bonjour client %d : votre commande est prête,MYSHOP,ref-%d\n", 12_000_000+i, i, i)
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		return nil, err
	}
	if err := e.flush(ctx); err != nil {
		return nil, err
	}
	wall, rss, how, out, err := runMeasured(ctx, childEnv(), filepath.Join(e.binDir, "enqueue"), "batch", "--file", file, "--id", "bench")
	if err != nil {
		return nil, err
	}
	if got := len(strings.Fields(string(out))); got != chunks {
		return nil, fmt.Errorf("enqueue batch printed %d IDs, want %d", got, chunks)
	}
	e.progress("batch enqueue: %s, max RSS %d MiB", wall.Round(time.Millisecond), rss/1024)
	enqueueRow := Row{
		Scenario: "5a. batch enqueue",
		Workload: fmt.Sprintf("`enqueue batch` (built binary) of a %s-row CSV → %d chunk tasks", num(float64(rows)), chunks),
		Smsq:     fmt.Sprintf("%.2f s (%s rows/s), max RSS %d MB (%s)", wall.Seconds(), num(rate(rows, wall)), rss/1024, how),
		Target:   "< 10 s, < 200 MB",
		Verdict:  verdict(wall < 10*time.Second && rss < 200*1024),
	}

	// The worker binary drains the chunks against the fake.
	fake := newFake()
	defer fake.Close()
	logf, err := os.Create(filepath.Join(e.tmp, "worker.log"))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(filepath.Join(e.binDir, "worker"), "--role=tasks")
	cmd.Env = childEnv("SMSMODE_BASE_URL=" + fake.URL)
	cmd.Stdout, cmd.Stderr = logf, logf
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var hwm int64
	insp := asynq.NewInspector(e.connOpt)
	defer insp.Close()
	deadline := time.After(5 * time.Minute)
	var drained time.Duration
poll:
	for {
		select {
		case err := <-exited:
			return nil, fmt.Errorf("worker exited early: %v (log %s)", err, logf.Name())
		case <-deadline:
			_ = cmd.Process.Kill()
			<-exited
			return nil, fmt.Errorf("worker did not drain %d chunks in 5 minutes", chunks)
		case <-ctx.Done():
			_ = cmd.Process.Kill()
			<-exited
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		hwm = max(hwm, vmHWM(cmd.Process.Pid))
		if fake.RequestCount("sendSMSBatch.do") < chunks {
			continue
		}
		qi, err := insp.GetQueueInfo(tasks.QueueLow)
		if err == nil && qi.Pending == 0 && qi.Active == 0 && qi.Retry == 0 && qi.Completed == chunks {
			drained = time.Since(start)
			break poll
		}
	}
	hwm = max(hwm, vmHWM(cmd.Process.Pid))
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(45 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
	}
	// VmHWM, not the rusage of the exited child: Go starts children with
	// vfork, and Linux then counts this process's RSS in the child's
	// ru_maxrss.
	maxRSS := hwm
	if got := fake.RequestCount("sendSMSBatch.do"); got != chunks {
		return nil, fmt.Errorf("the fake got %d batch calls for %d chunks", got, chunks)
	}
	e.progress("batch drain: %s, max RSS %d MiB", drained.Round(time.Millisecond), maxRSS/1024)
	drainRow := Row{
		Scenario: "5b. batch drain",
		Workload: fmt.Sprintf("the worker binary (defaults: concurrency 20) draining those %d chunks through sendSMSBatch.do", chunks),
		Smsq:     fmt.Sprintf("%.2f s from exec (%s rows/s), peak RSS %d MB (VmHWM)", drained.Seconds(), num(rate(rows, drained)), maxRSS/1024),
	}
	return []Row{enqueueRow, drainRow}, nil
}

// vmHWM reads a process's peak RSS (KiB) from /proc; 0 when unavailable.
func vmHWM(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb
		}
	}
	return 0
}

// --- 6. enqueue ------------------------------------------------------------

func (e *env) enqueue(ctx context.Context) ([]Row, error) {
	runs := e.n(200, 20)
	if err := e.flush(ctx); err != nil {
		return nil, err
	}
	bin := filepath.Join(e.binDir, "enqueue")
	env := childEnv()
	start := time.Now()
	for i := range runs {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		cmd := exec.CommandContext(cctx, bin, "send", "--to", fmt.Sprintf("06%08d", 12_000_000+i), "--message", "Votre code : 4821", "--queue", tasks.QueueCritical)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			return nil, fmt.Errorf("enqueue send: %v: %s", err, tail(string(out), 300))
		}
	}
	cli := time.Since(start)

	n := e.n(20_000, 1_000)
	if err := e.flush(ctx); err != nil {
		return nil, err
	}
	d, err := e.enqueueSends(ctx, n, "api", tasks.QueueDefault)
	if err != nil {
		return nil, err
	}
	return []Row{{
		Scenario: "6a. `enqueue send`",
		Workload: fmt.Sprintf("%d sequential runs of the built binary (exec, config, Redis connection, validation, enqueue)", runs),
		Smsq:     fmt.Sprintf("%.1f runs/s (%.1f ms each)", rate(runs, cli), float64(cli.Microseconds())/1000/float64(runs)),
	}, {
		Scenario: "6b. Go producer API",
		Workload: fmt.Sprintf("tasks.Enqueuer.Send of %s distinct sends, %d goroutines", num(float64(n)), producerConcurrency),
		Smsq:     fmt.Sprintf("%s enqueues/s", num(rate(n, d))),
	}}, nil
}

// serveEmpty serves 200 OK on a loopback port with the worker's server
// timeouts, as the ceiling of an HTTP receiver.
func serveEmpty() (*http.Server, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = w.Write([]byte("OK\n"))
		}),
		ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 90 * time.Second,
	}
	go srv.Serve(ln) //nolint:errcheck // ends with Close
	return srv, "http://" + ln.Addr().String() + "/", nil
}
