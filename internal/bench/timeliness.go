package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hibiken/asynq"

	"github.com/smsq/smsq/internal/loadgen"
	"github.com/smsq/smsq/tasks"
)

// --- 8. timeliness ---------------------------------------------------------
//
// An OTP must not be held up by a campaign: OTPs on critical, one at a time,
// from Send to the provider receiving the request, on an idle worker and
// while a campaign drains on low, with and without the critical lane; and
// what the OTPs and the lane cost the campaign.

// Provider latencies of the scenario (the reviewer's measurements of issue 10).
const (
	smsLatency   = 60 * time.Millisecond   // sendSMS.do
	batchLatency = 1500 * time.Millisecond // sendSMSBatch.do of a 1,000-row chunk
	tlRate       = 20                      // SMSMODE_RATE of the rate-limited campaign
	otpPrefix    = "otp-"                  // task IDs (hence refClient) of the OTPs

	// The OTPs' pace: 10/s beside the batch, 2/s (a tenth of the budget)
	// beside the rate-limited campaign.
	batchOTPEvery = 100 * time.Millisecond
	ratedOTPEvery = 500 * time.Millisecond
)

// slowProvider is the fake behind a proxy that spends each endpoint's
// latency before passing the request on (as the fake's own latency does),
// and records when requests arrive: each OTP's, and the campaign's first
// arrival, last arrival and last answer.
type slowProvider struct {
	URL     string
	srv     *httptest.Server
	proxy   *httputil.ReverseProxy
	latency map[string]time.Duration

	mu        sync.Mutex
	otps      map[string]chan time.Time // refClient → its arrival
	want      int                       // campaign requests to answer
	answered  int
	first     time.Time // first campaign arrival
	lastIn    time.Time // last campaign arrival
	lastOut   time.Time // last campaign answer
	drained   chan struct{}
	campaignN int         // campaign requests received
	times     []time.Time // their arrivals
}

func newSlowProvider(fakeURL string, latency map[string]time.Duration) (*slowProvider, error) {
	u, err := url.Parse(fakeURL)
	if err != nil {
		return nil, err
	}
	p := &slowProvider{latency: latency, otps: map[string]chan time.Time{}}
	p.proxy = httputil.NewSingleHostReverseProxy(&url.URL{Scheme: u.Scheme, Host: u.Host})
	p.proxy.Transport = &http.Transport{Proxy: nil, MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: 90 * time.Second}
	p.srv = httptest.NewServer(p)
	p.URL = p.srv.URL + u.Path
	return p, nil
}

func (p *slowProvider) Close() { p.srv.Close() }

// expect returns a channel receiving the arrival time of the OTP with ref.
func (p *slowProvider) expect(ref string) <-chan time.Time {
	ch := make(chan time.Time, 1)
	p.mu.Lock()
	p.otps[ref] = ch
	p.mu.Unlock()
	return ch
}

// campaign starts counting a campaign of n requests; the returned channel
// is closed once the n-th is answered.
func (p *slowProvider) campaign(n int) <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.want, p.answered, p.campaignN = n, 0, 0
	p.first, p.lastIn, p.lastOut = time.Time{}, time.Time{}, time.Time{}
	p.times = make([]time.Time, 0, n)
	p.drained = make(chan struct{})
	if n == 0 {
		close(p.drained)
	}
	return p.drained
}

func (p *slowProvider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	arrived := time.Now()
	endpoint := path.Base(r.URL.Path)
	campaign := endpoint == "sendSMSBatch.do"
	if endpoint == "sendSMS.do" {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		if ref := form.Get("refClient"); strings.HasPrefix(ref, otpPrefix) {
			p.mu.Lock()
			ch := p.otps[ref]
			delete(p.otps, ref)
			p.mu.Unlock()
			if ch != nil {
				ch <- arrived
			}
		} else {
			campaign = true
		}
	}
	if campaign {
		p.mu.Lock()
		if p.first.IsZero() {
			p.first = arrived
		}
		p.lastIn = arrived
		p.campaignN++
		p.times = append(p.times, arrived)
		p.mu.Unlock()
	}
	if d := p.latency[endpoint]; d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	sw := &statusWriter{ResponseWriter: w}
	p.proxy.ServeHTTP(sw, r)
	if campaign && sw.status == http.StatusOK {
		p.mu.Lock()
		p.answered++
		p.lastOut = time.Now()
		if p.answered == p.want {
			close(p.drained)
		}
		p.mu.Unlock()
	}
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// tlRun is one worker process measured: its settings, its campaign and
// whether OTPs flow.
type tlRun struct {
	name     string
	env      []string // on top of the defaults
	lane     bool     // expect the critical lane's server
	campaign string   // "", "batch" or "single"
	otpEvery time.Duration
	otps     int // with no campaign: how many OTPs
}

// tlResult is what a run measured.
type tlResult struct {
	otp              []time.Duration // sorted
	campaignN        int
	drain            time.Duration // first campaign arrival → last answer
	arrivals         time.Duration // first → last campaign arrival
	campaignRequests int           // received by the provider
	steady           float64       // requests per second between the 10th and the 90th percentile of arrivals
}

func (r tlResult) drainRate() float64 { return rate(r.campaignN, r.drain) }

// arrivalRate is the campaign's request rate as the provider saw it.
func (r tlResult) arrivalRate() float64 {
	if r.campaignN < 2 {
		return 0
	}
	return float64(r.campaignN-1) / r.arrivals.Seconds()
}

func (r tlResult) p(q float64) time.Duration { return loadgen.Quantile(r.otp, q) }

func (e *env) timeliness(ctx context.Context) ([]Row, error) {
	fake := newFake()
	defer fake.Close()
	prov, err := newSlowProvider(fake.URL, map[string]time.Duration{"sendSMS.do": smsLatency, "sendSMSBatch.do": batchLatency})
	if err != nil {
		return nil, err
	}
	defer prov.Close()

	chunks := e.n(300, 10)
	sends := e.n(3_000, 100)
	noLane := []string{"CRITICAL_CONCURRENCY=0"}
	rated := fmt.Sprintf("SMSMODE_RATE=%d", tlRate)
	runs := []tlRun{
		{name: "idle", lane: true, otpEvery: batchOTPEvery, otps: e.n(300, 30)},
		{name: "batch alone", lane: true, campaign: "batch"},
		{name: "batch + OTPs", lane: true, campaign: "batch", otpEvery: batchOTPEvery},
		{name: "batch + OTPs, no lane", env: noLane, campaign: "batch", otpEvery: batchOTPEvery},
		{name: "rated alone", env: []string{rated}, lane: true, campaign: "single"},
		{name: "rated + OTPs", env: []string{rated}, lane: true, campaign: "single", otpEvery: ratedOTPEvery},
		{name: "rated + OTPs, no lane", env: []string{rated, noLane[0]}, campaign: "single", otpEvery: ratedOTPEvery},
	}
	res := map[string]tlResult{}
	for i, run := range runs {
		n := 0
		switch run.campaign {
		case "batch":
			n = chunks
		case "single":
			n = sends
		}
		r, err := e.timelinessRun(ctx, prov, run, i, n)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", run.name, err)
		}
		e.progress("timeliness %s: %d OTPs p50 %s p99 %s max %s; campaign %d in %s (%.2f/s, arrivals %.2f/s, steady %.2f/s)",
			run.name, len(r.otp), ms(r.p(0.5)), ms(r.p(0.99)), ms(r.p(1)), r.campaignN, r.drain.Round(time.Millisecond), r.drainRate(), r.arrivalRate(), r.steady)
		res[run.name] = r
	}

	idle := res["idle"]
	otpRow := func(scenario, during string, every time.Duration, with, without string) Row {
		w, wo := res[with], res[without]
		ratio := float64(w.p(0.99)) / float64(idle.p(0.99))
		ok := ratio <= 2 && w.p(0.99) <= 60*time.Millisecond
		return Row{
			Scenario: scenario,
			Workload: fmt.Sprintf("%d OTPs on `critical`, one at a time (at most one every %s), during %s; defaults (WORKER_CONCURRENCY 20, CRITICAL_CONCURRENCY 5, SMSMODE_RATE_RESERVE 2); Send called → the provider received the request", len(w.otp), every, during),
			Smsq:     fmt.Sprintf("p50 %s, p99 %s", ms(w.p(0.5)), ms(w.p(0.99))),
			Reference: fmt.Sprintf("idle worker: p50 %s, p99 %s (%d OTPs); CRITICAL_CONCURRENCY=0: p50 %s, p99 %s",
				ms(idle.p(0.5)), ms(idle.p(0.99)), len(idle.otp), ms(wo.p(0.5)), ms(wo.p(0.99))),
			Ratio:   fmt.Sprintf("%.2f × idle p99", ratio),
			Target:  "p99 ≤ 2 × idle p99 and ≤ 60 ms",
			Verdict: verdict(ok),
		}
	}
	ba, bo, bn := res["batch alone"], res["batch + OTPs"], res["batch + OTPs, no lane"]
	ra, ro, rn := res["rated alone"], res["rated + OTPs"], res["rated + OTPs, no lane"]
	return []Row{
		otpRow("8a. OTP during a batch campaign",
			fmt.Sprintf("%d batch chunks of 1,000 rows on `low` (fake: sendSMSBatch.do %s, sendSMS.do %s)", chunks, batchLatency, smsLatency),
			batchOTPEvery, "batch + OTPs", "batch + OTPs, no lane"),
		otpRow("8b. OTP during a rate-limited campaign",
			fmt.Sprintf("%s single sends on `low` with SMSMODE_RATE=%d (fake: sendSMS.do %s)", num(float64(sends)), tlRate, smsLatency),
			ratedOTPEvery, "rated + OTPs", "rated + OTPs, no lane"),
		{
			Scenario: "8c. batch campaign drain",
			Workload: fmt.Sprintf("the %d chunks above, first request → last answer at the provider; OTPs every %s", chunks, batchOTPEvery),
			Smsq:     fmt.Sprintf("with OTPs: %.2f chunks/s (alone: %.2f)", bo.drainRate(), ba.drainRate()),
			Reference: fmt.Sprintf("CRITICAL_CONCURRENCY=0 with OTPs: %.2f chunks/s; ideal %.2f (20 slots ÷ %s)",
				bn.drainRate(), 20/batchLatency.Seconds(), batchLatency),
			Ratio:   fmt.Sprintf("%.2f", bo.drainRate()/bn.drainRate()),
			Target:  "≥ 0.95 × without lanes",
			Verdict: verdict(bo.drainRate() >= 0.95*bn.drainRate()),
		},
		{
			Scenario:  "8d. rate-limited campaign alone",
			Workload:  fmt.Sprintf("the %s sends above, no OTP: requests per second the provider received, in steady state (between the 10th and the 90th percentile of arrivals)", num(float64(sends))),
			Smsq:      fmt.Sprintf("%.2f requests/s (first → last: %.2f)", ra.steady, ra.arrivalRate()),
			Reference: fmt.Sprintf("SMSMODE_RATE=%d", tlRate),
			Ratio:     fmt.Sprintf("%.3f", ra.steady/tlRate),
			Target:    "≥ 0.95 × SMSMODE_RATE",
			Verdict:   verdict(ra.steady >= 0.95*tlRate),
		},
		{
			Scenario: "8e. rate-limited campaign with OTPs",
			Workload: fmt.Sprintf("the %s sends above, OTPs every %s sharing the budget; first request → last answer", num(float64(sends)), ratedOTPEvery),
			Smsq:     fmt.Sprintf("%.2f sends/s (%d OTPs)", ro.drainRate(), len(ro.otp)),
			Reference: fmt.Sprintf("CRITICAL_CONCURRENCY=0: %.2f sends/s (%d OTPs); alone %.2f",
				rn.drainRate(), len(rn.otp), ra.drainRate()),
			Ratio:   fmt.Sprintf("%.2f", ro.drainRate()/rn.drainRate()),
			Target:  "≥ 0.95 × without lanes",
			Verdict: verdict(ro.drainRate() >= 0.95*rn.drainRate()),
		},
	}, nil
}

// timelinessRun enqueues the run's campaign of n tasks, starts the worker
// binary against prov and measures.
func (e *env) timelinessRun(ctx context.Context, prov *slowProvider, run tlRun, idx, n int) (tlResult, error) {
	if err := e.flush(ctx); err != nil {
		return tlResult{}, err
	}
	enq, err := e.enqueuer()
	if err != nil {
		return tlResult{}, err
	}
	switch run.campaign {
	case "batch":
		rows := make([]tasks.BatchRow, n*1000)
		for i := range rows {
			rows[i] = tasks.BatchRow{To: fmt.Sprintf("06%08d", 12_000_000+i), Message: fmt.Sprintf("Bonjour client %d : votre commande est prête", i)}
		}
		if _, err := enq.Batch(ctx, tasks.BatchPayload{Rows: rows}, tasks.WithTaskID(fmt.Sprintf("camp%d", idx))); err != nil {
			return tlResult{}, err
		}
	case "single":
		if _, err := e.enqueueSends(ctx, n, fmt.Sprintf("camp%d", idx), tasks.QueueLow); err != nil {
			return tlResult{}, err
		}
	}
	drained := prov.campaign(n)

	stop, err := e.startTimelinessWorker(ctx, prov.URL, run, idx)
	if err != nil {
		return tlResult{}, err
	}
	defer stop()

	var res tlResult
	switch {
	case run.campaign == "" && run.otps > 0:
		res.otp, err = e.flowOTPs(ctx, enq, prov, idx, run.otpEvery, run.otps, nil)
	case run.otpEvery > 0:
		res.otp, err = e.flowOTPs(ctx, enq, prov, idx, run.otpEvery, 0, drained)
	}
	if err != nil {
		return tlResult{}, err
	}
	select {
	case <-drained:
	case <-time.After(10 * time.Minute):
		return tlResult{}, fmt.Errorf("the campaign did not drain in 10 minutes")
	case <-ctx.Done():
		return tlResult{}, ctx.Err()
	}
	prov.mu.Lock()
	res.campaignN, res.campaignRequests = n, prov.campaignN
	res.drain, res.arrivals = prov.lastOut.Sub(prov.first), prov.lastIn.Sub(prov.first)
	if times := prov.times; len(times) >= 10 {
		slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
		i, j := len(times)/10, len(times)*9/10
		res.steady = float64(j-i) / times[j].Sub(times[i]).Seconds()
	}
	prov.mu.Unlock()
	if res.campaignRequests != n {
		return tlResult{}, fmt.Errorf("the provider got %d campaign requests for %d tasks", res.campaignRequests, n)
	}
	return res, nil
}

// startTimelinessWorker runs the worker binary (role tasks) with the run's
// settings and waits until its servers are up; the returned func stops it.
func (e *env) startTimelinessWorker(ctx context.Context, baseURL string, run tlRun, idx int) (func(), error) {
	w, err := e.startWorker(fmt.Sprintf("timeliness-%d.log", idx), append([]string{"SMSMODE_BASE_URL=" + baseURL}, run.env...)...)
	if err != nil {
		return nil, err
	}
	want := 1
	if run.lane {
		want = 2
	}
	insp := asynq.NewInspectorFromRedisClient(e.rdb)
	deadline := time.After(30 * time.Second)
	for {
		servers, err := insp.Servers()
		up := 0
		for _, s := range servers {
			if err == nil && s.PID == w.pid() {
				up++
			}
		}
		if up == want {
			return w.stop, nil
		}
		select {
		case <-w.done:
			w.log.Close()
			return nil, w.exitError("worker exited")
		case <-deadline:
			w.stop()
			return nil, fmt.Errorf("worker: %d of %d asynq servers up after 30 s", up, want)
		case <-ctx.Done():
			w.stop()
			return nil, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// flowOTPs sends OTPs on critical one at a time, one every `every` at most,
// and returns their sorted latencies, Send called → the provider received
// the request: count of them, or until until is closed.
func (e *env) flowOTPs(ctx context.Context, enq *tasks.Enqueuer, prov *slowProvider, run int, every time.Duration, count int, until <-chan struct{}) ([]time.Duration, error) {
	var lat []time.Duration
	tick := time.NewTicker(every)
	defer tick.Stop()
	for i := 0; count == 0 || i < count; i++ {
		id := fmt.Sprintf("%s%d-%d", otpPrefix, run, i)
		arrived := prov.expect(id)
		start := time.Now()
		if _, err := enq.Send(ctx, otpPayload(i), tasks.WithTaskID(id), tasks.WithQueue(tasks.QueueCritical)); err != nil {
			return nil, err
		}
		select {
		case at := <-arrived:
			lat = append(lat, at.Sub(start))
		case <-time.After(30 * time.Second):
			return nil, fmt.Errorf("OTP %s not at the provider after 30 s", id)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		select {
		case <-tick.C:
		case <-until:
			slices.Sort(lat)
			return lat, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	slices.Sort(lat)
	return lat, nil
}
