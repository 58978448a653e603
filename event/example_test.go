package event_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/smsq/smsq/event"
)

// An application's endpoint for forwarded events: verify, decode, dispatch.
func Example_receiver() {
	const secret = "whsec-Tq3zR8pLx2Vn" // EVENTS_SIGNING_SECRET
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "unreadable", http.StatusBadRequest)
			return
		}
		if err := event.Verify(secret, r.Header.Get(event.HeaderTimestamp), r.Header.Get(event.HeaderSignature), body, 0, time.Now()); err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var env event.Envelope
		if err := json.Unmarshal(body, &env); err != nil {
			http.Error(w, "not an event", http.StatusBadRequest)
			return
		}
		switch env.Type {
		case event.TypeDelivery:
			var d event.Delivery
			_ = json.Unmarshal(env.Data, &d)
			fmt.Printf("%s: %s is %s (final %v)\n", env.ID, d.To, d.StatusText, d.Final)
		case event.TypeReply:
			var rp event.Reply
			_ = json.Unmarshal(env.Data, &rp)
			fmt.Printf("%s: %s replied %q\n", env.ID, rp.From, rp.Message)
		}
		w.WriteHeader(http.StatusNoContent)
	})

	// What smsq's forwarder sends.
	body := `{"type":"sms:delivery","id":"dlr:7f3a","data":{"sms_id":"Ab12","to":"33612345678","status":11,"status_text":"received","final":true,"received_at":"2026-12-01T21:32:55+01:00"}}`
	ts := fmt.Sprint(time.Now().Unix())
	req := httptest.NewRequest(http.MethodPost, "/smsq-events", strings.NewReader(body))
	req.Header.Set(event.HeaderTimestamp, ts)
	req.Header.Set(event.HeaderSignature, event.Sign(secret, ts, []byte(body)))
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	fmt.Println(rec.Code)
	// Output:
	// dlr:7f3a: 33612345678 is received (final true)
	// 204
}
