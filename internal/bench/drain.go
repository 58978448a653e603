package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/smsq/smsq/internal/metrics"
	"github.com/smsq/smsq/internal/worker"
	"github.com/smsq/smsq/smsmode/smsmodetest"
	"github.com/smsq/smsq/tasks"
)

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
		stopProfile, err := startCPUProfile(profile)
		if err != nil {
			return 0, err
		}
		defer stopProfile()
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
