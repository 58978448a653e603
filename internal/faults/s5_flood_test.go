//go:build faults

package faults

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/redistest"
	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/smsmode/smsmodetest"
	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/webhook"
)

// Scenario 5. 10,000 callbacks hit the worker's webhook receiver, 50 at a
// time: 7,500 distinct valid ones (90 % delivery reports, 10 % replies),
// 2,000 repeats of them (20 %: the same report again, half of them with the
// other date format or as a POST form, which must not make it a different
// report) and 500 malformed ones (5 %).
//
// What must hold: every valid callback and every repeat is answered 200,
// every malformed one 400, none 5xx; the events queue holds exactly one
// follow-up task per distinct valid callback (pending + active + retry +
// archived + completed), with exactly the IDs tasks.DeliveryEventID /
// ReplyEventID give; the worker processes them all (none archived).
func TestWebhookFlood(t *testing.T) {
	const (
		total       = 10_000
		repeats     = total * 20 / 100
		malformed   = total * 5 / 100
		unique      = total - repeats - malformed
		concurrency = 50
		secret      = "flood-secret-7f3a9c2e1d"
	)
	started := time.Now()
	srv := redistest.Start(t)
	fake := smsmodetest.NewServer()
	t.Cleanup(fake.Close)
	_, addr := startWorker(t, workerEnv(srv, fake.URL, "WEBHOOK_SECRET="+secret, "RETRY_BASE_DELAY=50ms", "RETRY_MAX_DELAY=500ms")...)
	base := "http://" + addr + "/webhooks/smsmode/" + secret + "/"
	paris := smsmode.DefaultLocation()
	day := time.Date(2026, 11, 24, 8, 0, 0, 0, paris)

	type cb struct {
		kind   string // delivery or reply
		params url.Values
		post   bool
		want   int    // expected status
		id     string // follow-up task ID (valid ones)
	}
	rng := rand.New(rand.NewPCG(6, 2026))
	var all []cb
	var uniq []cb
	for i := range unique {
		at := day.Add(time.Duration(i) * time.Second)
		var c cb
		if i%10 == 9 {
			v := url.Values{
				"numero": {smsmodetest.ShortCode}, "emetteur": {fmt.Sprintf("336%08d", i)},
				"message": {fmt.Sprintf("réponse %d", i)}, "date_reception": {at.Format("2006-01-02 15:04:05")},
				"smsID": {fmt.Sprintf("FLOOD%06d", i)}, "responseID": {fmt.Sprintf("R%06d", i)},
			}
			rc, err := smsmode.ParseReply(v, paris)
			require.NoError(t, err)
			c = cb{kind: webhook.KindReply, params: v, want: http.StatusOK, id: tasks.ReplyEventID(tasks.ReplyPayload{SMSID: rc.SMSID, From: rc.From, ReceivedAt: rc.ReceivedAt, Message: rc.Message, ResponseID: rc.ResponseID})}
		} else {
			v := url.Values{
				"numero": {fmt.Sprintf("336%08d", i)}, "statut": {[]string{"11", "13", "2", "22"}[i%4]},
				"smsID": {fmt.Sprintf("FLOOD%06d", i)}, "date_reception": {at.Format("2006-01-02 15:04:05")},
				"refClient": {fmt.Sprintf("ref-%d", i)},
			}
			dr, err := smsmode.ParseDeliveryReport(v, paris)
			require.NoError(t, err)
			c = cb{kind: webhook.KindDelivery, params: v, want: http.StatusOK, id: tasks.DeliveryEventID(tasks.DeliveryPayload{SMSID: dr.SMSID, To: dr.Number, Status: int(dr.Status), ReceivedAt: dr.ReceivedAt})}
		}
		uniq = append(uniq, c)
		all = append(all, c)
	}
	for i := range repeats {
		c := uniq[rng.IntN(len(uniq))]
		v := url.Values{}
		for k, vs := range c.params {
			v[k] = slices.Clone(vs)
		}
		if i%2 == 0 { // the same instant in the other callback date format
			at, err := time.ParseInLocation("2006-01-02 15:04:05", v.Get("date_reception"), paris)
			require.NoError(t, err)
			v.Set("date_reception", at.Format("02012006-150405"))
		}
		c.params, c.post = v, i%3 == 0
		all = append(all, c)
	}
	breakers := []func(v url.Values){
		func(v url.Values) { v.Del("statut") },
		func(v url.Values) { v.Set("statut", "onze") },
		func(v url.Values) { v.Set("date_reception", "hier soir") },
		func(v url.Values) { v.Set("numero", "not-a-number") },
		func(v url.Values) { v.Del("smsID") },
	}
	for i := range malformed {
		v := url.Values{
			"numero": {fmt.Sprintf("336%08d", 90_000_000+i)}, "statut": {"11"},
			"smsID": {fmt.Sprintf("BAD%06d", i)}, "date_reception": {day.Format("2006-01-02 15:04:05")},
		}
		breakers[i%len(breakers)](v)
		all = append(all, cb{kind: webhook.KindDelivery, params: v, want: http.StatusBadRequest})
	}
	rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	require.Len(t, all, total)

	hc := &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: concurrency, MaxConnsPerHost: concurrency},
	}
	defer hc.CloseIdleConnections()
	type result struct {
		status  int
		latency time.Duration
		err     error
	}
	results := make([]result, total)
	jobs := make(chan int)
	var wg sync.WaitGroup
	floodStart := time.Now()
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				c := all[i]
				var req *http.Request
				var err error
				if c.post {
					req, err = http.NewRequest(http.MethodPost, base+c.kind, strings.NewReader(c.params.Encode()))
					if err == nil {
						req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					}
				} else {
					req, err = http.NewRequest(http.MethodGet, base+c.kind+"?"+c.params.Encode(), nil)
				}
				if err != nil {
					results[i] = result{err: err}
					continue
				}
				start := time.Now()
				resp, err := hc.Do(req)
				if err != nil {
					results[i] = result{err: err, latency: time.Since(start)}
					continue
				}
				resp.Body.Close()
				results[i] = result{status: resp.StatusCode, latency: time.Since(start)}
			}
		}()
	}
	for i := range all {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	floodTime := time.Since(floodStart)

	statuses := map[int]int{}
	var wrong []string
	var lat []time.Duration
	for i, r := range results {
		require.NoError(t, r.err, "callback %d", i)
		statuses[r.status]++
		lat = append(lat, r.latency)
		if r.status != all[i].want && len(wrong) < 10 {
			wrong = append(wrong, fmt.Sprintf("%s %v: got %d, want %d", all[i].kind, all[i].params, r.status, all[i].want))
		}
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))] }

	ainsp := asynq.NewInspector(srv.ConnOpt())
	defer ainsp.Close()
	stored := func() (*asynq.QueueInfo, int) {
		info := queueCounts(t, ainsp, tasks.QueueEvents)
		// Not info.Size: asynq v0.26 counts completed tasks in it, contrary to its doc.
		return info, info.Pending + info.Active + info.Scheduled + info.Retry + info.Archived + info.Aggregating + info.Completed
	}
	infoNow, tasksNow := stored()

	// The worker drains the events queue.
	var drained time.Duration
	drainStart := time.Now()
	require.Eventually(t, func() bool {
		info, _ := stored()
		return info.Completed+info.Archived >= unique && info.Pending+info.Active+info.Retry+info.Scheduled == 0
	}, 3*time.Minute, 250*time.Millisecond, "the events queue was not drained")
	drained = time.Since(drainStart)
	infoEnd, tasksEnd := stored()

	// Exactly the expected IDs.
	missing := 0
	for _, c := range uniq {
		if _, err := ainsp.GetTaskInfo(tasks.QueueEvents, c.id); err != nil {
			missing++
		}
	}

	// The receiver's own count of outcomes (/metrics).
	outcomes := callbackOutcomes(t, addr)
	fig(t, "receiver outcomes (/metrics)", "stored %d, duplicate %d, invalid %d, unavailable %d",
		outcomes["stored"], outcomes["duplicate"], outcomes["invalid"], outcomes["unavailable"])
	fig(t, "callbacks", "%d sent, %d concurrent: %d distinct valid (%d replies), %d repeats, %d malformed", total, concurrency, unique, unique/10, repeats, malformed)
	fig(t, "answers", "200: %d, 400: %d, other: %d", statuses[200], statuses[400], total-statuses[200]-statuses[400])
	fig(t, "flood throughput", "%.0f callbacks/s (%v for %d)", float64(total)/floodTime.Seconds(), floodTime.Round(time.Millisecond), total)
	fig(t, "callback latency", "p50 %v, p95 %v, p99 %v, max %v", pct(.50).Round(100*time.Microsecond), pct(.95).Round(100*time.Microsecond), pct(.99).Round(100*time.Microsecond), lat[len(lat)-1].Round(time.Millisecond))
	fig(t, "follow-up tasks right after the flood", "%d (pending %d, active %d, retry %d, archived %d, completed %d)", tasksNow, infoNow.Pending, infoNow.Active, infoNow.Retry, infoNow.Archived, infoNow.Completed)
	fig(t, "follow-up tasks once drained", "%d (completed %d, archived %d), drained %v after the flood", tasksEnd, infoEnd.Completed, infoEnd.Archived, drained.Round(100*time.Millisecond))
	fig(t, "expected task IDs missing", "%d", missing)
	fig(t, "duration", "%v", time.Since(started).Round(time.Second))

	require.Empty(t, wrong, "unexpected answers")
	require.Equal(t, unique+repeats, statuses[200])
	require.Equal(t, malformed, statuses[400])
	require.Equal(t, unique, tasksNow, "follow-up tasks = distinct valid callbacks")
	require.Equal(t, unique, tasksEnd, "follow-up tasks = distinct valid callbacks")
	require.Zero(t, missing)
	require.Zero(t, infoEnd.Archived, "archived follow-up tasks")
	require.Equal(t, unique, outcomes["stored"])
	require.Equal(t, repeats, outcomes["duplicate"])
	require.Equal(t, malformed, outcomes["invalid"])
}

// callbackOutcomes sums smsq_callbacks_received_total by outcome.
func callbackOutcomes(t *testing.T, addr string) map[string]int {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	out := map[string]int{}
	for _, line := range strings.Split(string(body), "\n") {
		if !strings.HasPrefix(line, "smsq_callbacks_received_total{") {
			continue
		}
		_, rest, _ := strings.Cut(line, `outcome="`)
		outcome, rest, _ := strings.Cut(rest, `"`)
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		require.NoError(t, err, line)
		out[outcome] += int(v)
	}
	return out
}
