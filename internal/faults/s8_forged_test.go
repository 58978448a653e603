//go:build faults

package faults

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/event"
	"github.com/smsq/smsq/internal/proctest"
	"github.com/smsq/smsq/internal/redistest"
	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/smsmode/smsmodetest"
	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/tasks/store"
)

// Scenario 8. The black-box review of the webhook (issue 11), replayed
// against the real worker binary: someone who learnt the webhook URL posts
// 2,000 delivery reports for smsIDs smsq never sent as fast as they can
// (each used to become an event task and a 30-day status key: 2.3 MB), 2
// KiB fields, NUL and ANSI escapes in smsID, a reply STOP, a later
// statut=2 for a real recipient after its received [11], and a POST whose
// body stops short of the server's 10 s read timeout.
//
// What must hold: the malformed callbacks are 400; the forged ones 200
// (the provider must not retry) but they add no status key, change no
// status and reach the application not at all, except the statut=2, which
// names the real smsID and number (nothing tells it from a genuine
// report): forwarded like every report, but the status stays received
// [11]; the cut body is answered 503 with Retry-After.
func TestForgedCallbacks(t *testing.T) {
	const (
		forged  = 2000
		clients = 20
		secret  = "forged-hook-secret-5e2a9c"
		signing = "forged-signing-secret-77b1"
	)
	started := time.Now()
	srv := redistest.Start(t)
	fake := smsmodetest.NewServer(smsmodetest.WithAutoDelivery(smsmode.StatusDeliveredToOperator, smsmode.StatusReceived))
	t.Cleanup(fake.Close)

	var (
		mu       sync.Mutex
		received []event.Envelope
	)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := event.Verify(signing, r.Header.Get(event.HeaderTimestamp), r.Header.Get(event.HeaderSignature), body, 5*time.Minute, time.Now()); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		var ev event.Envelope
		_ = json.Unmarshal(body, &ev)
		mu.Lock()
		received = append(received, ev)
		mu.Unlock()
	}))
	t.Cleanup(app.Close)

	addr := proctest.FreeAddr(t)
	w, _ := startWorker(t, workerEnv(srv, fake.URL,
		"HTTP_ADDR="+addr, "WEBHOOK_SECRET="+secret, "WEBHOOK_PUBLIC_URL=http://"+addr,
		"EVENTS_FORWARD_URL="+app.URL+"/events", "EVENTS_SIGNING_SECRET="+signing,
		"RETRY_BASE_DELAY=50ms", "RETRY_MAX_DELAY=200ms")...)
	ctx := context.Background()
	rdb := srv.Client()
	recipients, err := store.NewRecipientStore(rdb, store.DefaultRecipientTTL)
	require.NoError(t, err)

	// One real message, reported 13 then 11 by the fake.
	enq := proctest.Enqueuer(t, rdb, 20)
	_, err = enq.Send(ctx, tasks.SendPayload{To: []string{"0612345678"}, Message: "Votre code : 4821"}, tasks.WithTaskID("real-1"))
	require.NoError(t, err)
	statusOf := func() int {
		rs, err := recipients.Recipients(ctx, "real-1")
		require.NoError(t, err)
		if len(rs) != 1 {
			return -1
		}
		return rs[0].Status
	}
	require.Eventually(t, func() bool { return statusOf() == 11 }, 30*time.Second, 20*time.Millisecond, "the real message never showed received [11]")
	msgs := fake.Messages()
	require.Len(t, msgs, 1)
	realSMS := msgs[0].SMSID
	require.True(t, strings.HasSuffix(msgs[0].NotificationURL, "/delivery/real-1"), msgs[0].NotificationURL)
	memBefore := usedMemory(t, srv)
	keysBefore, err := rdb.DBSize(ctx).Result()
	require.NoError(t, err)

	base := "http://" + addr + "/webhooks/smsmode/" + secret
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: clients}}
	defer hc.CloseIdleConnections()
	get := func(path, query string) int { // also from the flood's goroutines: no FailNow
		resp, err := hc.Get(base + path + "?" + query)
		if err != nil {
			t.Errorf("GET %s: %v", path, err)
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	// The flood, through every route.
	floodStart := time.Now()
	var (
		wg    sync.WaitGroup
		ok200 atomic.Int64
	)
	for c := range clients {
		wg.Go(func() {
			for i := c; i < forged; i += clients {
				path := []string{"/delivery", "/delivery/real-1", "/delivery/invented"}[i%3]
				if get(path, fmt.Sprintf("numero=336%08d&date_reception=2026-11-24+10%%3A00%%3A00&statut=11&smsID=FORGED%06d&refClient=x", i, i)) == http.StatusOK {
					ok200.Add(1)
				}
			}
		})
	}
	wg.Wait()
	floodTime := time.Since(floodStart)
	require.Equal(t, int64(forged), ok200.Load(), "forged callbacks are answered 200")

	// Malformed values: 400, nothing stored.
	for _, q := range []string{
		"numero=33612345678&date_reception=2026-11-24+10%3A00%3A00&statut=11&smsID=S%00",
		"numero=33612345678&date_reception=2026-11-24+10%3A00%3A00&statut=11&smsID=S%1B%5B31mRED",
		"numero=33612345678&date_reception=2026-11-24+10%3A00%3A00&statut=11&smsID=S1&refClient=" + strings.Repeat("x", 2000),
		"numero=33612345678&date_reception=2026-11-24+10%3A00%3A00&statut=11&smsID=S1&mcc_mnc=" + strings.Repeat("9", 2000),
	} {
		require.Equal(t, http.StatusBadRequest, get("/delivery", q))
	}
	// A reply STOP: from a number the real message never went to, and for
	// an smsID smsq never sent.
	require.Equal(t, http.StatusOK, get("/reply/real-1", "numero=36034&message=STOP&emetteur=33699999999&date_reception=24112026-100100&smsID="+realSMS))
	require.Equal(t, http.StatusOK, get("/reply", "numero=36034&message=STOP&emetteur=33612345678&date_reception=24112026-100101&smsID=FORGEDstop"))
	// A later failure for the real recipient.
	later := url.QueryEscape(time.Now().In(smsmode.DefaultLocation()).Add(time.Hour).Format("2006-01-02 15:04:05"))
	require.Equal(t, http.StatusOK, get("/delivery/real-1", "numero=33612345678&statut=2&smsID="+realSMS+"&date_reception="+later))

	// A POST cut short: the production server's read timeout answers 503.
	cutStart := time.Now()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	body := "numero=33612345678&date_reception=2026-11-24+10%3A00%3A00&statut=11&smsID=" + realSMS
	_, err = fmt.Fprintf(conn, "POST /webhooks/smsmode/%s/delivery/real-1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s", secret, len(body), body[:25])
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(60*time.Second)))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	require.Equal(t, "5", resp.Header.Get("Retry-After"))
	cut := time.Since(cutStart)

	// The worker drains the events queue (the forged events are retried
	// four times in case their send is still being recorded, then dropped).
	ainsp := asynq.NewInspector(srv.ConnOpt())
	defer ainsp.Close()
	drainStart := time.Now()
	require.Eventually(t, func() bool {
		info := queueCounts(t, ainsp, tasks.QueueEvents)
		return info.Completed >= forged+2+3 && info.Pending+info.Active+info.Retry+info.Scheduled == 0
	}, 3*time.Minute, 100*time.Millisecond, "the events queue was not drained")
	drained := time.Since(drainStart)
	info := queueCounts(t, ainsp, tasks.QueueEvents)
	require.Zero(t, info.Archived)

	keys, err := rdb.Keys(ctx, "*recipients*").Result()
	require.NoError(t, err)
	require.Equal(t, []string{"smsq:{real-1}:recipients"}, keys, "no status key but the real message's")
	require.Equal(t, 11, statusOf(), "received [11] stays")
	memAfter := usedMemory(t, srv)
	keysAfter, err := rdb.DBSize(ctx).Result()
	require.NoError(t, err)

	mu.Lock()
	evs := append([]event.Envelope(nil), received...)
	mu.Unlock()
	var statuses []int
	for _, ev := range evs {
		require.Equal(t, tasks.TypeDelivery, ev.Type, "no reply reached the application")
		var d tasks.DeliveryPayload
		require.NoError(t, json.Unmarshal(ev.Data, &d))
		require.Equal(t, realSMS, d.SMSID)
		require.Equal(t, "real-1", d.TaskID)
		statuses = append(statuses, d.Status)
	}
	require.ElementsMatch(t, []int{13, 11, 2}, statuses, "the two genuine reports and the indistinguishable statut=2")
	out := w.Output()
	unverified := logCount(out, `"verified":false`)
	require.GreaterOrEqual(t, unverified, forged+2)

	fig(t, "forged callbacks", "%d from %d clients in %v (%.0f/s), all answered 200", forged, clients, floodTime.Round(time.Millisecond), float64(forged)/floodTime.Seconds())
	fig(t, "status keys added", "%d (the review: one per forged smsID)", len(keys)-1)
	fig(t, "Redis memory", "%s → %s (+%s, %d keys → %d: the forged events' completed tasks, kept TASK_RETENTION)",
		kib(memBefore), kib(memAfter), kib(memAfter-memBefore), keysBefore, keysAfter)
	fig(t, "events dropped as unverified", "%d log lines; drained %v after the flood", unverified, drained.Round(100*time.Millisecond))
	fig(t, "forwarded to the application", "%d (the real message's 13 and 11, and the statut=2 naming its smsID and number)", len(evs))
	fig(t, "body cut short", "503 + Retry-After after %v (server ReadTimeout 10 s)", cut.Round(100*time.Millisecond))
	fig(t, "duration", "%v", time.Since(started).Round(time.Second))
}

// usedMemory is Redis's used_memory in bytes.
func usedMemory(t *testing.T, srv *redistest.Server) int64 {
	t.Helper()
	s, err := srv.Client().Info(context.Background(), "memory").Result()
	require.NoError(t, err)
	for _, line := range strings.Split(s, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			require.NoError(t, err)
			return n
		}
	}
	t.Fatal("no used_memory in INFO memory")
	return 0
}

func kib(n int64) string { return fmt.Sprintf("%.1f KiB", float64(n)/1024) }
