package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/event"
	"github.com/smsq/smsq/internal/proctest"
	"github.com/smsq/smsq/internal/redistest"
	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/smsmode/smsmodetest"
	"github.com/smsq/smsq/tasks"
)

// A send with WEBHOOK_PUBLIC_URL set: the fake calls back a delivery report
// and a reply, `enqueue status` shows the recipient's status, and the
// forwarder delivers correctly signed events to the application.
func TestCallbacksReachStatusAndApplication(t *testing.T) {
	t.Parallel()
	const signing = "whsec-e2e-5b1f9a7c3d"
	srv := redistest.Start(t)
	fake := smsmodetest.NewServer(smsmodetest.WithAutoDelivery(smsmode.StatusDeliveredToOperator, smsmode.StatusReceived))
	t.Cleanup(fake.Close)

	var mu sync.Mutex
	var events []event.Envelope
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		// What README tells applications to do.
		if err := event.Verify(signing, r.Header.Get(event.HeaderTimestamp), r.Header.Get(event.HeaderSignature), body, 5*time.Minute, time.Now()); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var ev event.Envelope
		if err := json.Unmarshal(body, &ev); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		events = append(events, ev)
		mu.Unlock()
	}))
	t.Cleanup(app.Close)

	addr := proctest.FreeAddr(t)
	env := []string{
		"REDIS_URL=" + srv.URL(),
		"SMSMODE_BASE_URL=" + fake.URL,
		"SMSMODE_ACCESS_TOKEN=" + smsmodetest.AccessToken,
		"HTTP_ADDR=" + addr,
		"WEBHOOK_SECRET=e2e-secret-123-7c4b9e2f",
		"WEBHOOK_PUBLIC_URL=http://" + addr,
		"EVENTS_FORWARD_URL=" + app.URL + "/smsq-events",
		"EVENTS_SIGNING_SECRET=" + signing,
	}
	startWorker(t, env...)

	code, out, errOut := run(t, env, "send", "--to", "06 12 34 56 78", "--message", "Répondez OUI", "--reply", "--id", "hook-1")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "hook-1", out)

	// The fake reports 13 then 11 on its own; wait until status shows 11.
	var status string
	require.Eventually(t, func() bool {
		_, status, _ = run(t, env, "status", "hook-1")
		return strings.Contains(status, "33612345678     received [11]")
	}, 30*time.Second, 100*time.Millisecond, "status never showed the delivery report")
	require.Contains(t, status, "State:        completed")

	msgs := fake.Messages()
	require.Len(t, msgs, 1)
	require.Contains(t, msgs[0].NotificationURL, "/webhooks/smsmode/e2e-secret-123-7c4b9e2f/delivery")
	require.Contains(t, msgs[0].ReplyURL, "/webhooks/smsmode/e2e-secret-123-7c4b9e2f/reply")
	_, err := fake.Reply(msgs[0].SMSID, "33612345678", "OUI merci")
	require.NoError(t, err)

	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		var deliveries, replies int
		for _, ev := range events {
			switch ev.Type {
			case tasks.TypeDelivery:
				deliveries++
			case tasks.TypeReply:
				var p tasks.ReplyPayload
				require.NoError(t, json.Unmarshal(ev.Data, &p))
				require.Equal(t, "OUI merci", p.Message)
				require.Equal(t, "hook-1", p.TaskID)
				replies++
			}
		}
		return deliveries >= 2 && replies == 1
	}, 30*time.Second, 50*time.Millisecond, "the application never got both reports and the reply")
}
