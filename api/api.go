package api

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/smsq/smsq/tasks"
)

// PathPrefix is the prefix of every route; mount the Handler on it:
//
//	mux.Handle(api.PathPrefix, h)
const PathPrefix = "/v1/"

// Defaults of Config.
const (
	DefaultMaxBody      = 1 << 20  // 1 MiB: a send to about 50,000 numbers
	DefaultMaxBatchBody = 32 << 20 // 32 MiB: about 150,000 rows of 160 characters
	DefaultTimeout      = 5 * time.Second
)

// Token is one client of the API (API_TOKENS).
type Token struct {
	Name  string // what logs and metrics show
	Token string // the bearer token; never logged
}

// Config configures a Handler.
type Config struct {
	// Tokens are the accepted bearer tokens. At least one; names and
	// tokens must be unique and non-empty.
	Tokens []Token
	// Enqueuer validates and stores the tasks. Required.
	Enqueuer *tasks.Enqueuer
	// Inspector answers GET and DELETE /v1/tasks/{id}. Required.
	Inspector *tasks.Inspector
	// Deleter cancels a message sMsmode holds for a later date_envoi
	// (the worker's *smsmode.Client). nil where the process has no
	// provider credentials (webhook pods): tasks.Inspector.Cancel then
	// refuses such cancellations, answered 409.
	Deleter tasks.Deleter
	// BatchChunk is the Enqueuer's BATCH_CHUNK, to say how many chunks a
	// batch became. Required.
	BatchChunk int
	// Location is the zone of the times in answers (SMSMODE_TIMEZONE).
	// Required.
	Location *time.Location
	// Logger gets one line per request; nil discards.
	Logger *slog.Logger
	// Registerer, when set, receives smsq_api_requests_total.
	Registerer prometheus.Registerer
	// MaxBody bounds the body of /v1/sms and /v1/voice, MaxBatchBody the
	// body of /v1/batches, while reading; ≤ 0 means the defaults.
	MaxBody, MaxBatchBody int64
	// Timeout bounds the Redis work of one request; past it the answer is
	// 503. ≤ 0 means DefaultTimeout.
	Timeout time.Duration
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time
}

// Handler serves the API. It is safe for concurrent use.
type Handler struct {
	cfg     Config
	auth    *authenticator
	log     *slog.Logger
	metrics *requestMetrics
	now     func() time.Time
}

// New returns the API handler, or an error naming what cfg lacks.
func New(cfg Config) (*Handler, error) {
	switch {
	case cfg.Enqueuer == nil:
		return nil, errors.New("api: Config.Enqueuer is nil")
	case cfg.Inspector == nil:
		return nil, errors.New("api: Config.Inspector is nil")
	case cfg.Location == nil:
		return nil, errors.New("api: Config.Location is nil")
	case cfg.BatchChunk < 1:
		return nil, errors.New("api: Config.BatchChunk must be at least 1")
	}
	auth, err := newAuthenticator(cfg.Tokens)
	if err != nil {
		return nil, err
	}
	h := &Handler{cfg: cfg, auth: auth, log: cfg.Logger, now: cfg.Now}
	h.cfg.Tokens = nil // only the hashes are kept
	if d := reflect.ValueOf(cfg.Deleter); d.Kind() == reflect.Pointer && d.IsNil() {
		h.cfg.Deleter = nil // a nil *smsmode.Client is no Deleter
	}
	if h.cfg.MaxBody <= 0 {
		h.cfg.MaxBody = DefaultMaxBody
	}
	if h.cfg.MaxBatchBody <= 0 {
		h.cfg.MaxBatchBody = DefaultMaxBatchBody
	}
	if h.cfg.Timeout <= 0 {
		h.cfg.Timeout = DefaultTimeout
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.metrics, err = newRequestMetrics(cfg.Registerer, auth.names()); err != nil {
		return nil, err
	}
	return h, nil
}

// Route names: the label "route" of smsq_api_requests_total and the
// "route" of log lines.
const (
	routeSMS     = "POST /v1/sms"
	routeVoice   = "POST /v1/voice"
	routeBatches = "POST /v1/batches"
	routeStatus  = "GET /v1/tasks/{id}"
	routeCancel  = "DELETE /v1/tasks/{id}"
	routeOpenAPI = "GET /v1/openapi.json"
	routeOther   = "other"
)

// maxIDLength bounds a task ID in a path: longer ones are no task's.
const maxIDLength = 200

// request is one request's routing and what its log line says.
type request struct {
	route  string
	id     string // the task ID of /v1/tasks/{id}
	token  string // the client's name once authenticated
	status int

	taskIDs   []string
	duplicate bool
	dryRun    bool
	field     string // a refused field
	err       string // why it failed (never a secret, never message text)
	outcome   string // what a successful cancellation did
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := h.now()
	req := &request{token: tokenNone}
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		v := recover()
		if v == http.ErrAbortHandler {
			panic(v)
		}
		if v != nil {
			// A bug: the client gets a problem, the log the cause, and the
			// connection stays usable.
			req.err = fmt.Sprintf("panic: %v", v)
			h.log.Error("api panic", slog.String("route", req.route), slog.Any("panic", v), slog.String("stack", stack()))
			if !sw.wrote {
				req.status = newProblem(problemInternal, "an internal error occurred; it has been logged").write(sw)
			}
		}
		if req.status == 0 {
			req.status = sw.status
		}
		h.metrics.observe(req.route, req.status, req.token)
		h.logRequest(r, req, h.now().Sub(start))
	}()
	req.status = h.serve(sw, r, req)
}

// serve routes one request and returns the status it answered.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, req *request) int {
	allow := h.route(r, req)
	if req.route == routeOther {
		if allow != "" {
			w.Header().Set("Allow", allow)
			return h.fail(w, req, newProblem(problemMethod, r.Method+" is not allowed here; allowed: "+allow))
		}
		return h.fail(w, req, newProblem(problemNoRoute, "no such route; the routes are in /v1/openapi.json"))
	}
	if req.route == routeOpenAPI {
		return serveDocument(w)
	}
	name, prob := h.auth.check(r.Header.Get("Authorization"))
	if prob != nil {
		w.Header().Set("WWW-Authenticate", prob.challenge)
		p := newProblem(problemUnauthorized, prob.detail)
		p.cause = prob.reason
		return h.fail(w, req, p)
	}
	req.token = name
	switch req.route {
	case routeSMS:
		return h.postSMS(w, r, req)
	case routeVoice:
		return h.postVoice(w, r, req)
	case routeBatches:
		return h.postBatch(w, r, req)
	case routeStatus:
		return h.getTask(w, r, req)
	default:
		return h.cancelTask(w, r, req)
	}
}

// route sets req.route (routeOther when nothing matches) and req.id, and
// returns the methods the path allows when only the method is wrong.
func (h *Handler) route(r *http.Request, req *request) (allow string) {
	req.route = routeOther
	p := r.URL.EscapedPath()
	method := func(route, want string) string {
		if r.Method == want {
			req.route = route
			return ""
		}
		return want
	}
	switch p {
	case "/v1/sms":
		return method(routeSMS, http.MethodPost)
	case "/v1/voice":
		return method(routeVoice, http.MethodPost)
	case "/v1/batches":
		return method(routeBatches, http.MethodPost)
	case "/v1/openapi.json":
		return method(routeOpenAPI, http.MethodGet)
	}
	raw, ok := strings.CutPrefix(p, "/v1/tasks/")
	if !ok || raw == "" || strings.Contains(raw, "/") {
		return ""
	}
	id, err := url.PathUnescape(raw)
	if err != nil || len(id) > maxIDLength {
		return ""
	}
	req.id = id
	switch r.Method {
	case http.MethodGet:
		req.route = routeStatus
	case http.MethodDelete:
		req.route = routeCancel
	default:
		return "GET, DELETE"
	}
	return ""
}

// queueOptions passes the request's "queue" to the Enqueuer, which
// refuses any queue workers do not serve (WORKER_QUEUES), and events.
func queueOptions(named string) []tasks.EnqueueOption {
	if named == "" {
		return nil
	}
	return []tasks.EnqueueOption{tasks.WithQueue(named)}
}

// statusWriter remembers what was written, for the log line and for a
// panic after the header went out.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
