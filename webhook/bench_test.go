package webhook_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/smsq/smsq/internal/loadgen"
	"github.com/smsq/smsq/internal/redistest"
	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/tasks/store"
	"github.com/smsq/smsq/webhook"
)

// benchClients is the number of concurrent callers in the benchmarks.
const benchClients = 50

// runParallel calls body once per benchmark iteration from benchClients
// clients (internal/loadgen, the driver of `make bench` too) and reports
// throughput and latency quantiles.
func runParallel(b *testing.B, unit string, body func(n int) error) {
	b.ReportAllocs()
	b.ResetTimer()
	res, err := loadgen.Run(context.Background(), b.N, benchClients, body)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(res.Rate(), unit+"/s")
	b.ReportMetric(float64(loadgen.Quantile(res.Latencies, 0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(loadgen.Quantile(res.Latencies, 0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(benchClients, "clients")
}

// benchOptions are the producer settings of both benchmarks: the defaults.
var benchOptions = tasks.Options{Region: "FR", MaxRetry: 20, Retention: 24 * time.Hour, BatchChunk: 1000, Queues: []string{"critical", "default", "low"}}

// BenchmarkReceiverParallel posts delivery callbacks over loopback HTTP to
// the webhook (parse and checks, enqueue with a content-derived task ID,
// one JSON log line) backed by a real redis-server, from 50 concurrent
// clients, on the URLs smsq gives its messages: the task is in the path,
// so there is no ledger look-up. Every callback is distinct, so each one
// stores a task.
func BenchmarkReceiverParallel(b *testing.B) {
	r := redistest.Start(b)
	rdb := r.Client()
	enq, err := tasks.NewEnqueuer(rdb, benchOptions)
	if err != nil {
		b.Fatal(err)
	}
	ledger, err := store.NewLedger(rdb, store.DefaultLedgerTTL)
	if err != nil {
		b.Fatal(err)
	}
	h, err := webhook.New(webhook.Config{
		Secrets:  []string{secret},
		Enqueuer: enq,
		Ledger:   ledger,
		Location: paris,
		Logger:   slog.New(slog.NewJSONHandler(io.Discard, nil)),
	})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(h)
	b.Cleanup(srv.Close)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConns: 2 * benchClients, MaxIdleConnsPerHost: 2 * benchClients}}
	b.Cleanup(hc.CloseIdleConnections)
	base := srv.URL + route("delivery") + "/"

	runParallel(b, "callbacks", func(n int) error { return loadgen.DeliveryCallback(hc, base, n) })
}

// BenchmarkBareEnqueueParallel is the floor: asynq.Client.Enqueue of the
// same tasks (same payload size, task ID, queue and options) with the same
// concurrency, without HTTP or parsing.
func BenchmarkBareEnqueueParallel(b *testing.B) {
	r := redistest.Start(b)
	client := asynq.NewClientFromRedisClient(r.Client())
	t0 := time.Date(2026, 7, 14, 10, 30, 0, 0, paris)

	runParallel(b, "enqueues", func(n int) error {
		p, id, err := loadgen.DeliveryEvent(n, t0)
		if err != nil {
			return err
		}
		_, err = client.Enqueue(asynq.NewTask(tasks.TypeDelivery, p),
			asynq.TaskID(id), asynq.Queue(tasks.QueueEvents),
			asynq.MaxRetry(benchOptions.MaxRetry), asynq.Retention(benchOptions.Retention))
		return err
	})
}
