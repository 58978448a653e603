package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/smsq/smsq/tasks"
)

// HeaderIdempotencyKey names the header that sets a POST's task ID.
const HeaderIdempotencyKey = "Idempotency-Key"

// reKey is what an Idempotency-Key may be: it becomes a task ID and a path
// segment of /v1/tasks/{id} (batch chunks add "-N").
var reKey = regexp.MustCompile(`^[A-Za-z0-9._~:@+=-]{1,128}$`)

func idempotencyKey(r *http.Request) (string, *problem) {
	vs := r.Header.Values(HeaderIdempotencyKey)
	switch {
	case len(vs) == 0:
		return "", nil
	case len(vs) > 1:
		return "", fieldProblem(HeaderIdempotencyKey, "given more than once")
	case !reKey.MatchString(vs[0]):
		return "", fieldProblem(HeaderIdempotencyKey, "want 1 to 128 letters, digits or . _ ~ : @ + = - (a UUID is a good key)")
	}
	return vs[0], nil
}

// sendBody is the body of POST /v1/sms.
type sendBody struct {
	tasks.SendPayload
	Queue string `json:"queue,omitempty"`
}

// voiceBody is the body of POST /v1/voice.
type voiceBody struct {
	tasks.VoicePayload
	Queue string `json:"queue,omitempty"`
}

// batchBody is the JSON body of POST /v1/batches.
type batchBody struct {
	tasks.BatchPayload
	Queue string `json:"queue,omitempty"`
}

// acceptedBody answers a send or voice message.
type acceptedBody struct {
	ID        string `json:"id"`
	Duplicate bool   `json:"duplicate"`
	Encoding  string `json:"encoding"`
	Segments  int    `json:"segments"`
	// A repeat (duplicate) also tells what became of the original.
	State  string      `json:"state,omitempty"`
	Result *resultBody `json:"result,omitempty"`
}

// batchAcceptedBody answers a batch.
type batchAcceptedBody struct {
	IDs       []string `json:"ids"`
	Duplicate bool     `json:"duplicate"`
	Messages  int      `json:"messages"` // segments over every row: what sMsmode bills
}

// dryRunBody answers a dry run (one per chunk for a batch).
type dryRunBody struct {
	Encoding   string `json:"encoding"`
	Segments   int    `json:"segments"`
	Recipients int    `json:"recipients"`
	Messages   int    `json:"messages"`
	SendAt     string `json:"send_at,omitempty"` // when the commercial window moves it
}

type batchDryRunBody struct {
	Chunks []dryRunBody `json:"chunks"`
}

// enqueueFunc enqueues a validated message (Enqueuer.Send or Voice).
type enqueueFunc func(ctx context.Context, opts ...tasks.EnqueueOption) (tasks.Enqueued, error)

func (h *Handler) postSMS(w http.ResponseWriter, r *http.Request, req *request) int {
	var in sendBody
	dry, key, p := h.readPost(w, r, h.cfg.MaxBody, &in)
	if p != nil {
		return h.fail(w, req, p)
	}
	opts := queueOptions(in.Queue)
	if dry {
		return h.dryRun(w, req, func(ctx context.Context) ([]tasks.Plan, error) {
			plan, err := h.cfg.Enqueuer.PlanSend(ctx, in.SendPayload, opts...)
			return one(plan, err)
		})
	}
	return h.enqueue(w, req, key, opts, func(ctx context.Context, opts ...tasks.EnqueueOption) (tasks.Enqueued, error) {
		return h.cfg.Enqueuer.Send(ctx, in.SendPayload, opts...)
	})
}

func (h *Handler) postVoice(w http.ResponseWriter, r *http.Request, req *request) int {
	var in voiceBody
	dry, key, p := h.readPost(w, r, h.cfg.MaxBody, &in)
	if p != nil {
		return h.fail(w, req, p)
	}
	opts := queueOptions(in.Queue)
	if dry {
		return h.dryRun(w, req, func(ctx context.Context) ([]tasks.Plan, error) {
			plan, err := h.cfg.Enqueuer.PlanVoice(ctx, in.VoicePayload, opts...)
			return one(plan, err)
		})
	}
	return h.enqueue(w, req, key, opts, func(ctx context.Context, opts ...tasks.EnqueueOption) (tasks.Enqueued, error) {
		return h.cfg.Enqueuer.Voice(ctx, in.VoicePayload, opts...)
	})
}

// readPost reads what every JSON POST has: the query (dry_run), the
// Content-Type, the Idempotency-Key and the body (at most limit bytes),
// into v.
func (h *Handler) readPost(w http.ResponseWriter, r *http.Request, limit int64, v any) (dry bool, key string, p *problem) {
	if dry, p = postQuery(r.URL.Query()); p != nil {
		return false, "", p
	}
	if _, _, p = mediaType(r, mediaJSON); p != nil {
		return false, "", p
	}
	if key, p = idempotencyKey(r); p != nil {
		return false, "", p
	}
	if p = readJSON(w, r, limit, v); p != nil {
		return false, "", p
	}
	return dry, key, nil
}

// enqueue stores one send or voice message and answers it.
func (h *Handler) enqueue(w http.ResponseWriter, req *request, key string, opts []tasks.EnqueueOption, f enqueueFunc) int {
	// The task ID is chosen here even without a key, so that a 503 can
	// name the key that makes a repeat safe.
	id := key
	if id == "" {
		id = uuid.NewString()
	}
	ctx, cancel := h.context(0)
	defer cancel()
	res, err := f(ctx, append(opts, tasks.WithTaskID(id))...)
	if err != nil {
		if p := validationProblem(err, nil, 0); p != nil {
			return h.fail(w, req, p)
		}
		p := unavailable(err)
		p.key = id
		return h.fail(w, req, p)
	}
	req.taskIDs, req.duplicate = []string{res.ID}, res.Duplicate
	body := acceptedBody{ID: res.ID, Duplicate: res.Duplicate, Encoding: res.Encoding, Segments: res.Segments}
	w.Header().Set("Location", taskPath(res.ID))
	if !res.Duplicate {
		return writeJSON(w, http.StatusAccepted, body)
	}
	// A repeat: say what became of the original. Without an answer from
	// Redis the repeat is still a duplicate, only without its state.
	if st, err := h.status(ctx, res.ID); err == nil {
		body.State = st.State
		body.Result = h.result(st)
	}
	return writeJSON(w, http.StatusOK, body)
}

func (h *Handler) postBatch(w http.ResponseWriter, r *http.Request, req *request) int {
	mt, charset, p := mediaType(r, mediaJSON, mediaCSV)
	if p != nil {
		return h.fail(w, req, p)
	}
	var (
		in    batchBody
		lines []int // CSV: the line of each row
		dry   bool
		key   string
	)
	q := r.URL.Query()
	if mt == mediaJSON {
		if dry, key, p = h.readPost(w, r, h.cfg.MaxBatchBody, &in); p != nil {
			return h.fail(w, req, p)
		}
	} else {
		if dry, p = dryRunParam(q); p != nil {
			return h.fail(w, req, p)
		}
		if key, p = idempotencyKey(r); p != nil {
			return h.fail(w, req, p)
		}
		if len(q[paramQueue]) > 1 {
			return h.fail(w, req, fieldProblem(paramQueue, "given more than once"))
		}
		in.Queue = q.Get(paramQueue)
		if p = queryInto(q, &in.BatchPayload, "rows"); p != nil {
			return h.fail(w, req, p)
		}
		body, p := limitBody(w, r, h.cfg.MaxBatchBody)
		if p != nil {
			return h.fail(w, req, p)
		}
		if in.Rows, lines, p = readCSV(body, charset, h.cfg.MaxBatchBody); p != nil {
			return h.fail(w, req, p)
		}
	}
	opts := queueOptions(in.Queue)
	if dry {
		req.dryRun = true
		ctx, cancel := h.context(0)
		defer cancel()
		plans, err := h.cfg.Enqueuer.PlanBatch(ctx, in.BatchPayload, opts...)
		if err != nil {
			if p := validationProblem(err, lines, 0); p != nil {
				return h.fail(w, req, p)
			}
			return h.fail(w, req, unavailable(err))
		}
		out := &batchDryRunBody{}
		for _, plan := range plans {
			out.Chunks = append(out.Chunks, h.planBody(plan))
		}
		return writeJSON(w, http.StatusOK, out)
	}
	base := key
	if base == "" {
		base = uuid.NewString()
	}
	chunks := (len(in.Rows) + h.cfg.BatchChunk - 1) / h.cfg.BatchChunk
	ctx, cancel := h.context(chunks)
	defer cancel()
	res, err := h.cfg.Enqueuer.Batch(ctx, in.BatchPayload, append(opts, tasks.WithTaskID(base))...)
	body := batchAcceptedBody{IDs: make([]string, 0, len(res)), Duplicate: len(res) > 0}
	for _, c := range res {
		body.IDs = append(body.IDs, c.ID)
		body.Duplicate = body.Duplicate && c.Duplicate
		body.Messages += c.Segments
	}
	req.taskIDs = body.IDs
	if err != nil {
		if p := validationProblem(err, lines, 0); p != nil {
			return h.fail(w, req, p)
		}
		// Chunks enqueued so far stay; the same key enqueues only the rest.
		p := unavailable(err)
		p.detail = fmt.Sprintf("%d of %d chunks were enqueued before the queue became unreachable; repeat the request with Idempotency-Key: %s after Retry-After seconds to enqueue only the others", len(res), chunks, base)
		p.ids, p.key = body.IDs, base
		return h.fail(w, req, p)
	}
	req.duplicate = body.Duplicate
	if body.Duplicate {
		return writeJSON(w, http.StatusOK, body)
	}
	return writeJSON(w, http.StatusAccepted, body)
}

// dryRun answers what plan says would be sent: the same checks as an
// enqueue (validation, queue, expiry, marketing window, destinations),
// nothing enqueued.
func (h *Handler) dryRun(w http.ResponseWriter, req *request, plan func(context.Context) ([]tasks.Plan, error)) int {
	req.dryRun = true
	ctx, cancel := h.context(0)
	defer cancel()
	plans, err := plan(ctx)
	if err != nil {
		if p := validationProblem(err, nil, 0); p != nil {
			return h.fail(w, req, p)
		}
		return h.fail(w, req, unavailable(err))
	}
	return writeJSON(w, http.StatusOK, h.planBody(plans[0]))
}

func one(p *tasks.Plan, err error) ([]tasks.Plan, error) {
	if err != nil {
		return nil, err
	}
	return []tasks.Plan{*p}, nil
}

// planBody is a dry run's answer; send_at only when the marketing window
// moved the send time.
func (h *Handler) planBody(p tasks.Plan) dryRunBody {
	out := dryRunBody{Encoding: p.Encoding, Segments: p.Segments, Recipients: p.Recipients, Messages: p.Messages}
	if p.Deferred {
		out.SendAt = h.timestamp(p.SendAt)
	}
	return out
}

// validationProblem is the 422 of a *tasks.ValidationError, nil for any
// other error. For a batch row, offset is the index of the row's chunk's
// first row (a dry run validates chunk by chunk) and lines the CSV line
// of each row (nil for JSON).
func validationProblem(err error, lines []int, offset int) *problem {
	var ve *tasks.ValidationError
	if !errors.As(err, &ve) {
		return nil
	}
	n, isRow := ve.Row()
	if !isRow {
		return fieldProblem(ve.Field, ve.Error())
	}
	n += offset
	_, rest, _ := strings.Cut(ve.Field, "]")
	field := fmt.Sprintf("rows[%d]%s", n, rest)
	p := fieldProblem(field, "invalid "+field+": "+ve.Reason)
	if n < len(lines) {
		p.line = lines[n]
		p.detail = fmt.Sprintf("line %d: %s", p.line, p.detail)
	}
	return p
}

// context bounds the Redis work of a request: Timeout, plus a little per
// batch chunk. It does not end when the client goes away, so an enqueue
// that started finishes (a repeat then finds it).
func (h *Handler) context(chunks int) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), h.cfg.Timeout+time.Duration(chunks)*100*time.Millisecond)
}

func taskPath(id string) string { return "/v1/tasks/" + url.PathEscape(id) }

// timestamp formats t for an answer: RFC 3339 in SMSMODE_TIMEZONE, "" for
// the zero Time.
func (h *Handler) timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(h.cfg.Location).Format(time.RFC3339)
}
