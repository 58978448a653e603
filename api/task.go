package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/tasks"
)

// stateCancelled is the state of a cancelled task and of the answer to a
// cancellation.
const stateCancelled = "cancelled"

// statusBody answers GET /v1/tasks/{id}.
type statusBody struct {
	ID        string      `json:"id"`
	Type      string      `json:"type"`
	Queue     string      `json:"queue"` // "" once only the ledger remembers the task (expired)
	State     string      `json:"state"`
	Attempts  int         `json:"attempts"`
	MaxRetry  int         `json:"max_retry"`
	LastError string      `json:"last_error"`
	Result    *resultBody `json:"result"`
	// NextAttemptAt is when a scheduled or retried task runs next.
	NextAttemptAt string          `json:"next_attempt_at,omitempty"`
	CompletedAt   string          `json:"completed_at,omitempty"`
	Recipients    []recipientBody `json:"recipients"`
}

// resultBody is what sMsmode answered a task.
type resultBody struct {
	SMSID    string `json:"sms_id"`
	Segments int    `json:"segments"`
	Encoding string `json:"encoding"`
	SendAt   string `json:"send_at,omitempty"` // date_envoi, when sMsmode holds the message for later
}

// recipientBody is one recipient's latest delivery report.
type recipientBody struct {
	To         string `json:"to"`
	Status     int    `json:"status"`
	StatusText string `json:"status_text"`
	Final      bool   `json:"final"`
	At         string `json:"at"`
}

// cancelledBody answers DELETE /v1/tasks/{id}.
type cancelledBody struct {
	ID    string `json:"id"`
	State string `json:"state"`
}

func (h *Handler) getTask(w http.ResponseWriter, _ *http.Request, req *request) int {
	ctx, cancel := h.context(0)
	defer cancel()
	st, err := h.status(ctx, req.id)
	switch {
	case errors.Is(err, tasks.ErrNotFound):
		return h.fail(w, req, notFound(req.id))
	case err != nil:
		return h.fail(w, req, unavailable(err))
	}
	req.taskIDs = []string{st.ID}
	body := statusBody{
		ID: st.ID, Type: st.Type, Queue: st.Queue, State: st.State,
		Attempts: st.Attempts, MaxRetry: st.MaxRetry, LastError: st.LastError,
		Result:     h.result(st),
		Recipients: make([]recipientBody, 0, len(st.Recipients)),
	}
	if st.State == "scheduled" || st.State == "retry" {
		body.NextAttemptAt = h.timestamp(st.NextProcessAt)
	}
	body.CompletedAt = h.timestamp(st.CompletedAt)
	for _, rc := range st.Recipients {
		body.Recipients = append(body.Recipients, recipientBody{
			To: rc.Number, Status: rc.Status, StatusText: rc.StatusText, Final: rc.Final, At: h.timestamp(rc.ReceivedAt),
		})
	}
	return writeJSON(w, http.StatusOK, body)
}

func (h *Handler) cancelTask(w http.ResponseWriter, _ *http.Request, req *request) int {
	ctx, cancel := h.context(0)
	defer cancel()
	req.taskIDs = []string{req.id}
	outcome, err := bounded(ctx, func(ctx context.Context) (tasks.CancelOutcome, error) {
		return h.cfg.Inspector.Cancel(ctx, req.id, h.cfg.Deleter, h.now())
	})
	var ce *tasks.CancelError
	switch {
	case err == nil && outcome == tasks.AlreadyExpired:
		req.outcome = string(outcome)
		return h.fail(w, req, newProblem(problemCannotCancel, "cannot cancel "+req.id+": it expired, nothing was sent"))
	case err == nil:
		req.outcome = string(outcome)
		return writeJSON(w, http.StatusOK, cancelledBody{ID: req.id, State: stateCancelled})
	case errors.Is(err, tasks.ErrNotFound):
		return h.fail(w, req, notFound(req.id))
	case errors.As(err, &ce) && !ce.Temporary:
		return h.fail(w, req, newProblem(problemCannotCancel, "cannot cancel "+req.id+": "+ce.Reason))
	}
	// Redis unreachable, sMsmode temporarily unavailable, a worker handing
	// it over right now: repeat later.
	p := unavailable(err)
	p.detail = "the cancellation could not be completed right now; repeat it after Retry-After seconds"
	if ce != nil {
		p.detail = ce.Reason + "; repeat it after Retry-After seconds"
	}
	return h.fail(w, req, p)
}

func notFound(id string) *problem {
	return newProblem(problemNotFound, fmt.Sprintf("no task %q: finished tasks are kept TASK_RETENTION, and a batch's tasks are its chunks ID-1, ID-2 …", clip(id, 80)))
}

// status is Inspector.Status, bounded by ctx.
func (h *Handler) status(ctx context.Context, id string) (*tasks.TaskStatus, error) {
	return bounded(ctx, func(ctx context.Context) (*tasks.TaskStatus, error) {
		return h.cfg.Inspector.Status(ctx, id)
	})
}

// result renders a task's provider answer.
func (h *Handler) result(st *tasks.TaskStatus) *resultBody {
	if st.Result == nil || st.Result.SMSID == "" {
		return nil // not (yet) accepted, or ended without a send
	}
	out := &resultBody{SMSID: st.Result.SMSID, Segments: st.Result.Segments, Encoding: st.Result.Encoding}
	switch {
	case st.Acceptance != nil && !st.Acceptance.SendAt.IsZero():
		out.SendAt = h.timestamp(st.Acceptance.SendAt)
	case st.Result.DateEnvoi != "":
		if t, err := time.ParseInLocation(smsmode.LayoutSendDate, st.Result.DateEnvoi, h.cfg.Location); err == nil {
			out.SendAt = h.timestamp(t)
		}
	}
	return out
}

// bounded runs f and returns its result, or ctx's error once ctx is done
// even if f has not returned: the asynq inspector behind tasks.Inspector
// takes no context, and with Redis unreachable it would hold the client
// for as long as go-redis retries. A panic in f is raised again here, where
// ServeHTTP recovers it.
func bounded[T any](ctx context.Context, f func(context.Context) (T, error)) (T, error) {
	type outcome struct {
		v     T
		err   error
		panic any
	}
	done := make(chan outcome, 1)
	go func() {
		var o outcome
		defer func() {
			o.panic = recover()
			done <- o
		}()
		o.v, o.err = f(ctx)
	}()
	select {
	case o := <-done:
		if o.panic != nil {
			panic(o.panic)
		}
		return o.v, o.err
	case <-ctx.Done():
		var zero T
		return zero, fmt.Errorf("no answer from Redis within the timeout: %w", ctx.Err())
	}
}
