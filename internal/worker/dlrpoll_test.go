package worker_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/worker"
	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/tasks"
)

// The worker polls compteRendu.do for a message nobody calls back about
// (WEBHOOK_PUBLIC_URL unset), through the shared SMSMODE_RATE limiter; the
// status reaches `enqueue status`, a later callback of the same status is a
// duplicate, and the metrics tell which source found what.
func TestDLRPollingWithoutCallbacks(t *testing.T) {
	b := setup(t, worker.RoleAll, "DLR_POLL_AFTER=1s", "DLR_POLL_UNTIL=1h", "SMSMODE_RATE=50")
	ctx := context.Background()
	_, err := b.enqueuer.Send(ctx, tasks.SendPayload{To: []string{"0612345678"}, Message: "Bonjour"}, tasks.WithTaskID("polled-1"))
	require.NoError(t, err)
	b.wait(t, "polled-1", "completed")
	st, err := b.insp.Status(ctx, "polled-1")
	require.NoError(t, err)
	smsID := st.Result.SMSID
	msg, ok := b.fake.Message(smsID)
	require.True(t, ok)
	require.Empty(t, msg.NotificationURL)
	require.NoError(t, b.fake.Deliver(smsID, "33612345678", smsmode.StatusReceived))

	require.Eventually(t, func() bool {
		st, err := b.insp.Status(ctx, "polled-1")
		return err == nil && len(st.Recipients) == 1 && st.Recipients[0].Status == 11 && st.Recipients[0].Final
	}, 20*time.Second, 20*time.Millisecond, "the polled status never reached the recipient store")
	require.Eventually(t, func() bool {
		n, err := b.redis.Client().ZCard(ctx, "smsq:dlr:due").Result()
		return err == nil && n == 0
	}, 10*time.Second, 20*time.Millisecond, "a message with every recipient final is still polled")

	code, _ := b.get(t, "/webhooks/smsmode/s3cret-path-4f9a2c7e/delivery?numero=33612345678&date_reception=2026-11-24+10%3A00%3A00&statut=11&smsID="+smsID, false)
	require.Equal(t, http.StatusOK, code)
	code, _ = b.get(t, "/webhooks/smsmode/s3cret-path-4f9a2c7e/delivery?numero=33612345678&date_reception=2026-11-24+10%3A00%3A00&statut=11&smsID=other1", false)
	require.Equal(t, http.StatusOK, code)

	_, m := b.get(t, "/metrics", false)
	for _, want := range []string{
		`smsq_delivery_statuses_total{source="poll"} 1`,
		`smsq_delivery_statuses_total{source="callback"} 1`,
		`smsq_callbacks_received_total{kind="delivery",outcome="duplicate"} 1`,
		`smsq_dlr_polls_total{outcome="error"} 0`,
		`smsq_provider_requests_total{code="0",endpoint="compteRendu.do"}`,
		`smsq_dlr_polls_waiting 0`,
	} {
		require.Contains(t, m, want)
	}
	require.NotContains(t, m, `smsq_dlr_polls_total{outcome="ok"} 0`)
	require.Equal(t, b.fake.RequestCount("compteRendu.do"), metricValue(t, m, `smsq_provider_requests_total{code="0",endpoint="compteRendu.do"}`))
}

// With DLR_POLL_AFTER=0 nothing is polled, and the index the send handlers
// fill is emptied rather than left to grow.
func TestDLRPollingOff(t *testing.T) {
	b := setup(t, worker.RoleAll, "DLR_POLL_AFTER=0")
	ctx := context.Background()
	_, err := b.enqueuer.Send(ctx, tasks.SendPayload{To: []string{"0612345678"}, Message: "Bonjour"}, tasks.WithTaskID("unpolled-1"))
	require.NoError(t, err)
	b.wait(t, "unpolled-1", "completed")
	require.Eventually(t, func() bool {
		n, err := b.redis.Client().Exists(ctx, "smsq:dlr:new", "smsq:dlr:due").Result()
		return err == nil && n == 0
	}, 10*time.Second, 20*time.Millisecond, "the poll index is not emptied")
	require.Zero(t, b.fake.RequestCount("compteRendu.do"))
}

// metricValue returns the integer value of the sample line starting with series.
func metricValue(t *testing.T, metrics, series string) int {
	t.Helper()
	for _, line := range strings.Split(metrics, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			var n int
			for _, c := range v {
				if c < '0' || c > '9' {
					break
				}
				n = n*10 + int(c-'0')
			}
			return n
		}
	}
	t.Fatalf("no series %s", series)
	return 0
}
