package handler_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/hibiken/asynq"

	"github.com/smsq/smsq/smsmode/smsmodetest"
	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/tasks/handler"
	"github.com/smsq/smsq/tasks/store"
)

// The worker side: the send handlers on an asynq server, against a fake
// sMsmode. A producer's task is handed over once and its result written.
func Example_worker() {
	ctx := context.Background()
	rdb, err := tasks.OpenRedis(os.Getenv("REDIS_URL"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rdb.Close()
	fake := smsmodetest.NewServer()
	defer fake.Close()
	paris, _ := time.LoadLocation("Europe/Paris")

	ledger, _ := store.NewLedger(rdb, store.DefaultLedgerTTL)
	sender, err := handler.NewSender(handler.SenderConfig{Provider: fake.Client(), Ledger: ledger, Region: "FR", Location: paris})
	if err != nil {
		fmt.Println(err)
		return
	}
	mux := asynq.NewServeMux()
	sender.Register(mux)
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{
		Queues: map[string]int{"example": 1}, RetryDelayFunc: handler.RetryPolicy{Base: time.Second, Max: time.Minute}.Delay,
		IsFailure: handler.IsFailure, TaskCheckInterval: 10 * time.Millisecond, LogLevel: asynq.FatalLevel,
	})
	if err := srv.Start(mux); err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Shutdown()

	enq, _ := tasks.NewEnqueuer(rdb, tasks.Options{Region: "FR", MaxRetry: 20, Retention: time.Hour, BatchChunk: 1000, Queues: []string{"example"}})
	insp, _ := tasks.NewInspector(rdb)
	_, err = enq.Send(ctx, tasks.SendPayload{To: []string{"06 12 34 56 78"}, Message: "Votre code : 4821"}, tasks.WithTaskID("example-otp"), tasks.WithQueue("example"))
	if err != nil {
		fmt.Println(err)
		return
	}
	for range 500 {
		if st, err := insp.Status(ctx, "example-otp"); err == nil && st.State == tasks.StateCompleted {
			fmt.Println(st.State, st.Result.Encoding, st.Result.Segments, len(fake.Messages()))
			return
		}
		time.Sleep(10 * time.Millisecond) // an example's plain loop; tests use require.Eventually
	}
	fmt.Println("not completed")
	// Output:
	// completed gsm 1 1
}
