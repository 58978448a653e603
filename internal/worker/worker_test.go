package worker_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/config"
	"github.com/smsq/smsq/internal/proctest"
	"github.com/smsq/smsq/internal/redistest"
	"github.com/smsq/smsq/internal/worker"
	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/smsmode/smsmodetest"
	"github.com/smsq/smsq/tasks"
)

// bundle is a worker running in-process against a private Redis and the fake.
type bundle struct {
	redis    *redistest.Server
	fake     *smsmodetest.Server
	base     string // http://addr
	enqueuer *tasks.Enqueuer
	insp     *tasks.Inspector
}

func setup(t *testing.T, role worker.Role, env ...string) *bundle {
	t.Helper()
	t.Parallel()
	srv := redistest.Start(t)
	fake := smsmodetest.NewServer(smsmodetest.WithCredit(4242.5))
	t.Cleanup(fake.Close)
	cfg, err := config.Defaults().With(append([]string{
		"REDIS_URL=" + srv.URL(),
		"SMSMODE_BASE_URL=" + fake.URL,
		"SMSMODE_ACCESS_TOKEN=" + smsmodetest.AccessToken,
		"HTTP_ADDR=127.0.0.1:0",
		"WEBHOOK_SECRET=s3cret-path-4f9a2c7e",
		"MONITORING_USER=ops",
		"MONITORING_PASSWORD=pw-monitoring-8d2e5f1a",
		"RETRY_BASE_DELAY=20ms",
		"RETRY_MAX_DELAY=100ms",
	}, env...)...)
	require.NoError(t, err)
	w, err := worker.New(cfg, role, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	b := &bundle{redis: srv, fake: fake}
	require.Eventually(t, func() bool {
		if w.Addr() == "" {
			return false
		}
		b.base = "http://" + w.Addr()
		resp, err := http.Get(b.base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 10*time.Second, 10*time.Millisecond)
	b.enqueuer = proctest.Enqueuer(t, srv.Client(), 20)
	b.insp = proctest.Inspector(t, srv.Client())
	return b
}

func (b *bundle) get(t *testing.T, path string, auth bool) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.base+path, nil)
	require.NoError(t, err)
	if auth {
		req.SetBasicAuth("ops", "pw-monitoring-8d2e5f1a")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}

func (b *bundle) wait(t *testing.T, id, state string) {
	t.Helper()
	require.Eventually(t, func() bool {
		st, err := b.insp.Status(context.Background(), id)
		return err == nil && st.State == state
	}, 20*time.Second, 10*time.Millisecond, "task %s never reached %s", id, state)
}

func TestMetricsMoveWithTheWork(t *testing.T) {
	b := setup(t, worker.RoleAll)
	ctx := context.Background()
	_, before := b.get(t, "/metrics", false)
	require.NotContains(t, before, `smsq_messages_sent_total{`)

	b.fake.FailNext("sendSMS.do", smsmode.CodeTemporarilyUnavailable, 1)
	b.fake.FailNumber("33611111111", smsmode.CodeInsufficientCredit)
	for id, p := range map[string]tasks.SendPayload{
		"gsm":     {To: []string{"0612345678"}, Message: "Bonjour"},
		"emoji":   {To: []string{"0612345678"}, Message: "Bravo 🎉"},
		"refused": {To: []string{"0611111111"}, Message: "x"},
	} {
		_, err := b.enqueuer.Send(ctx, p, tasks.WithTaskID(id))
		require.NoError(t, err)
	}
	b.wait(t, "gsm", "completed")
	b.wait(t, "emoji", "completed")
	b.wait(t, "refused", "archived")
	code, _ := b.get(t, "/webhooks/smsmode/s3cret-path-4f9a2c7e/delivery?numero=33612345678&date_reception=2026-11-24+10%3A00%3A00&statut=11&smsID=x1", false)
	require.Equal(t, http.StatusOK, code)
	code, _ = b.get(t, "/webhooks/smsmode/s3cret-path-4f9a2c7e/delivery?numero=33612345678", false)
	require.Equal(t, http.StatusBadRequest, code)

	require.Eventually(t, func() bool {
		_, m := b.get(t, "/metrics", false)
		return strings.Contains(m, "smsq_provider_credit 4242.5")
	}, 10*time.Second, 20*time.Millisecond, "the credit gauge is filled at start")
	_, m := b.get(t, "/metrics", false)
	for _, want := range []string{
		`smsq_messages_sent_total{encoding="gsm",type="sms:send"} 1`,
		`smsq_messages_sent_total{encoding="unicode",type="sms:send"} 1`,
		`smsq_segments_sent_total{encoding="unicode"} 1`,
		`smsq_provider_requests_total{code="50",endpoint="sendSMS.do"} 1`,
		`smsq_provider_requests_total{code="33",endpoint="sendSMS.do"} 1`,
		`smsq_provider_requests_total{code="0",endpoint="sendSMS.do"} 2`,
		`smsq_tasks_archived_total{code="33",type="sms:send"} 1`,
		`smsq_task_retries_total{type="sms:send"} 1`,
		`smsq_callbacks_received_total{kind="delivery",outcome="stored"} 1`,
		`smsq_callbacks_received_total{kind="delivery",outcome="invalid"} 1`,
		`smsq_queue_tasks{queue="default",state="completed"} 2`,
		`smsq_queue_tasks{queue="default",state="archived"} 1`,
		`smsq_provider_request_duration_seconds_count{endpoint="sendSMS.do"} 4`,
	} {
		require.Contains(t, m, want)
	}
	require.NotContains(t, m, "s3cret-path-4f9a2c7e")
	require.NotContains(t, m, smsmodetest.AccessToken)
}

func TestMonitoringNeedsAuthAndShowsQueues(t *testing.T) {
	b := setup(t, worker.RoleAll)
	_, err := b.enqueuer.Send(context.Background(), tasks.SendPayload{To: []string{"0612345678"}, Message: "x"}, tasks.WithQueue("critical"), tasks.WithTaskID("m1"))
	require.NoError(t, err)
	b.wait(t, "m1", "completed")

	code, _ := b.get(t, "/monitoring/", false)
	require.Equal(t, http.StatusUnauthorized, code)
	code, page := b.get(t, "/monitoring/", true)
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, page, "<div id=\"root\">")
	code, queues := b.get(t, "/monitoring/api/queues", true)
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, queues, `"queue":"critical"`)
	code, _ = b.get(t, "/monitoring/api/queues", false)
	require.Equal(t, http.StatusUnauthorized, code)
}

func TestMonitoringOffWithoutPassword(t *testing.T) {
	b := setup(t, worker.RoleAll, "MONITORING_USER=", "MONITORING_PASSWORD=")
	code, _ := b.get(t, "/monitoring/", true)
	require.Equal(t, http.StatusNotFound, code)
}

func TestWebhookOnlyRoleProcessesNoTask(t *testing.T) {
	b := setup(t, worker.RoleWebhooks, "SMSMODE_ACCESS_TOKEN=") // needs no provider credentials
	_, err := b.enqueuer.Send(context.Background(), tasks.SendPayload{To: []string{"0612345678"}, Message: "x"}, tasks.WithTaskID("w1"))
	require.NoError(t, err)
	code, _ := b.get(t, "/webhooks/smsmode/s3cret-path-4f9a2c7e/delivery?numero=33612345678&date_reception=2026-11-24+10%3A00%3A00&statut=11&smsID=x1", false)
	require.Equal(t, http.StatusOK, code)
	// The callback task waits in events and the send stays pending: no task server here.
	require.Never(t, func() bool {
		st, err := b.insp.Status(context.Background(), "w1")
		return err != nil || st.State != "pending"
	}, 300*time.Millisecond, 20*time.Millisecond)
	require.Empty(t, b.fake.Messages())
}

func TestTasksRoleServesNoWebhook(t *testing.T) {
	b := setup(t, worker.RoleTasks)
	code, _ := b.get(t, "/webhooks/smsmode/s3cret-path-4f9a2c7e/delivery?numero=33612345678&date_reception=2026-11-24+10%3A00%3A00&statut=11&smsID=x1", false)
	require.Equal(t, http.StatusNotFound, code)
}

func TestReadyzFollowsRedis(t *testing.T) {
	b := setup(t, worker.RoleAll)
	b.redis.Stop()
	require.Eventually(t, func() bool { c, _ := b.get(t, "/readyz", false); return c == http.StatusServiceUnavailable }, 10*time.Second, 20*time.Millisecond)
	code, _ := b.get(t, "/healthz", false)
	require.Equal(t, http.StatusOK, code, "alive even when Redis is not")
	b.redis.Restart()
	require.Eventually(t, func() bool { c, _ := b.get(t, "/readyz", false); return c == http.StatusOK }, 10*time.Second, 20*time.Millisecond)
}

func (b *bundle) post(t *testing.T, path string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.base+path, nil)
	require.NoError(t, err)
	req.SetBasicAuth("ops", "pw-monitoring-8d2e5f1a")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

func TestMonitoringShowsJSONAndPausesQueues(t *testing.T) {
	b := setup(t, worker.RoleAll)
	_, err := b.enqueuer.Send(context.Background(), tasks.SendPayload{To: []string{"0612345678"}, Message: "x"}, tasks.WithTaskID("j1"))
	require.NoError(t, err)
	b.wait(t, "j1", "completed")
	code, body := b.get(t, "/monitoring/api/queues/default/completed_tasks", true)
	require.Equal(t, http.StatusOK, code)
	// Payload and result are indented JSON, readable in the UI.
	require.Contains(t, body, `\n  \"to\": [\n    \"33612345678\"\n  ]`)
	require.Contains(t, body, `\"sms_id\": \"`)

	// An operator pauses a queue (e.g. when credit runs out).
	require.Equal(t, http.StatusNoContent, b.post(t, "/monitoring/api/queues/default:pause"))
	code, body = b.get(t, "/monitoring/api/queues/default", true)
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, `"paused":true`)
}

func TestMonitoringReadOnly(t *testing.T) {
	b := setup(t, worker.RoleAll, "MONITORING_READ_ONLY=true")
	code, _ := b.get(t, "/monitoring/api/queues", true)
	require.Equal(t, http.StatusOK, code)
	require.GreaterOrEqual(t, b.post(t, "/monitoring/api/queues/default:pause"), 400, "read-only refuses changes")
}
