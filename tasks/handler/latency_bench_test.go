package handler_test

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/smsq/smsq/internal/config"
	"github.com/smsq/smsq/internal/metrics"
	"github.com/smsq/smsq/internal/redistest"
	"github.com/smsq/smsq/internal/worker"
	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/smsmode/smsmodetest"
	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/tasks/handler"
)

// BenchmarkOTPLatency measures, on an idle worker, the time from Enqueue
// returning to the provider receiving the request, one send at a time, with
// the worker's production poll interval (20 ms) and asynq's default (1 s).
// Reports p50/p99 in ms.
//
//	go test -run '^$' -bench OTPLatency/poll=20ms -benchtime 300x ./tasks/handler/
//	go test -run '^$' -bench OTPLatency/poll=1s -benchtime 30x ./tasks/handler/
func BenchmarkOTPLatency(b *testing.B) {
	for _, poll := range []time.Duration{20 * time.Millisecond, time.Second} {
		b.Run("poll="+poll.String(), func(b *testing.B) { benchmarkOTPLatency(b, poll) })
	}
}

func benchmarkOTPLatency(b *testing.B, poll time.Duration) {
	srv := redistest.Start(b)
	rdb := srv.Client()
	arrived := make(chan time.Time, 1)
	fake := smsmodetest.NewServer(smsmodetest.WithoutRecording())
	b.Cleanup(fake.Close)
	provider := &notifyingProvider{Provider: fake.Client(), arrived: arrived}
	cfg := config.Defaults()
	stack, err := worker.NewTaskStack(cfg, rdb, provider, metrics.New(prometheus.NewRegistry()), slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	stack.Config.TaskCheckInterval = poll
	stack.Config.LogLevel = asynq.FatalLevel
	w := asynq.NewServerFromRedisClient(rdb, stack.Config)
	if err := w.Start(stack.Mux); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(w.Shutdown)
	enq, err := tasks.NewEnqueuer(rdb, cfg.TaskOptions())
	if err != nil {
		b.Fatal(err)
	}

	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		_, err := enq.Send(context.Background(), tasks.SendPayload{To: []string{"0612345678"}, Message: "Votre code : 4821"},
			tasks.WithTaskID(fmt.Sprintf("otp-%d", i)), tasks.WithQueue(tasks.QueueCritical))
		start := time.Now()
		if err != nil {
			b.Fatal(err)
		}
		select {
		case at := <-arrived:
			lat = append(lat, at.Sub(start))
		case <-time.After(10 * time.Second):
			b.Fatal("the send never reached the provider")
		}
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// notifyingProvider reports when a send is about to leave for the provider.
type notifyingProvider struct {
	handler.Provider
	arrived chan time.Time
}

func (p *notifyingProvider) SendSMS(ctx context.Context, m *smsmode.SMS) (*smsmode.SendResult, error) {
	p.arrived <- time.Now()
	return p.Provider.SendSMS(ctx, m)
}
