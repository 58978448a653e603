// Package worker assembles the long-running smsq process: the asynq servers
// running the send and event handlers, the background jobs, and the HTTP
// servers for health, webhooks, the producer API, metrics and the web UI.
// cmd/worker only calls it.
//
// Each part is a component with its own start and shutdown, wired in New
// and run by Run: started in order, stopped in reverse.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
	"github.com/smsq/smsq/tasks/store"
	"github.com/smsq/smsq/webhook"
)

// Role says which parts a process runs, so that one image can be deployed as
// task pods and as webhook-only pods.
type Role string

// Roles.
const (
	RoleAll      Role = "all"      // tasks and webhooks
	RoleTasks    Role = "tasks"    // the task servers; no webhook routes
	RoleWebhooks Role = "webhooks" // webhook routes (and the producer API) only; no task processing
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

// component is a part of the process with a start and a shutdown.
type component interface {
	fmt.Stringer
	start() error // returns once the component runs
	shutdown()    // returns once it has stopped
}

// readiness is a component that can tell whether it still runs (/readyz).
type readiness interface {
	ready() error
}

// Worker is one smsq process.
type Worker struct {
	cfg     *config.Config
	role    Role
	log     *slog.Logger
	rdb     redis.UniversalClient // the process's one Redis client
	client  *smsmode.Client       // nil for RoleWebhooks: webhook pods never call the provider
	metrics *metrics.Metrics
	reg     *prometheus.Registry

	public *httpServer // HTTP_ADDR: webhooks, producer API, health
	admin  *httpServer // ADMIN_ADDR: web UI, metrics, health; nil when they share the public server

	components []component
	started    chan struct{} // closed once every component runs
}

// New builds a worker from cfg. It opens no connection yet.
func New(cfg *config.Config, role Role, logger *slog.Logger) (*Worker, error) {
	if err := cfg.Require(string(role)); err != nil {
		return nil, err
	}
	// One Redis client for everything in the process: asynq's servers,
	// inspector and client, the ledger, the limiter, the web UI.
	rdb, err := cfg.RedisClient()
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	w := &Worker{
		cfg: cfg, role: role, log: logger, rdb: rdb, reg: reg,
		metrics: metrics.New(reg, metrics.WithDestinations(cfg.AllowedCountries, cfg.DailyCountryCap)),
		started: make(chan struct{}),
	}
	reg.MustRegister(metrics.NewQueueCollector(asynq.NewInspectorFromRedisClient(rdb), logger))

	if role != RoleWebhooks {
		if err := w.addTaskServers(); err != nil {
			return nil, err
		}
	}

	public := http.NewServeMux()
	w.health(public)
	if role != RoleTasks && len(cfg.WebhookSecret) > 0 {
		if err := w.addWebhooks(public); err != nil {
			return nil, err
		}
	}
	if err := w.addAPI(public); err != nil {
		return nil, err
	}
	admin := public
	if cfg.AdminAddr != "" {
		admin = http.NewServeMux()
		w.health(admin)
	}
	admin.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	if cfg.MonitoringPassword != "" {
		ui, err := monitoring.New(monitoring.Options{
			Redis: rdb, User: cfg.MonitoringUser, Password: cfg.MonitoringPassword,
			ReadOnly: cfg.MonitoringReadOnly, Logger: logger, Registerer: reg,
		})
		if err != nil {
			return nil, err
		}
		admin.Handle(monitoring.Path+"/", ui)
	}
	// The HTTP servers start first (health answers at once, /readyz says
	// "starting") and stop last.
	w.public = newHTTPServer("HTTP_ADDR", cfg.HTTPAddr, public, logger)
	servers := []component{w.public}
	if cfg.AdminAddr != "" {
		w.admin = newHTTPServer("ADMIN_ADDR", cfg.AdminAddr, admin, logger)
		servers = append(servers, w.admin)
	}
	w.components = append(servers, w.components...)
	return w, nil
}

// addTaskServers adds what a task pod runs: the asynq servers (WORKER_QUEUES
// and the critical lane) and the credit gauge's refresher.
func (w *Worker) addTaskServers() error {
	client, err := NewProviderClient(w.cfg)
	if err != nil {
		return err
	}
	w.client = client
	ts, err := NewTaskStack(w.cfg, w.rdb, client, w.metrics, w.log)
	if err != nil {
		return err
	}
	w.components = append(w.components,
		newTaskServers(w.rdb, ts),
		newCreditRefresher(w.metrics, client, CreditRefreshInterval, w.log),
		newDLRPoller(w.cfg, w.rdb, client, w.metrics, w.log),
	)
	return nil
}

// addWebhooks mounts the callback routes on mux.
func (w *Worker) addWebhooks(mux *http.ServeMux) error {
	enq, err := tasks.NewEnqueuer(w.rdb, w.cfg.TaskOptions())
	if err != nil {
		return err
	}
	ledger, err := store.NewLedger(w.rdb, store.DefaultLedgerTTL)
	if err != nil {
		return err
	}
	wh, err := webhook.New(webhook.Config{
		Secrets:  w.cfg.WebhookSecret,
		Enqueuer: enq,
		Ledger:   ledger,
		Location: w.cfg.Timezone.Location,
		Logger:   w.log,
		Observe: func(kind, outcome string) {
			w.metrics.Callbacks.WithLabelValues(kind, outcome).Inc()
			w.metrics.DLR.ObserveCallback(kind, outcome)
		},
	})
	if err != nil {
		return err
	}
	mux.Handle(webhook.PathPrefix, wh)
	return nil
}

func (w *Worker) health(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", func(rw http.ResponseWriter, _ *http.Request) { rw.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", w.readyz)
}

// NewProviderClient returns the sMsmode client of cfg.
func NewProviderClient(cfg *config.Config) (*smsmode.Client, error) {
	client, err := smsmode.NewClient(cfg.ProviderConfig())
	if err != nil {
		return nil, fmt.Errorf("config: SMSMODE_BASE_URL: %w", err)
	}
	return client, nil
}

func (w *Worker) readyz(rw http.ResponseWriter, r *http.Request) {
	select {
	case <-w.started:
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
	for _, c := range w.components {
		if rc, ok := c.(readiness); ok {
			if err := rc.ready(); err != nil {
				http.Error(rw, err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
	}
	rw.Write([]byte("ready\n"))
}

// Addr is the public HTTP listener's address once Run has started
// listening ("" before).
func (w *Worker) Addr() string { return w.public.addr() }

// AdminAddr is the admin listener's address (ADMIN_ADDR) once Run has
// started listening; the public one when there is no admin listener.
func (w *Worker) AdminAddr() string {
	if w.admin == nil {
		return w.Addr()
	}
	return w.admin.addr()
}

// Run starts every component, serves until ctx is done, then stops them in
// reverse: in-flight tasks get SHUTDOWN_TIMEOUT to finish and the rest go
// back to their queues; the HTTP servers stop last.
func (w *Worker) Run(ctx context.Context) error {
	defer w.rdb.Close()
	var running []component
	stop := func() {
		for i := len(running) - 1; i >= 0; i-- {
			running[i].shutdown()
		}
	}
	for _, c := range w.components {
		if err := c.start(); err != nil {
			stop()
			return err
		}
		running = append(running, c)
	}
	close(w.started)
	w.log.Info("worker started", slog.String("role", string(w.role)), slog.Any("config", w.cfg),
		slog.String("http_addr", w.Addr()), slog.String("admin_addr", w.AdminAddr()))

	var failed error
	select {
	case <-ctx.Done():
	case err := <-w.serveErrors():
		failed = err
	}
	w.log.Info("shutting down", slog.Duration("grace", w.cfg.ShutdownTimeout))
	stop()
	if failed != nil {
		return failed
	}
	w.log.Info("worker stopped")
	return nil
}

// serveErrors reports the first HTTP server that stopped on its own.
func (w *Worker) serveErrors() <-chan error {
	out := make(chan error, 2)
	for _, s := range []*httpServer{w.public, w.admin} {
		if s != nil {
			go func() {
				if err, ok := <-s.failed; ok {
					out <- errors.Join(fmt.Errorf("%s server", s.name), err)
				}
			}()
		}
	}
	return out
}
