package webhook

import (
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/tasks/store"
)

// PathPrefix is the prefix of both routes; mount the Handler on it:
//
//	mux.Handle(webhook.PathPrefix, h)
const PathPrefix = "/webhooks/smsmode/"

// Route kinds: the last path segment, also logged as "kind".
const (
	KindDelivery = "delivery"
	KindReply    = "reply"
)

// Defaults of Config.
const (
	DefaultMaxBody        = 16 << 10 // 16 KiB
	DefaultEnqueueTimeout = 5 * time.Second
)

// Enqueuer stores the follow-up tasks; *tasks.Enqueuer satisfies it, with
// the events queue's policy (queue, retries, retention, content-derived IDs
// so a repeated callback is a Duplicate).
type Enqueuer interface {
	Delivery(ctx context.Context, p tasks.DeliveryPayload) (tasks.Enqueued, error)
	Reply(ctx context.Context, p tasks.ReplyPayload) (tasks.Enqueued, error)
}

// Config configures a Handler.
type Config struct {
	// Secrets are the unguessable path segments accepted (WEBHOOK_SECRET):
	// one, or two during a rotation (the new one, then the old one while
	// messages sent with it may still be reported). At least one.
	Secrets []string
	// Enqueuer stores the follow-up tasks (a *tasks.Enqueuer). Required.
	Enqueuer Enqueuer
	// Ledger, when set, fills task_id of the callbacks whose path carries
	// no task (the routes without task, see DeliveryURL): the send task that
	// got the callback's smsID. A failed look-up leaves task_id empty and
	// the callback is still stored (the event handler looks it up again).
	// Callbacks whose path names the task need no look-up here.
	Ledger *store.Ledger
	// Location is the zone of callback dates (SMSMODE_TIMEZONE). Required.
	Location *time.Location
	// Logger gets one line per callback; nil discards.
	Logger *slog.Logger
	// MaxBody bounds the query string and the body, each; ≤ 0 means
	// DefaultMaxBody (16 KiB).
	MaxBody int64
	// EnqueueTimeout bounds the ledger look-up, when there is one (a third
	// of it at most), plus the enqueue; ≤ 0 means DefaultEnqueueTimeout. Past it the answer is
	// 503. With Redis down, go-redis keeps redialling until then, so this
	// is also how long a 503 takes.
	EnqueueTimeout time.Duration
	// Observe, when set, is told each callback's kind ("delivery", "reply",
	// or "" for an unknown route) and outcome ("stored", "duplicate",
	// "invalid", "not_found", …): the worker counts them in its metrics.
	Observe func(kind, outcome string)
}

// Handler serves both callback routes. It is safe for concurrent use.
type Handler struct {
	cfg          Config
	secretHashes [][sha256.Size]byte
	log          *slog.Logger
}

// New returns the callback handler, or an error naming what cfg lacks.
func New(cfg Config) (*Handler, error) {
	switch {
	case len(cfg.Secrets) == 0 || slices.Contains(cfg.Secrets, ""):
		return nil, errors.New("webhook: Config.Secrets is empty")
	case cfg.Enqueuer == nil:
		return nil, errors.New("webhook: Config.Enqueuer is nil")
	case cfg.Location == nil:
		return nil, errors.New("webhook: Config.Location is nil")
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.EnqueueTimeout <= 0 {
		cfg.EnqueueTimeout = DefaultEnqueueTimeout
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{cfg: cfg, log: log}
	for _, s := range cfg.Secrets {
		h.secretHashes = append(h.secretHashes, sha256.Sum256([]byte(s)))
	}
	h.cfg.Secrets = nil // only the hashes are kept
	return h, nil
}

// outcome is what a callback came to; logged as "outcome".
const (
	outcomeStored      = "stored"
	outcomeDuplicate   = "duplicate"
	outcomeInvalid     = "invalid"
	outcomeNotFound    = "not_found"
	outcomeMethod      = "method_not_allowed"
	outcomeTooLarge    = "too_large"
	outcomeUnavailable = "unavailable"
)

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &logRecord{route: Redact(pathOf(r)), method: r.Method}
	defer func() {
		h.logCallback(r.Context(), rec, time.Since(start))
		if h.cfg.Observe != nil {
			h.cfg.Observe(rec.kind, rec.outcome)
		}
	}()
	// Nothing below is expected to panic; if it ever did, the provider would
	// see a dropped connection and a stack trace would reach the server's
	// log with the request's details. Answer 503 (retryable) instead.
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			rec.outcome, rec.err = outcomeUnavailable, "internal error"
			rec.status = http.StatusServiceUnavailable
			plain(w, http.StatusServiceUnavailable, "service unavailable, retry later")
		}
	}()
	rec.status = h.serve(w, r, rec)
}

// pathOf is the escaped path: the form on the wire, where a task ID's
// "/" is still %2F.
func pathOf(r *http.Request) string {
	if r.URL == nil {
		return ""
	}
	return r.URL.EscapedPath()
}

// serve handles one request and returns the status it answered.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, rec *logRecord) int {
	kind, task, ok := h.route(r)
	rec.kind = kind
	if !ok {
		rec.outcome = outcomeNotFound
		return plain(w, http.StatusNotFound, "404 page not found")
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		rec.outcome = outcomeMethod
		w.Header().Set("Allow", "GET, POST")
		return plain(w, http.StatusMethodNotAllowed, "method not allowed")
	}
	params, status, err := h.params(w, r)
	switch {
	case status != 0:
		rec.outcome = outcomeTooLarge
		return plain(w, status, "request too large")
	case err != nil:
		// The body stopped short: the server's ReadTimeout cut a slow
		// client, or the connection broke. The parameters may be in the
		// part that never came, so a 400 would drop a report the provider
		// does not resend; 503 asks for the retry.
		rec.outcome, rec.err = outcomeUnavailable, "reading the body: "+err.Error()
		w.Header().Set("Connection", "close")
		return unavailable(w)
	}

	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.EnqueueTimeout)
	defer cancel()
	var res tasks.Enqueued
	switch kind {
	case KindDelivery:
		var p *tasks.DeliveryPayload
		if p, err = h.delivery(ctx, params, task, rec); err == nil {
			res, err = h.cfg.Enqueuer.Delivery(ctx, *p)
		}
	default:
		var p *tasks.ReplyPayload
		if p, err = h.reply(ctx, params, task, rec); err == nil {
			res, err = h.cfg.Enqueuer.Reply(ctx, *p)
		}
	}
	var ce *smsmode.CallbackError
	if errors.As(err, &ce) {
		rec.outcome = outcomeInvalid
		rec.param = ce.Field
		rec.err = ce.Reason
		return plain(w, http.StatusBadRequest, "parameter "+strconv.Quote(ce.Field)+": "+ce.Reason)
	}
	rec.taskID = res.ID
	switch {
	case err == nil && !res.Duplicate:
		rec.outcome = outcomeStored
		return plain(w, http.StatusOK, "OK")
	case err == nil:
		rec.outcome = outcomeDuplicate
		return plain(w, http.StatusOK, "OK")
	default:
		rec.outcome = outcomeUnavailable
		rec.err = err.Error()
		return unavailable(w)
	}
}

// unavailable answers 503 with Retry-After: the caller may retry.
func unavailable(w http.ResponseWriter) int {
	w.Header().Set("Retry-After", "5")
	return plain(w, http.StatusServiceUnavailable, "service unavailable, retry later")
}

// plain writes a short text answer and returns its status.
func plain(w http.ResponseWriter, status int, msg string) int {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, msg+"\n")
	return status
}
