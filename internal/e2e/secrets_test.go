package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/proctest"
	"github.com/smsq/smsq/internal/redistest"
	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/smsmode/smsmodetest"
	"github.com/smsq/smsq/tasks"
)

// No log line of a full run — sends, refusals, retries, callbacks, shutdown —
// contains a credential or a secret.
func TestLogsNeverContainSecrets(t *testing.T) {
	t.Parallel()
	const (
		token      = "TOKENsecret0123456789abcdefABCDEF"
		webhook    = "hookSecret-4f1c2a9e"
		monitoring = "monitorPass-77aa"
		signing    = "signSecret-991b-a3f8e2c7"
	)
	srv := redistest.Start(t)
	fake := smsmodetest.NewServer(smsmodetest.WithAutoDelivery(smsmode.StatusDeliveredToOperator, smsmode.StatusReceived))
	t.Cleanup(fake.Close)
	fake.AddAccessToken(token)
	fake.FailNumber("33611111111", smsmode.CodeAuthentication)
	fake.FailNext("sendSMS.do", smsmode.CodeTemporarilyUnavailable, 2)

	hookAddr := proctest.FreeAddr(t)
	env := []string{
		"REDIS_URL=" + srv.URL(),
		"SMSMODE_BASE_URL=" + fake.URL,
		"SMSMODE_ACCESS_TOKEN=" + token,
		"WEBHOOK_SECRET=" + webhook,
		"WEBHOOK_PUBLIC_URL=http://" + hookAddr,
		"MONITORING_USER=ops", "MONITORING_PASSWORD=" + monitoring,
		"EVENTS_FORWARD_URL=http://127.0.0.1:1/events", "EVENTS_SIGNING_SECRET=" + signing,
		"RETRY_BASE_DELAY=50ms", "RETRY_MAX_DELAY=200ms",
		"HTTP_ADDR=" + hookAddr,
	}
	w, addr := startWorker(t, env...)

	enq := proctest.Enqueuer(t, srv.Client(), 20)
	insp := proctest.Inspector(t, srv.Client())
	for i, to := range []string{"0612345678", "0611111111", "0698765432"} {
		_, err := enq.Send(context.Background(), tasks.SendPayload{To: []string{to}, Message: "secret-free log"}, tasks.WithTaskID(fmt.Sprintf("s%d", i)))
		require.NoError(t, err)
	}
	for i, want := range []string{"completed", "archived", "completed"} {
		require.Eventually(t, func() bool {
			st, err := insp.Status(context.Background(), fmt.Sprintf("s%d", i))
			return err == nil && st.State == want
		}, 20*time.Second, 20*time.Millisecond)
	}
	// A callback with a wrong secret and one with the right secret.
	for _, secret := range []string{"wrong", webhook} {
		resp, err := http.Get("http://" + addr + "/webhooks/smsmode/" + secret + "/delivery?numero=33612345678&date_reception=2026-11-24+10%3A00%3A00&statut=11&smsID=abc")
		require.NoError(t, err)
		resp.Body.Close()
	}
	w.Terminate(t, 40*time.Second)

	out := w.Output()
	require.Contains(t, out, `"task_id":"s1"`, "the log shows the run")
	for _, secret := range []string{token, webhook, monitoring, signing} {
		require.False(t, strings.Contains(out, secret), "secret %q leaked into the logs:\n%s", secret, out)
	}
}
