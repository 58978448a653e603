package api_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/tasks/store"
)

func TestStatusShowsTheResultAndEachRecipientsReport(t *testing.T) {
	b := setup(t)
	b.startWorker(t)
	r := b.post(t, "/v1/sms", map[string]any{"to": []string{"0612345678", "0698765432"}, "message": "Votre colis arrive"}, "Idempotency-Key", "parcel-7")
	require.Equal(t, http.StatusAccepted, r.status, "%s", r.body)
	st := b.waitState(t, "parcel-7", "completed")
	res := st["result"].(map[string]any)
	smsID := res["sms_id"].(string)
	require.NotEmpty(t, smsID)
	require.Equal(t, "gsm", res["encoding"])
	require.EqualValues(t, 1, res["segments"])
	require.Nil(t, res["send_at"], "sent at once")
	require.EqualValues(t, 1, st["attempts"])
	require.Equal(t, "", st["last_error"])
	require.NotEmpty(t, st["completed_at"])
	require.Empty(t, st["recipients"])

	// What the event handler records when sMsmode reports.
	at := time.Date(2026, 7, 14, 8, 31, 5, 0, time.UTC)
	_, err := b.recips.Record(context.Background(), "parcel-7", store.RecipientState{
		Number: "33612345678", SMSID: smsID, Status: int(smsmode.StatusReceived), StatusText: "received", Final: true, ReceivedAt: at,
	})
	require.NoError(t, err)
	_, err = b.recips.Record(context.Background(), "parcel-7", store.RecipientState{
		Number: "33698765432", SMSID: smsID, Status: int(smsmode.StatusDeliveredToOperator), StatusText: "delivered to operator", ReceivedAt: at,
	})
	require.NoError(t, err)
	got := b.get(t, "/v1/tasks/parcel-7").json(t)
	require.Equal(t, []any{
		map[string]any{"to": "33612345678", "status": 11.0, "status_text": "received", "final": true, "at": "2026-07-14T10:31:05+02:00"},
		map[string]any{"to": "33698765432", "status": 13.0, "status_text": "delivered to operator", "final": false, "at": "2026-07-14T10:31:05+02:00"},
	}, got["recipients"])
}

func TestUnknownTasksAre404(t *testing.T) {
	b := setup(t)
	for _, path := range []string{"/v1/tasks/nope", "/v1/tasks/a%2Fb", "/v1/tasks/july-campaign"} {
		p := b.get(t, path).problem(t, http.StatusNotFound)
		require.Contains(t, p["type"], "not-found")
		b.delete(t, path).problem(t, http.StatusNotFound)
	}
}

func TestCancelAPendingTask(t *testing.T) {
	b := setup(t)
	r := b.post(t, "/v1/sms", map[string]any{"to": []string{"0612345678"}, "message": "x"}, "Idempotency-Key", "to-cancel")
	require.Equal(t, http.StatusAccepted, r.status)
	c := b.delete(t, "/v1/tasks/to-cancel")
	require.Equal(t, http.StatusOK, c.status, "%s", c.body)
	require.Equal(t, map[string]any{"id": "to-cancel", "state": "cancelled"}, c.json(t))
	require.Empty(t, b.taskIDs(t))

	// Cancelling again answers as the first time when the Inspector
	// remembers cancelled tasks (state "cancelled"); one that forgets them
	// can only say 404.
	again := b.delete(t, "/v1/tasks/to-cancel")
	st, err := b.insp.Status(context.Background(), "to-cancel")
	if err == nil && st.State == "cancelled" {
		require.Equal(t, http.StatusOK, again.status, "%s", again.body)
		require.Equal(t, "cancelled", b.get(t, "/v1/tasks/to-cancel").json(t)["state"])
	} else {
		require.True(t, errors.Is(err, tasks.ErrNotFound), "%v", err)
		again.problem(t, http.StatusNotFound)
	}
}

func TestCancelAMessageSMsmodeHoldsForLater(t *testing.T) {
	b := setup(t)
	b.startWorker(t)
	sendAt := time.Now().Add(3 * time.Hour).Truncate(time.Minute)
	r := b.post(t, "/v1/sms", map[string]any{"to": []string{"0612345678"}, "message": "Rappel : rendez-vous demain", "send_at": sendAt.Format(time.RFC3339)}, "Idempotency-Key", "reminder-1")
	require.Equal(t, http.StatusAccepted, r.status, "%s", r.body)
	st := b.waitState(t, "reminder-1", "completed")
	res := st["result"].(map[string]any)
	require.Equal(t, sendAt.In(paris).Format(time.RFC3339), res["send_at"])
	msgs := b.fake.Messages()
	require.Len(t, msgs, 1)
	require.True(t, msgs[0].Scheduled())

	c := b.delete(t, "/v1/tasks/reminder-1")
	require.Equal(t, http.StatusOK, c.status, "%s", c.body)
	require.Equal(t, "cancelled", c.json(t)["state"])
	m, _ := b.fake.Message(msgs[0].SMSID)
	require.True(t, m.Deleted, "deleteSMS.do was called")

	// Again: sMsmode no longer has it, which is what cancelled means.
	c = b.delete(t, "/v1/tasks/reminder-1")
	require.Equal(t, http.StatusOK, c.status, "%s", c.body)

	// A message sent at once cannot be cancelled.
	r = b.post(t, "/v1/sms", map[string]any{"to": []string{"0612345678"}, "message": "Tout de suite"}, "Idempotency-Key", "now-1")
	require.Equal(t, http.StatusAccepted, r.status)
	b.waitState(t, "now-1", "completed")
	p := b.delete(t, "/v1/tasks/now-1").problem(t, http.StatusConflict)
	require.Contains(t, p["detail"], "immediate sending")
}

// Webhook pods have no provider credentials: the API passes no Deleter,
// and a message sMsmode holds cannot be cancelled there (yet).
// Webhook pods hold no sMsmode credentials: a worker (queue critical)
// deletes a message sMsmode holds on the API's behalf.
func TestWithoutADeleterAWorkerCancelsAtSMSmode(t *testing.T) {
	b := setup(t, func(c *apiConfig) { c.Deleter = nil })
	b.startWorker(t)
	sendAt := time.Now().Add(3 * time.Hour)
	r := b.post(t, "/v1/sms", map[string]any{"to": []string{"0612345678"}, "message": "Plus tard", "send_at": sendAt.Format(time.RFC3339)}, "Idempotency-Key", "later-1")
	require.Equal(t, http.StatusAccepted, r.status, "%s", r.body)
	b.waitState(t, "later-1", "completed")
	require.Equal(t, http.StatusOK, b.delete(t, "/v1/tasks/later-1").status)
	require.True(t, b.fake.Messages()[0].Deleted)
	require.Equal(t, "cancelled", b.get(t, "/v1/tasks/later-1").json(t)["state"])
}

func TestProviderRefusalsOfACancellation(t *testing.T) {
	b := setup(t)
	b.startWorker(t)
	sendAt := time.Now().Add(3 * time.Hour)
	r := b.post(t, "/v1/sms", map[string]any{"to": []string{"0612345678"}, "message": "Plus tard", "send_at": sendAt.Format(time.RFC3339)}, "Idempotency-Key", "later-2")
	require.Equal(t, http.StatusAccepted, r.status, "%s", r.body)
	b.waitState(t, "later-2", "completed")

	b.fake.FailNext("deleteSMS.do", smsmode.CodeTemporarilyUnavailable, 1)
	u := b.delete(t, "/v1/tasks/later-2")
	u.problem(t, http.StatusServiceUnavailable)
	require.Equal(t, "5", u.header.Get("Retry-After"))

	b.fake.FailNext("deleteSMS.do", smsmode.CodeInternalError, 1)
	b.delete(t, "/v1/tasks/later-2").problem(t, http.StatusServiceUnavailable)

	b.fake.FailNext("deleteSMS.do", smsmode.CodeAuthentication, 1)
	p := b.delete(t, "/v1/tasks/later-2").problem(t, http.StatusConflict)
	require.Contains(t, p["detail"], "code 32")

	require.Equal(t, http.StatusOK, b.delete(t, "/v1/tasks/later-2").status)
}
