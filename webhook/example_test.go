package webhook_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/webhook"
)

// The receiver of sMsmode's callbacks: mounted on a mux, it turns each one
// into a follow-up task on queue events — once, however often the provider
// repeats it.
func Example() {
	rdb, err := tasks.OpenRedis(os.Getenv("REDIS_URL"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rdb.Close()
	enq, err := tasks.NewEnqueuer(rdb, tasks.Options{Region: "FR", MaxRetry: 20, Retention: time.Hour, BatchChunk: 1000, Queues: []string{"critical", "default", "low"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	const secret = "example-secret-4f9a2c7e1b" // WEBHOOK_SECRET
	h, err := webhook.New(webhook.Config{Secrets: []string{secret}, Enqueuer: enq, Location: paris})
	if err != nil {
		fmt.Println(err)
		return
	}
	mux := http.NewServeMux()
	mux.Handle(webhook.PathPrefix, h)

	// The notification_url of task "otp-42", as the worker sends it.
	u := webhook.DeliveryURL("https://sms.example.com", secret, "otp-42")
	fmt.Println(webhook.Redact(u[len("https://sms.example.com"):]))
	report := u + "?numero=33612345678&statut=11&smsID=S7EpYZ5kmS87&date_reception=2026-12-01+21%3A32%3A55"
	for range 2 { // the provider repeats itself: one task
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, report, nil))
		fmt.Print(rec.Code, " ", rec.Body.String())
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, webhook.DeliveryURL("https://sms.example.com", secret, "otp-42")+"?numero=06", nil))
	fmt.Print(rec.Code, " ", rec.Body.String())
	// Output:
	// /webhooks/smsmode/REDACTED/delivery/otp-42
	// 200 OK
	// 200 OK
	// 400 parameter "date_reception": missing
}
