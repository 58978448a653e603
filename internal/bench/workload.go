package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/smsq/smsq/internal/loadgen"
	"github.com/smsq/smsq/smsmode/smsmodetest"
	"github.com/smsq/smsq/tasks"
)

// What the scenarios send and to whom: the fake provider, the benchmark's
// sends and the Go producer that stores them.

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

// enqueuer is a Go producer on the benchmark's Redis, with the default
// producer settings.
func (e *env) enqueuer() (*tasks.Enqueuer, error) {
	cfg, err := e.workerConfig("http://127.0.0.1:1/unused/")
	if err != nil {
		return nil, err
	}
	return tasks.NewEnqueuer(e.rdb, cfg.TaskOptions())
}

// enqueueSends stores n sms:send tasks through the Go producer API, with
// producerConcurrency goroutines, and returns how long it took.
func (e *env) enqueueSends(ctx context.Context, n int, prefix, queue string) (time.Duration, error) {
	enq, err := e.enqueuer()
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	res, err := loadgen.Run(ctx, n, producerConcurrency, func(i int) error {
		_, err := enq.Send(ctx, otpPayload(i), tasks.WithTaskID(fmt.Sprintf("%s-%d", prefix, i)), tasks.WithQueue(queue))
		return err
	})
	return res.Elapsed, err
}
