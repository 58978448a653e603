package tasks_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/smsq/smsq/tasks"
)

// A backend sends a one-time password: national number, GSM text, the
// critical queue, and a task ID of its own so that a retried HTTP request in
// the backend cannot send the code twice.
func Example_otp() {
	enq := tasks.NewEnqueuer(asynq.RedisClientOpt{Addr: "127.0.0.1:6379"}, tasks.Options{Region: "FR"})
	defer enq.Close()

	res, err := enq.Send(context.Background(), tasks.SendPayload{
		To:      []string{"06 12 34 56 78"},
		Message: "Votre code de connexion : 4821. Il expire dans 10 minutes.",
		Sender:  "MYSHOP",
	}, tasks.WithTaskID("otp-user-1234-attempt-1"), tasks.WithQueue(tasks.QueueCritical))

	var invalid *tasks.ValidationError
	switch {
	case errors.As(err, &invalid):
		fmt.Println("refused:", invalid.Field, invalid.Reason) // nothing was enqueued
	case err != nil:
		fmt.Println("redis unavailable, try again:", err)
	case res.Duplicate:
		fmt.Println("already enqueued:", res.ID)
	default:
		fmt.Println("enqueued:", res.ID)
	}
}

// A campaign: rows personalised per recipient, scheduled, split by the
// Enqueuer into chunk tasks of BATCH_CHUNK rows (camp-2026-12-1, -2 …).
func Example_campaign() {
	enq := tasks.NewEnqueuer(asynq.RedisClientOpt{Addr: "127.0.0.1:6379"}, tasks.Options{Region: "FR", BatchChunk: 1000})
	defer enq.Close()

	rows := []tasks.BatchRow{
		{To: "0612345678", Message: "Bonjour Léa, -20 % sur tout le magasin ce samedi !"},
		{To: "+33 6 98 76 54 32", Message: "Bonjour Hugo, -20 % sur tout le magasin ce samedi !"},
	}
	saturday := time.Date(2026, 12, 5, 9, 0, 0, 0, time.FixedZone("CET", 3600))
	chunks, err := enq.Batch(context.Background(), tasks.BatchPayload{
		Rows: rows, Sender: "MYSHOP", SendAt: saturday,
	}, tasks.WithTaskID("camp-2026-12"))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range chunks {
		fmt.Println(c.ID)
	}
}

// Validation happens before anything reaches Redis and names the field.
func ExampleNewSendTask() {
	task, err := tasks.NewSendTask(tasks.SendPayload{
		To:      []string{"06 12 34 56 78", "+33 6 98 76 54 32"},
		Message: "Votre colis arrive demain",
	}, "FR")
	fmt.Println(task.Type(), string(task.Payload()), err)

	_, err = tasks.NewSendTask(tasks.SendPayload{To: []string{"0612345678"}, Message: "Promo !", Sender: "MYSHOP", Reply: true}, "FR")
	fmt.Println(err)
	// Output:
	// sms:send {"to":["33612345678","33698765432"],"message":"Votre colis arrive demain"} <nil>
	// invalid sender: a custom sender is not allowed with classe_msg=4 (reply allowed)
}
