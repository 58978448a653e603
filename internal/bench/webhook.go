package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/smsq/smsq/internal/config"
	"github.com/smsq/smsq/internal/loadgen"
	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/webhook"
)

// --- 4. webhook ------------------------------------------------------------

// webhookClients is how many clients post callbacks at once.
const webhookClients = 50

// webhook sends distinct delivery callbacks to the worker's HTTP server
// (role webhooks) from webhookClients clients, and in the same rounds
// stores the same follow-up tasks with asynq.Client.Enqueue (enqueue alone)
// and sends the same requests to a server that answers at once (HTTP
// alone): the floor of a receiver is both in sequence.
func (e *env) webhook(ctx context.Context) (Row, error) {
	n := e.n(20_000, 1_000)
	const secret = "bench-webhook-secret"
	cfg, err := e.workerConfig("http://127.0.0.1:1/unused/")
	if err != nil {
		return Row{}, err
	}
	cfg.WebhookSecret = config.Secrets{secret}
	addr, stop, err := e.startHTTPWorker(ctx, cfg, "the webhook receiver")
	if err != nil {
		return Row{}, err
	}
	defer stop()
	// The notification URL smsq gives each message: it names the send task,
	// so the receiver fills task_id without reading the ledger.
	base := "http://" + addr + webhook.PathPrefix + secret + "/delivery/"
	hc := loopbackClient(webhookClients)
	defer hc.CloseIdleConnections()
	client := asynq.NewClient(e.connOpt)
	defer client.Close()
	t0 := time.Date(2026, 7, 14, 10, 30, 0, 0, time.UTC)

	receiver := func(round int) func(i int) error {
		return func(i int) error { return loadgen.DeliveryCallback(hc, base, round*n+i) }
	}
	// The floor: the same follow-up task (payload size, ID, queue, options)
	// stored by asynq.Client.Enqueue directly.
	bare := func(round int) func(i int) error {
		return func(i int) error {
			p, id, err := loadgen.DeliveryEvent(round*n+i, t0)
			if err != nil {
				return err
			}
			_, err = client.EnqueueContext(ctx, asynq.NewTask(tasks.TypeDelivery, p),
				asynq.TaskID(id), asynq.Queue(tasks.QueueEvents),
				asynq.MaxRetry(cfg.MaxRetry), asynq.Retention(cfg.TaskRetention))
			return err
		}
	}
	// The ceiling of any HTTP receiver here: the same clients against a
	// handler that only answers 200 OK, on the same kind of server.
	floorSrv, floorURL, err := serveEmpty()
	if err != nil {
		return Row{}, err
	}
	defer floorSrv.Close()
	floor := func(round int) func(i int) error {
		return func(i int) error { return loadgen.DeliveryCallback(hc, floorURL, round*n+i) }
	}
	var (
		recvRates, bareRates, floorRates []float64
		recvP99, bareP99                 []time.Duration
	)
	for r := range e.opts.Rounds {
		for _, which := range []string{"bare", "receiver", "floor"} {
			if err := e.flush(ctx); err != nil {
				return Row{}, err
			}
			body := bare(r)
			switch which {
			case "receiver":
				body = receiver(r)
			case "floor":
				body = floor(r)
			}
			stopProfile := func() {}
			if which == "receiver" && r == 0 && e.opts.WebhookCPUProfile != "" {
				if stopProfile, err = startCPUProfile(e.opts.WebhookCPUProfile); err != nil {
					return Row{}, err
				}
			}
			lctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
			res, err := loadgen.Run(lctx, n, webhookClients, body)
			cancel()
			stopProfile()
			if err != nil {
				return Row{}, fmt.Errorf("webhook %s: %w", which, err)
			}
			rt, p99 := res.Rate(), loadgen.Quantile(res.Latencies, 0.99)
			e.progress("webhook round %d %s: %s/s, p99 %s", r+1, which, num(rt), ms(p99))
			switch which {
			case "bare":
				bareRates, bareP99 = append(bareRates, rt), append(bareP99, p99)
			case "receiver":
				recvRates, recvP99 = append(recvRates, rt), append(recvP99, p99)
			default:
				floorRates = append(floorRates, rt)
			}
		}
	}
	rr, br, hr := median(recvRates), median(bareRates), median(floorRates)
	// A receiver does the HTTP exchange and the enqueue one after the other,
	// so no receiver here beats 1/(1/HTTP alone + 1/enqueue alone).
	combined := 1 / (1/hr + 1/br)
	return Row{
		Scenario: "4. webhook",
		Workload: fmt.Sprintf("%s distinct delivery callbacks (GET, task in the path: no ledger look-up) from %d clients over loopback to the worker's HTTP server (role webhooks); median of %d rounds", num(float64(n)), webhookClients, e.opts.Rounds),
		Smsq:     fmt.Sprintf("%s callbacks/s (%s), p99 %s", num(rr), spread(recvRates), ms(medianDuration(recvP99))),
		Reference: fmt.Sprintf("floor 1/(1/HTTP + 1/enqueue) = %s/s, from bare asynq.Client.Enqueue: %s enqueues/s (%s), p99 %s, and HTTP alone (same clients, handler answering 200 at once): %s requests/s (%s)",
			num(combined), num(br), spread(bareRates), ms(medianDuration(bareP99)), num(hr), spread(floorRates)),
		Ratio:   fmt.Sprintf("%.2f", rr/combined),
		Target:  "≥ 0.8 × floor",
		Verdict: verdict(rr/combined >= 0.8),
	}, nil
}
