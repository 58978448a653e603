package bench

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hibiken/asynq"

	"github.com/smsq/smsq/internal/loadgen"
	"github.com/smsq/smsq/smsmode/smsmodetest"
	"github.com/smsq/smsq/tasks"
)

// --- 3. OTP latency ------------------------------------------------------

// otpLatency sends single OTPs on critical one at a time to an idle worker
// and measures Enqueue returned → the fake received the request.
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
	p50, p99 := loadgen.Quantile(lat, 0.50), loadgen.Quantile(lat, 0.99)
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
