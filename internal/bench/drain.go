package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/smsq/smsq/internal/metrics"
	"github.com/smsq/smsq/internal/worker"
	"github.com/smsq/smsq/smsmode/smsmodetest"
	"github.com/smsq/smsq/tasks"
)

// producerConcurrency is the number of goroutines pre-enqueueing tasks.
const producerConcurrency = 50

// newFake starts the fake sMsmode with unlimited credit and bounded memory.
func newFake(opts ...smsmodetest.Option) *smsmodetest.Server {
	base := []smsmodetest.Option{
		smsmodetest.WithoutRecording(),
		smsmodetest.WithCredit(1e15),
		smsmodetest.WithMessageLimit(20_000),
	}
	return smsmodetest.NewServer(append(base, opts...)...)
}

// otpPayload is the i-th benchmark send: a distinct French mobile and a code.
func otpPayload(i int) tasks.SendPayload {
	return tasks.SendPayload{
		To:      []string{fmt.Sprintf("06%08d", 12_000_000+i%80_000_000)},
		Message: fmt.Sprintf("Votre code : %04d", i%10_000),
	}
}

// enqueueSends stores n sms:send tasks through the Go producer API, with
// producerConcurrency goroutines, and returns how long it took.
func (e *env) enqueueSends(ctx context.Context, n int, prefix, queue string) (time.Duration, error) {
	enq, err := e.enqueuer()
	if err != nil {
		return 0, err
	}
	var (
		next    atomic.Int64
		wg      sync.WaitGroup
		errOnce sync.Once
		first   error
	)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	start := time.Now()
	for range producerConcurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				if _, err := enq.Send(ctx, otpPayload(i), tasks.WithTaskID(fmt.Sprintf("%s-%d", prefix, i)), tasks.WithQueue(queue)); err != nil {
					errOnce.Do(func() { first = err; cancel() })
					return
				}
			}
		}()
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		first = ctx.Err()
	}
	return time.Since(start), first
}

// tracker counts handler completions; done is closed at the n-th success.
type tracker struct {
	n       int64
	ok      atomic.Int64
	failed  atomic.Int64
	first   atomic.Int64 // UnixNano of the first handler start
	lastAt  atomic.Int64 // UnixNano of the n-th success
	done    chan struct{}
	each    chan struct{} // optional: one token per success
	lastErr atomic.Value
}

func newTracker(n int) *tracker { return &tracker{n: int64(n), done: make(chan struct{})} }

// wrap counts around h; its own cost (two atomic adds) is the same for
// every stack measured.
func (tr *tracker) wrap(h asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		tr.first.CompareAndSwap(0, time.Now().UnixNano())
		err := h.ProcessTask(ctx, t)
		if err != nil {
			tr.failed.Add(1)
			tr.lastErr.Store(err.Error())
			return err
		}
		if tr.ok.Add(1) == tr.n {
			tr.lastAt.Store(time.Now().UnixNano())
			close(tr.done)
		}
		if tr.each != nil {
			select {
			case tr.each <- struct{}{}:
			default:
			}
		}
		return nil
	})
}

// elapsed is the time from the first task started to the n-th success.
func (tr *tracker) elapsed() time.Duration {
	return time.Duration(tr.lastAt.Load() - tr.first.Load())
}

// drain runs an asynq server with cfg and h until n tasks succeeded (or
// timeout), then shuts it down. It returns the time from the first task
// started to the last one done.
func (e *env) drain(ctx context.Context, cfg asynq.Config, h asynq.Handler, n int, timeout time.Duration, profile, memProfile string) (time.Duration, error) {
	var ms0 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	cpu0, rcpu0 := selfCPU(), e.redisCPU()
	defer func() {
		var ms1 runtime.MemStats
		runtime.ReadMemStats(&ms1)
		e.progress("  per task: CPU of this process %s (fake included), of redis-server %s; %d allocations, %d bytes",
			(selfCPU()-cpu0)/time.Duration(n), (e.redisCPU()-rcpu0)/time.Duration(n),
			(ms1.Mallocs-ms0.Mallocs)/uint64(n), (ms1.TotalAlloc-ms0.TotalAlloc)/uint64(n))
	}()
	tr := newTracker(n)
	cfg.ShutdownTimeout = 5 * time.Second
	srv := asynq.NewServer(e.connOpt, cfg)
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return 0, err
		}
		defer pprof.StopCPUProfile()
	}
	if memProfile != "" {
		if err := writeAllocs(memProfile + ".base"); err != nil {
			return 0, err
		}
		defer writeAllocs(memProfile) //nolint:errcheck // diagnostics only
	}
	if err := srv.Start(tr.wrap(h)); err != nil {
		return 0, err
	}
	defer srv.Shutdown()
	select {
	case <-tr.done:
	case <-time.After(timeout):
		return 0, fmt.Errorf("%d of %d tasks done after %s (%d failed, last error: %v)", tr.ok.Load(), n, timeout, tr.failed.Load(), tr.lastErr.Load())
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	if f := tr.failed.Load(); f > 0 {
		return 0, fmt.Errorf("%d task runs failed (last error: %v)", f, tr.lastErr.Load())
	}
	return tr.elapsed(), nil
}

// smsqStack is the production task server (internal/worker.NewTaskStack)
// for the fake at baseURL with the given concurrency, logging JSON to
// /dev/null like a pod whose stderr nobody reads.
func (e *env) smsqStack(baseURL string, concurrency int) (*worker.TaskStack, error) {
	cfg, err := e.workerConfig(baseURL)
	if err != nil {
		return nil, err
	}
	cfg.WorkerConcurrency = concurrency
	client, err := worker.NewProviderClient(cfg)
	if err != nil {
		return nil, err
	}
	m := metrics.New(prometheus.NewRegistry())
	return worker.NewTaskStack(cfg, e.rdb, client, m, e.logger)
}

// bareHandler makes the same POST as smsq to the fake (form-encoded,
// net/http with the same keep-alive pool) after decoding the payload, and
// nothing else: no validation, ledger, metrics, logging or result.
func bareHandler(baseURL string) (asynq.Handler, func()) {
	hc := &http.Client{
		Timeout: 15 * time.Second,
		Transport: &http.Transport{
			Proxy:               nil,
			MaxIdleConns:        256,
			MaxIdleConnsPerHost: 128,
			IdleConnTimeout:     90 * time.Second,
		},
	}
	endpoint := baseURL + "sendSMS.do"
	h := asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		var p tasks.SendPayload
		if err := json.Unmarshal(t.Payload(), &p); err != nil {
			return err
		}
		form := url.Values{
			"accessToken": {smsmodetest.AccessToken},
			"numero":      {strings.Join(p.To, ",")},
			"message":     {p.Message},
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(body), "0 |") {
			return errors.New("provider refused: " + string(body))
		}
		return nil
	})
	return h, hc.CloseIdleConnections
}

// discardLogger is a production JSON logger writing to w.
func discardLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewJSONHandler(w, nil)) }

// selfCPU is the user+system CPU time of this process so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// redisCPU is the user+system CPU time of the private redis-server so far
// (from /proc; 0 when unavailable).
func (e *env) redisCPU() time.Duration {
	if e.redisPID == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", e.redisPID))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces): state is
	// field 3, utime 14 and stime 15, in clock ticks (100 Hz on Linux).
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// writeAllocs writes the allocation profile so far; compare two with
// go tool pprof -sample_index=alloc_objects -base FILE.base FILE.
func writeAllocs(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return pprof.Lookup("allocs").WriteTo(f, 0)
}

// startCPUProfile starts a CPU profile into path; the returned func stops it.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
