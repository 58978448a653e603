// Package webhook receives sMsmode's callbacks and turns each one into a
// follow-up task on the events queue.
//
// Two routes are served, for GET (what the provider sends: parameters in the
// query string) and POST (a proxy may forward a form; the body's parameters
// are merged with the query string's):
//
//	/webhooks/smsmode/{secret}/delivery  delivery report  → sms:delivery
//	/webhooks/smsmode/{secret}/reply     reply (MO)       → sms:reply
//
// The handler answers
//
//	200  the follow-up task is stored, or it was already (a repeated callback)
//	400  a parameter is missing or malformed; the body names it
//	404  unknown path or wrong secret (the body gives no hint which)
//	405  another method (Allow: GET, POST)
//	413  query string or body larger than Config.MaxBody
//	503  the task could not be stored (Redis unavailable): the caller may retry
//
// and never 500. Task IDs are derived from the callback's content, so a
// callback delivered twice (provider retry, proxy replay, operator re-run)
// yields exactly one task: delivery reports get "dlr:" followed by 32 hex
// digits of a SHA-256 over smsID, numero, statut and date_reception; replies
// get "mo:" followed by the provider's responseID, or by such a hash of
// smsID, emetteur, date_reception and message when there is none.
//
// The secret path segment never appears in a log line: routes are logged as
// /webhooks/smsmode/REDACTED/delivery (see Redact).
package webhook

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/tasks"
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
	DefaultMaxRetry       = 20
	DefaultEnqueueTimeout = 5 * time.Second
)

// Enqueuer stores a task; an *asynq.Client satisfies it.
type Enqueuer interface {
	EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// Config configures a Handler.
type Config struct {
	// Secret is the unguessable path segment (WEBHOOK_SECRET). Required.
	Secret string
	// Enqueuer stores the follow-up tasks (an *asynq.Client). Required.
	Enqueuer Enqueuer
	// Ledger, when set, fills task_id: the send task that got the callback's
	// smsID. A failed look-up leaves task_id empty and the callback is
	// still stored (the event handler looks it up again).
	Ledger *tasks.Ledger
	// Location is the zone of callback dates (SMSMODE_TIMEZONE); nil means
	// Europe/Paris.
	Location *time.Location
	// Logger gets one line per callback; nil discards.
	Logger *slog.Logger
	// MaxBody bounds the query string and the body, each; ≤ 0 means
	// DefaultMaxBody (16 KiB).
	MaxBody int64
	// Retention keeps completed follow-up tasks visible (TASK_RETENTION);
	// 0 means asynq's default (none).
	Retention time.Duration
	// MaxRetry of the follow-up tasks; ≤ 0 means DefaultMaxRetry.
	MaxRetry int
	// EnqueueTimeout bounds the ledger look-up (a third of it at most) plus
	// the enqueue; ≤ 0 means DefaultEnqueueTimeout. Past it the answer is
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
	cfg        Config
	secretHash [sha256.Size]byte
	log        *slog.Logger
}

// New returns the callback handler. It panics when cfg.Secret is empty or
// cfg.Enqueuer is nil: both are programming errors (the worker mounts the
// routes only when WEBHOOK_SECRET is set).
func New(cfg Config) *Handler {
	if cfg.Secret == "" {
		panic("webhook: Config.Secret is empty")
	}
	if cfg.Enqueuer == nil {
		panic("webhook: Config.Enqueuer is nil")
	}
	if cfg.Location == nil {
		cfg.Location = smsmode.DefaultLocation()
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.MaxRetry <= 0 {
		cfg.MaxRetry = DefaultMaxRetry
	}
	if cfg.EnqueueTimeout <= 0 {
		cfg.EnqueueTimeout = DefaultEnqueueTimeout
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{cfg: cfg, secretHash: sha256.Sum256([]byte(cfg.Secret)), log: log}
	h.cfg.Secret = "" // only the hash is kept
	return h
}

// DeliveryURL returns the notification_url of this deployment given its
// public base URL (WEBHOOK_PUBLIC_URL), e.g.
// https://sms.example.com/webhooks/smsmode/SECRET/delivery.
func DeliveryURL(publicBase, secret string) string { return routeURL(publicBase, secret, KindDelivery) }

// ReplyURL returns the notification_url_reponse of this deployment given its
// public base URL (WEBHOOK_PUBLIC_URL).
func ReplyURL(publicBase, secret string) string { return routeURL(publicBase, secret, KindReply) }

func routeURL(base, secret, kind string) string {
	return strings.TrimRight(base, "/") + PathPrefix + url.PathEscape(secret) + "/" + kind
}

// Redact returns path with the secret segment of a webhook route replaced by
// REDACTED, e.g. "/webhooks/smsmode/REDACTED/delivery"; other paths are
// returned unchanged. It is meant for access logs: it tolerates empty
// segments and letter case ("//Webhooks/smsmode/s3cr3t/reply" is redacted
// too), drops the query string of a webhook path when one is passed along,
// and redacts every segment after "smsmode" except a final "delivery" or
// "reply".
func Redact(path string) string {
	segs := strings.Split(path, "/")
	for i := 0; i < len(segs); i++ {
		if !strings.EqualFold(segs[i], "webhooks") {
			continue
		}
		j := i + 1
		for j < len(segs) && segs[j] == "" {
			j++
		}
		if j >= len(segs) || !strings.EqualFold(strings.SplitN(segs[j], "?", 2)[0], "smsmode") {
			continue
		}
		if j+1 >= len(segs) {
			return path
		}
		tail := strings.SplitN(strings.Join(segs[j+1:], "/"), "?", 2)[0]
		rest := strings.Split(tail, "/")
		kind := ""
		if n := len(rest); n >= 2 {
			if k := rest[n-1]; k == KindDelivery || k == KindReply {
				kind = "/" + k
			}
		}
		out := strings.Join(segs[:j+1], "/")
		if strings.Trim(tail, "/") == "" {
			return out + "/" + tail // nothing to hide
		}
		return out + "/REDACTED" + kind
	}
	return path
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

func pathOf(r *http.Request) string {
	if r.URL == nil {
		return ""
	}
	return r.URL.Path
}

// serve handles one request and returns the status it answered.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, rec *logRecord) int {
	kind, ok := h.route(pathOf(r))
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
	params, status := h.params(w, r)
	if status != 0 {
		rec.outcome = outcomeTooLarge
		return plain(w, status, "request too large")
	}

	var (
		task *asynq.Task
		id   string
		err  error
	)
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.EnqueueTimeout)
	defer cancel()
	switch kind {
	case KindDelivery:
		task, id, err = h.deliveryTask(ctx, params, rec)
	default:
		task, id, err = h.replyTask(ctx, params, rec)
	}
	if err != nil {
		rec.outcome = outcomeInvalid
		var ce *smsmode.CallbackError
		if errors.As(err, &ce) {
			rec.param = ce.Field
			rec.err = ce.Reason
			return plain(w, http.StatusBadRequest, "parameter "+strconv.Quote(ce.Field)+": "+ce.Reason)
		}
		rec.err = err.Error()
		return plain(w, http.StatusBadRequest, "invalid callback")
	}
	rec.taskID = id

	opts := []asynq.Option{
		asynq.TaskID(id),
		asynq.Queue(tasks.QueueEvents),
		asynq.MaxRetry(h.cfg.MaxRetry),
	}
	if h.cfg.Retention > 0 {
		opts = append(opts, asynq.Retention(h.cfg.Retention))
	}
	_, err = h.cfg.Enqueuer.EnqueueContext(ctx, task, opts...)
	switch {
	case err == nil:
		rec.outcome = outcomeStored
		return plain(w, http.StatusOK, "OK")
	case errors.Is(err, asynq.ErrTaskIDConflict), errors.Is(err, asynq.ErrDuplicateTask):
		rec.outcome = outcomeDuplicate
		return plain(w, http.StatusOK, "OK")
	default:
		rec.outcome = outcomeUnavailable
		rec.err = err.Error()
		w.Header().Set("Retry-After", "5")
		return plain(w, http.StatusServiceUnavailable, "service unavailable, retry later")
	}
}

// route returns the kind of a webhook path with the right secret.
func (h *Handler) route(p string) (kind string, ok bool) {
	rest, found := strings.CutPrefix(p, PathPrefix)
	if !found {
		return "", false
	}
	i := strings.LastIndexByte(rest, '/')
	if i < 0 {
		return "", false
	}
	secret, kind := rest[:i], rest[i+1:]
	if kind != KindDelivery && kind != KindReply {
		return "", false
	}
	// Comparing hashes takes the same time whatever the candidate's length.
	got := sha256.Sum256([]byte(secret))
	if subtle.ConstantTimeCompare(got[:], h.secretHash[:]) != 1 {
		return kind, false
	}
	return kind, true
}

// params merges the body's form parameters (first, as net/http does) with
// the query string's. Values keep their raw bytes: a reply's text may be
// ISO-8859-15 and is decoded by the smsmode parser. A non-zero status means
// the request is too large.
func (h *Handler) params(w http.ResponseWriter, r *http.Request) (url.Values, int) {
	v := url.Values{}
	if r.Method == http.MethodPost && r.Body != nil {
		if r.ContentLength > h.cfg.MaxBody {
			w.Header().Set("Connection", "close")
			return nil, http.StatusRequestEntityTooLarge
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, h.cfg.MaxBody+1))
		if int64(len(body)) > h.cfg.MaxBody {
			w.Header().Set("Connection", "close")
			return nil, http.StatusRequestEntityTooLarge
		}
		if err == nil {
			formParams(r.Header.Get("Content-Type"), body, v)
		}
	}
	if r.URL != nil {
		if int64(len(r.URL.RawQuery)) > h.cfg.MaxBody {
			return nil, http.StatusRequestEntityTooLarge
		}
		parseQuery(r.URL.RawQuery, v)
	}
	return v, 0
}

// formParams adds a form body's parameters to v: url-encoded (also when no
// Content-Type is given) or multipart. Other bodies are ignored.
func formParams(contentType string, body []byte, v url.Values) {
	if len(body) == 0 {
		return
	}
	mt, mp, err := mime.ParseMediaType(contentType)
	switch {
	case contentType == "", err == nil && mt == "application/x-www-form-urlencoded":
		parseQuery(string(body), v)
	case err == nil && mt == "multipart/form-data" && mp["boundary"] != "":
		mr := multipart.NewReader(bytes.NewReader(body), mp["boundary"])
		for {
			part, err := mr.NextPart()
			if err != nil {
				return
			}
			name := part.FormName()
			b, err := io.ReadAll(part)
			if err != nil {
				return
			}
			if name != "" && part.FileName() == "" {
				v[name] = append(v[name], string(b))
			}
		}
	}
}

// parseQuery adds url-encoded parameters to v. Unlike url.ParseQuery it
// never gives up: a malformed escape ("100%") is kept literally, so a
// reply with a badly encoded text is not lost; only "&" separates pairs.
func parseQuery(q string, v url.Values) {
	for q != "" {
		var pair string
		pair, q, _ = strings.Cut(q, "&")
		if pair == "" {
			continue
		}
		k, val, _ := strings.Cut(pair, "=")
		k = unescape(k)
		v[k] = append(v[k], unescape(val))
	}
}

// unescape decodes "+" and %XX, keeping malformed escapes as they are.
func unescape(s string) string {
	if s2, err := url.QueryUnescape(s); err == nil {
		return s2
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			b = append(b, ' ')
		case c == '%' && i+2 < len(s) && ishex(s[i+1]) && ishex(s[i+2]):
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

func ishex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// deliveryTask builds the sms:delivery task of a delivery report.
func (h *Handler) deliveryTask(ctx context.Context, v url.Values, rec *logRecord) (*asynq.Task, string, error) {
	dr, err := smsmode.ParseDeliveryReport(v, h.cfg.Location)
	if err != nil {
		return nil, "", err
	}
	rec.smsID = dr.SMSID
	rec.statusCode = int(dr.Status)
	p := tasks.DeliveryPayload{
		SMSID:      dr.SMSID,
		To:         dr.Number,
		Status:     int(dr.Status),
		StatusText: dr.Status.String(),
		Final:      dr.Status.Final(),
		ReceivedAt: dr.ReceivedAt,
		Ref:        dr.RefClient,
		TaskID:     h.lookup(ctx, dr.SMSID, rec),
		MCCMNC:     dr.MCCMNC,
		Cost:       dr.Cost,
	}
	id := DeliveryTaskID(dr)
	b, err := json.Marshal(p)
	if err != nil { // cannot happen: strings, ints and a time
		return nil, "", err
	}
	return asynq.NewTask(tasks.TypeDelivery, b), id, nil
}

// replyTask builds the sms:reply task of a reply.
func (h *Handler) replyTask(ctx context.Context, v url.Values, rec *logRecord) (*asynq.Task, string, error) {
	rc, err := smsmode.ParseReply(v, h.cfg.Location)
	if err != nil {
		return nil, "", err
	}
	rec.smsID = rc.SMSID
	p := tasks.ReplyPayload{
		SMSID:      rc.SMSID,
		From:       rc.From,
		To:         rc.To,
		Message:    rc.Message,
		ReceivedAt: rc.ReceivedAt,
		Ref:        rc.RefClient,
		ResponseID: rc.ResponseID,
	}
	if rc.SMSID != "" {
		p.TaskID = h.lookup(ctx, rc.SMSID, rec)
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, "", err
	}
	return asynq.NewTask(tasks.TypeReply, b), ReplyTaskID(rc), nil
}

// lookup returns the send task of smsID, or "" when it is unknown or the
// look-up fails: the callback must be stored either way.
func (h *Handler) lookup(ctx context.Context, smsID string, rec *logRecord) string {
	if h.cfg.Ledger == nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, h.cfg.EnqueueTimeout/3)
	defer cancel()
	id, err := h.cfg.Ledger.TaskForSMS(ctx, smsID)
	if err != nil {
		rec.ledgerErr = err.Error()
		return ""
	}
	rec.sendTask = id
	return id
}

// DeliveryTaskID is the ID of a delivery report's sms:delivery task: "dlr:"
// and the first 32 hex digits of SHA-256 over smsID, numero, statut and
// date_reception (as parsed: the same report yields the same ID whatever
// its date format or encoding).
func DeliveryTaskID(dr *smsmode.DeliveryReportCallback) string {
	return "dlr:" + contentHash(dr.SMSID, dr.Number, strconv.Itoa(int(dr.Status)), dr.ReceivedAt.UTC().Format(time.RFC3339))
}

// ReplyTaskID is the ID of a reply's sms:reply task: "mo:" and the
// provider's responseID when it has one made of letters, digits, ".", "_"
// and "-" (at most 64); otherwise "mo:" and the first 32 hex digits of
// SHA-256 over smsID, emetteur, date_reception and message (or over the
// unusual responseID itself).
func ReplyTaskID(rc *smsmode.ReplyCallback) string {
	switch {
	case rc.ResponseID == "":
		return "mo:" + contentHash(rc.SMSID, rc.From, rc.ReceivedAt.UTC().Format(time.RFC3339), rc.Message)
	case plainID(rc.ResponseID):
		return "mo:" + rc.ResponseID
	}
	return "mo:" + contentHash("responseID", rc.ResponseID)
}

func plainID(s string) bool {
	if len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// contentHash hashes fields unambiguously: each is preceded by its length,
// so no choice of values can make two different tuples collide by shifting
// a separator ("a|b","c" vs "a","b|c").
func contentHash(fields ...string) string {
	hs := sha256.New()
	var n [binary.MaxVarintLen64]byte
	for _, f := range fields {
		hs.Write(n[:binary.PutUvarint(n[:], uint64(len(f)))])
		hs.Write([]byte(f))
	}
	return hex.EncodeToString(hs.Sum(nil))[:32]
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

// logRecord collects what the one log line of a callback says. It never
// holds the secret, the query string or a reply's text.
type logRecord struct {
	route, method, kind, outcome string
	status                       int
	taskID, sendTask, smsID      string
	statusCode                   int // delivery status
	param, err, ledgerErr        string
}

func (h *Handler) logCallback(ctx context.Context, rec *logRecord, latency time.Duration) {
	level := slog.LevelInfo
	switch {
	case rec.status >= 500:
		level = slog.LevelError
	case rec.status >= 400:
		level = slog.LevelWarn
	}
	if !h.log.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, 12)
	attrs = append(attrs,
		slog.String("kind", rec.kind),
		slog.String("outcome", rec.outcome),
		slog.Int("status", rec.status),
		slog.Duration("latency", latency),
		slog.String("method", rec.method),
		slog.String("route", rec.route),
	)
	if rec.taskID != "" {
		attrs = append(attrs, slog.String("task_id", rec.taskID))
	}
	if rec.smsID != "" {
		attrs = append(attrs, slog.String("sms_id", rec.smsID))
	}
	if rec.kind == KindDelivery && rec.smsID != "" { // parsed
		attrs = append(attrs, slog.Int("delivery_status", rec.statusCode))
	}
	if rec.sendTask != "" {
		attrs = append(attrs, slog.String("send_task_id", rec.sendTask))
	}
	if rec.param != "" {
		attrs = append(attrs, slog.String("param", rec.param))
	}
	if rec.err != "" {
		attrs = append(attrs, slog.String("error", rec.err))
	}
	if rec.ledgerErr != "" {
		attrs = append(attrs, slog.String("ledger_error", rec.ledgerErr))
	}
	h.log.LogAttrs(ctx, level, "webhook callback", attrs...)
}
