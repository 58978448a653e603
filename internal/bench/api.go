package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/smsq/smsq/internal/config"
	"github.com/smsq/smsq/internal/loadgen"
	"github.com/smsq/smsq/tasks"
)

// apiClients is how many clients post at once: the Go producer's
// concurrency in the same scenario.
const apiClients = 50

// --- 7. HTTP API -------------------------------------------------------------

// httpAPI posts distinct sends to the worker's HTTP API (role webhooks,
// production logging and metrics) from apiClients clients over loopback,
// and in the same rounds enqueues the same sends with tasks.Enqueuer.Send
// from as many goroutines (enqueue alone), and posts the same bodies to a
// server that answers at once (HTTP alone): the two bounds of the API.
func (e *env) httpAPI(ctx context.Context) (Row, error) {
	n := e.n(20_000, 1_000)
	const token = "bench-api-token-2f7c9e1a4b6d"
	cfg, err := e.workerConfig("http://127.0.0.1:1/unused/")
	if err != nil {
		return Row{}, err
	}
	cfg.WebhookSecret = config.Secrets{"bench-webhook-secret"}
	cfg.APITokens = config.APITokens{{Name: "bench", Token: token}}
	addr, stop, err := e.startHTTPWorker(ctx, cfg, "the API")
	if err != nil {
		return Row{}, err
	}
	defer stop()
	url := "http://" + addr + "/v1/sms"
	hc := loopbackClient(apiClients)
	defer hc.CloseIdleConnections()
	enq, err := e.enqueuer()
	if err != nil {
		return Row{}, err
	}
	floorSrv, floorURL, err := serveEmpty()
	if err != nil {
		return Row{}, err
	}
	defer floorSrv.Close()

	post := func(target string, want int, round int) func(i int) error {
		return func(i int) error {
			body, err := json.Marshal(otpPayload(round*n + i))
			if err != nil {
				return err
			}
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
			if err != nil {
				return err
			}
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Idempotency-Key", fmt.Sprintf("http-%d-%d", round, i))
			resp, err := hc.Do(req)
			if err != nil {
				return err
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != want {
				return fmt.Errorf("POST /v1/sms: HTTP %d", resp.StatusCode)
			}
			return nil
		}
	}
	goAPI := func(round int) func(i int) error {
		return func(i int) error {
			_, err := enq.Send(ctx, otpPayload(round*n+i), tasks.WithTaskID(fmt.Sprintf("go-%d-%d", round, i)), tasks.WithQueue(tasks.QueueDefault))
			return err
		}
	}
	var (
		apiRates, goRates, floorRates []float64
		apiP99, goP99, floorP99       []time.Duration
	)
	for r := range e.opts.Rounds {
		order := []string{"go", "api", "floor"}
		if r%2 == 1 {
			order = []string{"api", "go", "floor"}
		}
		for _, which := range order {
			if err := e.flush(ctx); err != nil {
				return Row{}, err
			}
			body := goAPI(r)
			switch which {
			case "api":
				body = post(url, http.StatusAccepted, r)
			case "floor":
				body = post(floorURL, http.StatusOK, r)
			}
			lctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
			res, err := loadgen.Run(lctx, n, apiClients, body)
			cancel()
			if err != nil {
				return Row{}, fmt.Errorf("api %s: %w", which, err)
			}
			rt, p99 := res.Rate(), loadgen.Quantile(res.Latencies, 0.99)
			e.progress("api round %d %s: %s/s, p50 %s, p99 %s", r+1, which, num(rt), ms(loadgen.Quantile(res.Latencies, 0.5)), ms(p99))
			switch which {
			case "api":
				apiRates, apiP99 = append(apiRates, rt), append(apiP99, p99)
			case "go":
				goRates, goP99 = append(goRates, rt), append(goP99, p99)
			default:
				floorRates, floorP99 = append(floorRates, rt), append(floorP99, p99)
			}
		}
	}
	ar, gr, fr := median(apiRates), median(goRates), median(floorRates)
	ap99, gp99, fp99 := medianDuration(apiP99), medianDuration(goP99), medianDuration(floorP99)
	// Client, server and Redis share the machine's cores: a request costs
	// at least what HTTP alone and enqueue alone cost, one after the other.
	bound := 1 / (1/fr + 1/gr)
	return Row{
		Scenario: "7. HTTP API send",
		Workload: fmt.Sprintf("%s distinct POST /v1/sms (JSON, bearer token, Idempotency-Key) from %d clients over loopback to the worker's HTTP server (role webhooks); median of %d rounds", num(float64(n)), apiClients, e.opts.Rounds),
		Smsq:     fmt.Sprintf("%s sends/s (%s), p99 %s", num(ar), spread(apiRates), ms(ap99)),
		Reference: fmt.Sprintf("enqueue alone, tasks.Enqueuer.Send from %d goroutines: %s/s (%s), p99 %s; HTTP alone (same clients and bodies, handler answering 200 at once): %s requests/s, p99 %s; both in sequence on these cores, 1/(1/HTTP + 1/enqueue): %s/s (%.2f × Go API)",
			apiClients, num(gr), spread(goRates), ms(gp99), num(fr), ms(fp99), num(bound), bound/gr),
		Ratio:   fmt.Sprintf("%.2f", ar/gr),
		Target:  "≥ 0.5 × Go API, p99 ≤ 25 ms",
		Verdict: verdict(ar/gr >= 0.5 && ap99 <= 25*time.Millisecond),
	}, nil
}
