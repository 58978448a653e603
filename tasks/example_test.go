package tasks_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/smsq/smsq/tasks"
)

// A backend sends a one-time password: national number, GSM text, the
// critical queue, and a task ID of its own so that a retried HTTP request in
// the backend cannot send the code twice.
func Example_otp() {
	rdb, err := tasks.OpenRedis(os.Getenv("REDIS_URL")) // the processes' syntax: Sentinel, ACL users, TLS
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rdb.Close()
	enq, err := tasks.NewEnqueuer(rdb, tasks.Options{Region: "FR", MaxRetry: 20, Retention: 24 * time.Hour, BatchChunk: 1000, Queues: []string{"critical", "default", "low"}})
	if err != nil {
		fmt.Println(err)
		return
	}

	otp := tasks.SendPayload{
		To:      []string{"06 12 34 56 78"},
		Message: "Votre code de connexion : 4821. Il expire dans 10 minutes.",
		Sender:  "MYSHOP",
	}
	for range 2 { // the backend retried its own request: still one message
		res, err := enq.Send(context.Background(), otp, tasks.WithTaskID("otp-user-1234-attempt-1"), tasks.WithQueue(tasks.QueueCritical))
		var invalid *tasks.ValidationError
		switch {
		case errors.As(err, &invalid):
			fmt.Println("refused:", invalid.Field, invalid.Reason) // nothing was enqueued
		case err != nil:
			fmt.Println("redis unavailable, try again:", err)
		case res.Duplicate:
			fmt.Println("already enqueued:", res.ID)
		default:
			fmt.Println("enqueued:", res.ID, res.Encoding, res.Segments)
		}
	}

	// What happened to it, from any process holding the ID.
	insp, err := tasks.NewInspector(rdb)
	if err != nil {
		fmt.Println(err)
		return
	}
	st, err := insp.Status(context.Background(), "otp-user-1234-attempt-1")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(st.Queue, st.State)
	// Output:
	// enqueued: otp-user-1234-attempt-1 gsm 1
	// already enqueued: otp-user-1234-attempt-1
	// critical pending
}

// A campaign: rows personalised per recipient, scheduled, split by the
// Enqueuer into chunk tasks of BatchChunk rows (camp-2026-12-1, -2 …).
func Example_campaign() {
	rdb, err := tasks.OpenRedis(os.Getenv("REDIS_URL"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rdb.Close()
	enq, err := tasks.NewEnqueuer(rdb, tasks.Options{Region: "FR", MaxRetry: 20, Retention: 24 * time.Hour, BatchChunk: 2, Queues: []string{"critical", "default", "low"}})
	if err != nil {
		fmt.Println(err)
		return
	}

	rows := []tasks.BatchRow{
		{To: "0612345678", Message: "Bonjour Léa, -20 % sur tout le magasin ce samedi !"},
		{To: "+33 6 98 76 54 32", Message: "Bonjour Hugo, -20 % sur tout le magasin ce samedi !"},
		{To: "06 11 22 33 44", Message: "Bonjour Inès, -20 % sur tout le magasin ce samedi !"},
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
		fmt.Println(c.ID, c.Queue, c.Segments)
	}
	// Output:
	// camp-2026-12-1 low 2
	// camp-2026-12-2 low 1
}

// Validation happens before anything reaches Redis, names the field, and
// tells what the message will cost.
func ExampleSendPayload_Prepare() {
	p := tasks.SendPayload{
		To:      []string{"06 12 34 56 78", "+33 6 98 76 54 32"},
		Message: "Votre colis arrive demain – entre 9 h et 12 h",
	}
	prep, err := p.Prepare("FR")
	fmt.Println(prep.SMS.Numbers, prep.Encoding, prep.Segments, prep.Messages, err)

	p = tasks.SendPayload{To: []string{"0612345678"}, Message: "Promo !", Sender: "MYSHOP", Reply: true}
	_, err = p.Prepare("FR")
	fmt.Println(err)
	// Output:
	// [33612345678 33698765432] gsm 1 2 <nil>
	// invalid sender: a custom sender is not allowed with classe_msg=4 (reply allowed)
}
