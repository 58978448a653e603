//go:build faults

package faults

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/proctest"
	"github.com/smsq/smsq/internal/redistest"
	"github.com/smsq/smsq/smsmode/smsmodetest"
	"github.com/smsq/smsq/tasks"
)

// Scenario 9. A proxy stands in front of the provider and answers 502 Bad
// Gateway after forwarding every tenth send: sMsmode accepted (and
// charged) the message, the worker sees an HTTP 5xx.
//
// What must hold: a 5xx proves nothing, so the worker reconciles through
// smsList.do before calling again: 200 sends, 0 duplicates, 0 lost.
func TestProxy502AfterForwarding(t *testing.T) {
	const n = 200
	started := time.Now()
	srv := redistest.Start(t)
	fake := smsmodetest.NewServer(smsmodetest.WithLatency(20 * time.Millisecond))
	t.Cleanup(fake.Close)
	target, err := url.Parse(fake.URL)
	require.NoError(t, err)
	var sends, badGateways atomic.Int64
	rp := &httputil.ReverseProxy{
		Rewrite:  func(r *httputil.ProxyRequest) { r.SetURL(&url.URL{Scheme: target.Scheme, Host: target.Host}) },
		ErrorLog: log.New(io.Discard, "", 0),
		ModifyResponse: func(resp *http.Response) error {
			if !strings.HasSuffix(resp.Request.URL.Path, "sendSMS.do") {
				return nil
			}
			if sends.Add(1)%10 == 0 {
				// Forwarded and answered by sMsmode; the client gets a 502.
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				resp.StatusCode, resp.Status = http.StatusBadGateway, "502 Bad Gateway"
				resp.Body = io.NopCloser(strings.NewReader("<html><body>502 Bad Gateway</body></html>"))
				resp.ContentLength = -1
				resp.Header.Del("Content-Length")
				badGateways.Add(1)
			}
			return nil
		},
	}
	proxy := httptest.NewServer(rp)
	t.Cleanup(proxy.Close)

	w, _ := startWorker(t, workerEnv(srv, proxy.URL+target.Path,
		"WORKER_CONCURRENCY=10", "RETRY_BASE_DELAY=100ms", "RETRY_MAX_DELAY=1s",
	)...)
	ctx := context.Background()
	var acked idList
	enq := proctest.Enqueuer(t, srv.Client(), 25)
	require.NoError(t, <-produce(ctx, enq, "p502", n, 5*time.Millisecond, &acked))
	ids := acked.all()
	require.Len(t, ids, n)
	waited := waitCompleted(t, srv, tasks.QueueDefault, ids, 2*time.Minute, w)

	byRef := sendsByRef(fake)
	dupIDs, extra := duplicates(byRef)
	require.Empty(t, dupIDs, "messages paid twice")
	for _, id := range ids {
		require.Equal(t, 1, byRef[id], "task %s", id)
	}
	ainsp := asynq.NewInspectorFromRedisClient(srv.Client())
	info := queueCounts(t, ainsp, tasks.QueueDefault)
	require.Zero(t, info.Archived)
	require.Positive(t, badGateways.Load())
	fig(t, "load", "%d sends through a proxy answering 502 after forwarding every tenth sendSMS.do", n)
	fig(t, "502 answers after the provider accepted", "%d", badGateways.Load())
	fig(t, "smsList.do reconciliations", "%d requests", fake.RequestCount("smsList.do"))
	fig(t, "delivered exactly once", "%d of %d (duplicates %d), lost 0", n-len(dupIDs), n, extra)
	fig(t, "duration", "%v (final wait %v)", time.Since(started).Round(time.Second), waited.Round(time.Second))
}
