// Package worker assembles the long-running smsq process: the asynq server
// running the send handlers, and the HTTP server for health, webhooks,
// metrics and the web UI. cmd/worker only calls it.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/smsq/smsq/internal/config"
	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/tasks"
)

// Worker is one smsq process.
type Worker struct {
	cfg    *config.Config
	log    *slog.Logger
	rdb    redis.UniversalClient
	server *asynq.Server
	mux    *asynq.ServeMux
	http   *http.Server
	ln     net.Listener
	ready  chan struct{}
}

// New builds a worker from cfg. It opens no connection yet except the HTTP listener.
func New(cfg *config.Config, logger *slog.Logger) (*Worker, error) {
	if err := cfg.RequireProvider(); err != nil {
		return nil, err
	}
	connOpt, err := cfg.RedisConnOpt()
	if err != nil {
		return nil, err
	}
	rdb, err := cfg.RedisClient()
	if err != nil {
		return nil, err
	}
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
	w := &Worker{cfg: cfg, log: logger, rdb: rdb, ready: make(chan struct{})}

	sc := tasks.SenderConfig{
		Provider: client,
		Ledger:   tasks.NewLedger(rdb, 0),
		Region:   cfg.DefaultRegion,
		Location: cfg.Timezone.Location,
	}
	if cfg.Rate > 0 {
		sc.Limiter = tasks.NewRedisLimiter(rdb, cfg.Rate)
	}
	if cfg.WebhookPublicURL != "" && cfg.WebhookSecret != "" {
		sc.NotificationURL = webhookURL(cfg.WebhookPublicURL, cfg.WebhookSecret, "delivery")
		sc.ReplyURL = webhookURL(cfg.WebhookPublicURL, cfg.WebhookSecret, "reply")
	}
	w.mux = asynq.NewServeMux()
	w.mux.Use(tasks.Logging(logger))
	tasks.NewSender(sc).Register(w.mux)

	retry := tasks.RetryPolicy{Base: cfg.RetryBaseDelay, Max: cfg.RetryMaxDelay}
	w.server = asynq.NewServer(connOpt, asynq.Config{
		Concurrency:     cfg.WorkerConcurrency,
		Queues:          map[string]int(cfg.WorkerQueues),
		RetryDelayFunc:  retry.Delay,
		IsFailure:       tasks.IsFailure,
		ShutdownTimeout: cfg.ShutdownTimeout,
		Logger:          asynqLogger{logger},
		LogLevel:        asynq.WarnLevel,
		// asynq looks for new work every second by default when idle; an OTP
		// cannot wait that long. A 20 ms poll costs one cheap Lua call per
		// queue set, and is skipped while tasks keep coming.
		TaskCheckInterval: 20 * time.Millisecond,
		// Retries and rate-limited tasks come back within a second of their time.
		DelayedTaskCheckInterval: time.Second,
	})

	w.http = &http.Server{
		Handler:           w.routes(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       90 * time.Second,
	}
	return w, nil
}

// webhookURL is the public URL of one callback route.
func webhookURL(base, secret, kind string) string {
	u, _ := url.Parse(base)
	return u.JoinPath("webhooks", "smsmode", secret, kind).String()
}

func (w *Worker) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(rw http.ResponseWriter, _ *http.Request) {
		rw.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(rw http.ResponseWriter, r *http.Request) {
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
		rw.Write([]byte("ready\n"))
	})
	return mux
}

// Addr is the HTTP listener's address once Run has started listening.
func (w *Worker) Addr() string {
	if w.ln == nil {
		return ""
	}
	return w.ln.Addr().String()
}

// Run serves until ctx is done, then drains: in-flight tasks get
// SHUTDOWN_TIMEOUT to finish and the rest go back to their queues.
func (w *Worker) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", w.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("HTTP_ADDR %s: %w", w.cfg.HTTPAddr, err)
	}
	w.ln = ln
	httpErr := make(chan error, 1)
	go func() { httpErr <- w.http.Serve(ln) }()

	if err := w.server.Start(w.mux); err != nil {
		w.http.Close()
		return fmt.Errorf("start task server: %w", err)
	}
	close(w.ready)
	w.log.Info("worker started", slog.Any("config", w.cfg), slog.String("http_addr", ln.Addr().String()))

	select {
	case <-ctx.Done():
	case err := <-httpErr:
		w.server.Shutdown()
		return fmt.Errorf("http server: %w", err)
	}
	w.log.Info("shutting down", slog.Duration("grace", w.cfg.ShutdownTimeout))
	w.server.Shutdown() // waits up to ShutdownTimeout, then re-queues what is left
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.http.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		w.log.Warn("http shutdown", slog.String("error", err.Error()))
	}
	w.rdb.Close()
	w.log.Info("worker stopped")
	return nil
}
