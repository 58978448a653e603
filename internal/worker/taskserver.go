package worker

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/smsq/smsq/internal/config"
	"github.com/smsq/smsq/internal/metrics"
	"github.com/smsq/smsq/tasks/handler"
	"github.com/smsq/smsq/tasks/store"
	"github.com/smsq/smsq/webhook"
)

// TaskStack is what a task pod runs: the asynq servers' configurations and
// the handler mux with its middlewares. Benchmarks build it to measure
// exactly the production handler stack without the HTTP side.
type TaskStack struct {
	Config asynq.Config // the main server: WORKER_QUEUES, WORKER_CONCURRENCY
	// Critical is the critical lane's server (see lanes.go): queue critical
	// alone, CRITICAL_CONCURRENCY slots, on the same Mux; nil without a lane.
	Critical *asynq.Config
	Mux      *asynq.ServeMux
}

// NewTaskStack builds the task servers of cfg as New does (the main one
// and, when cfg has one, the critical lane): the logging and metrics
// middlewares, the send handlers calling provider through the metrics
// wrapper, the rate budget, the event handlers, the retry policy and the
// poll intervals. Its counters go to m; it opens no connection. tune, for tests,
// adjusts the send handlers' configuration (a clock, a limiter).
func NewTaskStack(cfg *config.Config, rdb redis.UniversalClient, provider handler.Provider, m *metrics.Metrics, logger *slog.Logger, tune ...func(*handler.SenderConfig)) (*TaskStack, error) {
	ledger, err := store.NewLedger(rdb, store.DefaultLedgerTTL)
	if err != nil {
		return nil, err
	}
	recipients, err := store.NewRecipientStore(rdb, store.DefaultRecipientTTL)
	if err != nil {
		return nil, err
	}
	mux := asynq.NewServeMux()
	mux.Use(handler.Logging(logger), metrics.TaskOutcomes(m))
	caps, err := store.NewCaps(rdb)
	if err != nil {
		return nil, err
	}
	sc := handler.SenderConfig{
		Provider: metrics.Provider{Next: provider, Metrics: m},
		Ledger:   ledger,
		Region:   cfg.DefaultRegion,
		Location: cfg.Timezone.Location,
		Observer: metrics.Observer{Metrics: m},

		Marketing:        cfg.MarketingWindow(),
		AllowedCountries: cfg.AllowedCountries,
		DailyCap:         cfg.DailyCountryCap,
		Caps:             caps,
	}
	if cfg.Rate > 0 {
		sc.Limiter = handler.NewRedisLimiter(rdb, cfg.Rate, handler.WithReserve(cfg.RateReserve))
	}
	if cfg.WebhookPublicURL != "" && len(cfg.WebhookSecret) > 0 {
		// Each message's URLs name its task, so the receiver need not look
		// it up; always with the current secret (the first of WEBHOOK_SECRET).
		base, secret := cfg.WebhookPublicURL, cfg.WebhookSecret.Current()
		sc.NotificationURL = func(taskID string) string { return webhook.DeliveryURL(base, secret, taskID) }
		sc.ReplyURL = func(taskID string) string { return webhook.ReplyURL(base, secret, taskID) }
	}
	for _, f := range tune {
		f(&sc)
	}
	sender, err := handler.NewSender(sc)
	if err != nil {
		return nil, err
	}
	sender.Register(mux)

	ec := handler.EventConfig{Store: recipients, Ledger: ledger}
	if cfg.EventsForwardURL != "" {
		f, err := handler.NewForwarder(cfg.EventsForwardURL, cfg.EventsSigningSecret,
			handler.WithForwardObserver(func(typ string, err error) {
				outcome := "ok"
				if err != nil {
					outcome = "error"
				}
				m.EventsForwarded.WithLabelValues(typ, outcome).Inc()
			}))
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		ec.Forwarder = f
	}
	events, err := handler.NewEventHandler(ec)
	if err != nil {
		return nil, err
	}
	events.Register(mux)

	retry := handler.RetryPolicy{Base: cfg.RetryBaseDelay, Max: cfg.RetryMaxDelay}
	ts := &TaskStack{Mux: mux, Config: asynq.Config{
		Concurrency:     cfg.WorkerConcurrency,
		Queues:          map[string]int(cfg.WorkerQueues),
		RetryDelayFunc:  retry.Delay,
		IsFailure:       handler.IsFailure,
		ShutdownTimeout: cfg.ShutdownTimeout,
		Logger:          asynqLogger{logger},
		LogLevel:        asynq.WarnLevel,
		// asynq looks for new work every second by default when idle; an OTP
		// cannot wait that long. A 20 ms poll costs one cheap Lua call, and
		// is skipped while tasks keep coming.
		TaskCheckInterval: 20 * time.Millisecond,
		// Retries and rate-limited tasks come back within a second of their time.
		DelayedTaskCheckInterval: time.Second,
	}}
	ts.Critical = criticalLane(cfg, ts.Config)
	return ts, nil
}

// taskServer runs an asynq server on the process's Redis client.
type taskServer struct {
	name   string
	server *asynq.Server
	mux    *asynq.ServeMux
}

func newTaskServer(name string, rdb redis.UniversalClient, cfg asynq.Config, mux *asynq.ServeMux) *taskServer {
	return &taskServer{name: name, server: asynq.NewServerFromRedisClient(rdb, cfg), mux: mux}
}

func (s *taskServer) String() string { return s.name }

func (s *taskServer) start() error {
	if err := s.server.Start(s.mux); err != nil {
		return fmt.Errorf("start %s: %w", s.name, err)
	}
	return nil
}

// shutdown waits up to SHUTDOWN_TIMEOUT for in-flight tasks, then puts the
// rest back in their queues.
func (s *taskServer) shutdown() { s.server.Shutdown() }

func (s *taskServer) ready() error {
	if err := s.server.Ping(); err != nil {
		return fmt.Errorf("%s not running", s.name)
	}
	return nil
}
