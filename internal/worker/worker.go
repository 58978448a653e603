// Package worker assembles the long-running smsq process: the asynq server
// running the send and event handlers, and the HTTP server for health,
// webhooks, metrics and the web UI. cmd/worker only calls it.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"

	"github.com/smsq/smsq/internal/config"
	"github.com/smsq/smsq/internal/metrics"
	"github.com/smsq/smsq/internal/monitoring"
	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/tasks/handler"
	"github.com/smsq/smsq/tasks/store"
	"github.com/smsq/smsq/webhook"
)

// Role says which parts a process runs, so that one image can be deployed as
// task pods and as webhook-only pods.
type Role string

// Roles.
const (
	RoleAll      Role = "all"      // tasks and webhooks
	RoleTasks    Role = "tasks"    // the task server; no webhook routes
	RoleWebhooks Role = "webhooks" // webhook routes only; no task processing
)

// ParseRole parses "all", "tasks" or "webhooks" ("" is all).
func ParseRole(s string) (Role, error) {
	switch Role(s) {
	case "", RoleAll:
		return RoleAll, nil
	case RoleTasks, RoleWebhooks:
		return Role(s), nil
	}
	return "", fmt.Errorf("role %q: want all, tasks or webhooks", s)
}

// CreditRefreshInterval is how often credit.do is read for the credit gauge.
const CreditRefreshInterval = 5 * time.Minute

// Worker is one smsq process.
type Worker struct {
	cfg     *config.Config
	role    Role
	log     *slog.Logger
	rdb     redis.UniversalClient
	client  *smsmode.Client
	server  *asynq.Server // nil for RoleWebhooks
	mux     *asynq.ServeMux
	insp    *asynq.Inspector
	metrics *metrics.Metrics
	http    *http.Server
	ln      net.Listener
	listen  chan struct{} // closed once ln is set
	ready   chan struct{} // closed once the task server runs
}

// New builds a worker from cfg. It opens no connection yet.
func New(cfg *config.Config, role Role, logger *slog.Logger) (*Worker, error) {
	if role != RoleWebhooks {
		if err := cfg.RequireProvider(); err != nil {
			return nil, err
		}
	}
	if role == RoleWebhooks && cfg.WebhookSecret == "" {
		return nil, errors.New("config: WEBHOOK_SECRET is required for the webhooks role")
	}
	if cfg.EventsForwardURL != "" && cfg.EventsSigningSecret == "" {
		return nil, errors.New("config: EVENTS_SIGNING_SECRET is required when EVENTS_FORWARD_URL is set")
	}
	// One Redis client for everything in the process: asynq's server,
	// inspector and client, the ledger, the limiter, the web UI.
	rdb, err := cfg.RedisClient()
	if err != nil {
		return nil, err
	}
	var client *smsmode.Client
	if role != RoleWebhooks { // webhook pods never call the provider
		if client, err = NewProviderClient(cfg); err != nil {
			return nil, err
		}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	w := &Worker{
		cfg: cfg, role: role, log: logger, rdb: rdb, client: client,
		insp:    asynq.NewInspectorFromRedisClient(rdb),
		metrics: metrics.New(reg),
		listen:  make(chan struct{}),
		ready:   make(chan struct{}),
	}
	reg.MustRegister(metrics.NewQueueCollector(w.insp, logger))

	if role != RoleWebhooks {
		ts, err := NewTaskStack(cfg, rdb, client, w.metrics, logger)
		if err != nil {
			return nil, err
		}
		w.mux = ts.Mux
		w.server = asynq.NewServerFromRedisClient(rdb, ts.Config)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(rw http.ResponseWriter, _ *http.Request) { rw.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", w.readyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	if cfg.MonitoringPassword != "" {
		ui, err := monitoring.New(monitoring.Options{
			Redis: rdb, User: cfg.MonitoringUser, Password: cfg.MonitoringPassword,
			ReadOnly: cfg.MonitoringReadOnly, Logger: logger, Registerer: reg,
		})
		if err != nil {
			return nil, err
		}
		mux.Handle(monitoring.Path+"/", ui)
	}
	if cfg.WebhookSecret != "" && role != RoleTasks {
		enq, err := tasks.NewEnqueuer(rdb, cfg.TaskOptions())
		if err != nil {
			return nil, err
		}
		ledger, err := store.NewLedger(rdb, store.DefaultLedgerTTL)
		if err != nil {
			return nil, err
		}
		wh, err := webhook.New(webhook.Config{
			Secret:   cfg.WebhookSecret,
			Enqueuer: enq,
			Ledger:   ledger,
			Location: cfg.Timezone.Location,
			Logger:   logger,
			Observe: func(kind, outcome string) {
				w.metrics.Callbacks.WithLabelValues(kind, outcome).Inc()
			},
		})
		if err != nil {
			return nil, err
		}
		mux.Handle(webhook.PathPrefix, wh)
	}
	w.http = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second, // slow clients cannot hold connections open
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       90 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	return w, nil
}

// NewProviderClient returns the sMsmode client of cfg.
func NewProviderClient(cfg *config.Config) (*smsmode.Client, error) {
	client, err := smsmode.NewClient(smsmode.Config{
		BaseURL:     cfg.SmsmodeBaseURL,
		AccessToken: cfg.SmsmodeAccessToken,
		Pseudo:      cfg.SmsmodePseudo,
		Pass:        cfg.SmsmodePass,
		Location:    cfg.Timezone.Location,
		Timeout:     cfg.Timeout,
	})
	if err != nil {
		return nil, fmt.Errorf("config: SMSMODE_BASE_URL: %w", err)
	}
	return client, nil
}

// TaskStack is what a task pod runs: the asynq server's configuration and
// the handler mux with its middlewares. Benchmarks build it to measure
// exactly the production handler stack without the HTTP side.
type TaskStack struct {
	Config asynq.Config
	Mux    *asynq.ServeMux
}

// NewTaskStack builds the task server of cfg as New does: the logging and
// metrics middlewares, the send handlers calling provider through the
// metrics wrapper, the event handlers, the retry policy and the poll
// intervals. Its counters go to m; it opens no connection. tune, for tests,
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
	sc := handler.SenderConfig{
		Provider: metrics.Provider{Next: provider, Metrics: m},
		Ledger:   ledger,
		Region:   cfg.DefaultRegion,
		Location: cfg.Timezone.Location,
		Observer: metrics.Observer{Metrics: m},
	}
	if cfg.Rate > 0 {
		sc.Limiter = handler.NewRedisLimiter(rdb, cfg.Rate)
	}
	if cfg.WebhookPublicURL != "" && cfg.WebhookSecret != "" {
		sc.NotificationURL = webhook.DeliveryURL(cfg.WebhookPublicURL, cfg.WebhookSecret)
		sc.ReplyURL = webhook.ReplyURL(cfg.WebhookPublicURL, cfg.WebhookSecret)
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
	return &TaskStack{Mux: mux, Config: asynq.Config{
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
	}}, nil
}

func (w *Worker) readyz(rw http.ResponseWriter, r *http.Request) {
	select {
	case <-w.ready:
	default:
		http.Error(rw, "starting", http.StatusServiceUnavailable)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := w.rdb.Ping(ctx).Err(); err != nil {
		http.Error(rw, "redis unreachable", http.StatusServiceUnavailable)
		return
	}
	if w.server != nil {
		if err := w.server.Ping(); err != nil {
			http.Error(rw, "task server not running", http.StatusServiceUnavailable)
			return
		}
	}
	rw.Write([]byte("ready\n"))
}

// Addr is the HTTP listener's address once Run has started listening ("" before).
func (w *Worker) Addr() string {
	select {
	case <-w.listen:
		return w.ln.Addr().String()
	default:
		return ""
	}
}

// Run serves until ctx is done, then drains: in-flight tasks get
// SHUTDOWN_TIMEOUT to finish and the rest go back to their queues.
func (w *Worker) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", w.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("HTTP_ADDR %s: %w", w.cfg.HTTPAddr, err)
	}
	w.ln = ln
	close(w.listen)
	httpErr := make(chan error, 1)
	go func() { httpErr <- w.http.Serve(ln) }()

	bg, stopBG := context.WithCancel(context.Background())
	defer stopBG()
	if w.server != nil {
		if err := w.server.Start(w.mux); err != nil {
			w.http.Close()
			return fmt.Errorf("start task server: %w", err)
		}
		go metrics.RefreshCredit(bg, w.metrics, w.client, CreditRefreshInterval, w.log)
	}
	close(w.ready)
	w.log.Info("worker started", slog.String("role", string(w.role)), slog.Any("config", w.cfg), slog.String("http_addr", ln.Addr().String()))

	select {
	case <-ctx.Done():
	case err := <-httpErr:
		if w.server != nil {
			w.server.Shutdown()
		}
		return fmt.Errorf("http server: %w", err)
	}
	w.log.Info("shutting down", slog.Duration("grace", w.cfg.ShutdownTimeout))
	stopBG()
	if w.server != nil {
		w.server.Shutdown() // waits up to ShutdownTimeout, then re-queues what is left
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.http.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		w.log.Warn("http shutdown", slog.String("error", err.Error()))
	}
	w.rdb.Close()
	w.log.Info("worker stopped")
	return nil
}
