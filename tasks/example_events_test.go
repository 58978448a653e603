package tasks_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hibiken/asynq"

	"github.com/smsq/smsq/tasks"
)

// An application may consume the events queue itself instead of (or besides
// forwarding to) smsq's built-in handlers: it runs its own asynq server on
// the queue "events" with handlers for sms:delivery and sms:reply that
// decode the typed payloads. smsq's worker must then leave "events" out of
// WORKER_QUEUES, or both would compete for the same tasks.
func Example_consumeEvents() {
	mux := asynq.NewServeMux()
	mux.HandleFunc(tasks.TypeDelivery, func(ctx context.Context, t *asynq.Task) error {
		var p tasks.DeliveryPayload
		if err := json.Unmarshal(t.Payload(), &p); err != nil {
			return fmt.Errorf("bad payload: %v: %w", err, asynq.SkipRetry) // archive, don't retry
		}
		fmt.Printf("delivery: send task %s, %s is %q (final: %v) at %s\n",
			p.TaskID, p.To, p.StatusText, p.Final, p.ReceivedAt.Format("2006-01-02 15:04:05 -07:00"))
		return nil
	})
	mux.HandleFunc(tasks.TypeReply, func(ctx context.Context, t *asynq.Task) error {
		var p tasks.ReplyPayload
		if err := json.Unmarshal(t.Payload(), &p); err != nil {
			return fmt.Errorf("bad payload: %v: %w", err, asynq.SkipRetry)
		}
		fmt.Printf("reply from %s to %s (send task %s): %s\n", p.From, p.To, p.TaskID, p.Message)
		return nil
	})

	// The application's worker (needs Redis, so not run here):
	//
	//	srv := asynq.NewServer(redisOpt, asynq.Config{Queues: map[string]int{tasks.QueueEvents: 1}})
	//	err := srv.Run(mux)
	//
	// and smsq's worker serves every default queue but events:
	queues := []string{}
	for _, q := range strings.Split("critical=6,default=3,low=1,events=2", ",") {
		if !strings.HasPrefix(q, tasks.QueueEvents+"=") {
			queues = append(queues, q)
		}
	}
	fmt.Println("WORKER_QUEUES=" + strings.Join(queues, ","))

	// Tasks as the webhook enqueues them, handed to the handlers directly.
	delivery := `{"sms_id":"S7EpYZ5kmS87","to":"33612345678","status":11,"status_text":"received",` +
		`"final":true,"received_at":"2026-07-14T10:30:00+02:00","ref":"order-42","task_id":"order-42-sms"}`
	reply := `{"sms_id":"S7EpYZ5kmS87","from":"33612345678","to":"36034","message":"Oui, merci !",` +
		`"received_at":"2026-07-14T10:31:07+02:00","task_id":"order-42-sms","response_id":"azertyu123"}`
	ctx := context.Background()
	if err := mux.ProcessTask(ctx, asynq.NewTask(tasks.TypeDelivery, []byte(delivery))); err != nil {
		fmt.Println(err)
	}
	if err := mux.ProcessTask(ctx, asynq.NewTask(tasks.TypeReply, []byte(reply))); err != nil {
		fmt.Println(err)
	}
	// Output:
	// WORKER_QUEUES=critical=6,default=3,low=1
	// delivery: send task order-42-sms, 33612345678 is "received" (final: true) at 2026-07-14 10:30:00 +02:00
	// reply from 33612345678 to 36034 (send task order-42-sms): Oui, merci !
}
