package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/smsq/smsq/tasks/internal/rules"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/tasks/store"
)

// ErrNotFound is a task ID that neither the queues nor the ledger know.
var ErrNotFound = errors.New("no task with this ID")

// Task states, as every interface reports them.
const (
	StatePending   = "pending"
	StateScheduled = "scheduled"
	StateActive    = "active"
	StateRetry     = "retry"
	StateCompleted = "completed" // sMsmode accepted it
	StateArchived  = "archived"  // refused or failed for good; LastError says why
	StateCancelled = store.StateCancelled
	StateExpired   = store.StateExpired // its expires_at passed before sMsmode accepted it
)

// TaskStatus is what `enqueue status` shows about one task.
type TaskStatus struct {
	ID            string
	Type          string
	Queue         string
	State         string // one of the State constants
	Attempts      int    // provider attempts so far (retries + the current/first run)
	MaxRetry      int
	LastError     string
	LastFailedAt  time.Time
	NextProcessAt time.Time
	CompletedAt   time.Time
	ExpiresAt     time.Time // the payload's expires_at, if any
	Result        *Result
	Acceptance    *store.Acceptance // from the ledger, once the provider accepted the task
	// Ending says when (and, after hand-over, which smsID) for a cancelled
	// or expired task.
	Ending *store.Ending
	// Recipients is each recipient's latest delivery report (empty until
	// a callback or a poll of compteRendu.do reports).
	Recipients []store.RecipientState
}

// Inspector answers status questions and cancels tasks.
type Inspector struct {
	insp   *asynq.Inspector
	client *asynq.Client
	ledger *store.Ledger
	store  *store.RecipientStore
}

// NewInspector returns an Inspector over the queues, the acceptance ledger
// and the recipient statuses in rdb (see OpenRedis). It does not close rdb.
func NewInspector(rdb redis.UniversalClient) (*Inspector, error) {
	if rdb == nil {
		return nil, errors.New("tasks: NewInspector needs a Redis client")
	}
	ledger, err := store.NewLedger(rdb, store.DefaultLedgerTTL)
	if err != nil {
		return nil, err
	}
	recipients, err := store.NewRecipientStore(rdb, store.DefaultRecipientTTL)
	if err != nil {
		return nil, err
	}
	return &Inspector{
		insp: asynq.NewInspectorFromRedisClient(rdb), client: asynq.NewClientFromRedisClient(rdb),
		ledger: ledger, store: recipients,
	}, nil
}

// resultOf is the task result of an acceptance.
func resultOf(a *store.Acceptance) *Result {
	return &Result{SMSID: a.SMSID, Segments: a.Segments, Encoding: a.Encoding, DateEnvoi: a.DateEnvoi, DeferredUntil: a.DeferredUntil}
}

// withRecipients adds the delivery reports of a task the provider accepted.
func (i *Inspector) withRecipients(ctx context.Context, st *TaskStatus) (*TaskStatus, error) {
	if st.Acceptance == nil {
		return st, nil
	}
	rs, err := i.store.Recipients(ctx, st.ID, st.Acceptance.SMSID)
	if err != nil {
		return nil, err
	}
	st.Recipients = rs
	return st, nil
}

// find looks the task up in every queue, in name order, so that the
// answer is deterministic.
func (i *Inspector) find(id string) (*asynq.TaskInfo, error) {
	queues, err := i.insp.Queues()
	if err != nil {
		return nil, err
	}
	slices.Sort(queues)
	for _, q := range queues {
		info, err := i.insp.GetTaskInfo(q, id)
		if err == nil {
			return info, nil
		}
		if !errors.Is(err, asynq.ErrTaskNotFound) && !errors.Is(err, asynq.ErrQueueNotFound) {
			return nil, err
		}
	}
	return nil, ErrNotFound
}

// Status returns the task's state and, once accepted, its smsID and its
// recipients' delivery statuses. The ledger decides first: a cancelled or
// expired task is that, whatever its queue says; an accepted one is
// completed (also once the queue has forgotten it).
func (i *Inspector) Status(ctx context.Context, id string) (*TaskStatus, error) {
	info, err := i.find(id)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	acc, err := i.ledger.Lookup(ctx, id)
	if err != nil {
		return nil, err
	}
	ending, err := i.ledger.Ending(ctx, id)
	if err != nil {
		return nil, err
	}
	if info == nil && acc == nil && ending == nil {
		return nil, ErrNotFound
	}
	st := &TaskStatus{ID: id, Acceptance: acc, Ending: ending}
	if info != nil {
		st.Type, st.Queue, st.State = info.Type, info.Queue, info.State.String()
		st.Attempts, st.MaxRetry, st.LastError = info.Retried, maxRetry(info), info.LastErr
		st.LastFailedAt, st.NextProcessAt, st.CompletedAt = info.LastFailedAt, info.NextProcessAt, info.CompletedAt
		if info.State == asynq.TaskStateActive || info.State == asynq.TaskStateCompleted || info.State == asynq.TaskStateArchived || info.Retried > 0 {
			st.Attempts = info.Retried + 1
		}
		if len(info.Result) > 0 {
			var r Result
			if json.Unmarshal(info.Result, &r) == nil {
				st.Result = &r
			}
		}
		st.ExpiresAt = expiresAt(info.Payload)
	} else if acc != nil {
		st.Type = acc.Type
	} else {
		st.Type = ending.Type
	}
	switch {
	case ending != nil:
		st.State = ending.State
		if st.Result == nil || st.Result.State == "" {
			r := Result{State: ending.State, At: ending.At, SMSID: ending.SMSID}
			if acc != nil {
				r = *resultOf(acc)
				r.State, r.At = ending.State, ending.At
			}
			st.Result = &r
		}
	case acc != nil:
		// The queue's record may be gone (retention) or behind (a result
		// write interrupted): the acceptance is what happened.
		st.State = StateCompleted
		if st.Result == nil {
			st.Result = resultOf(acc)
		}
		if st.CompletedAt.IsZero() {
			// Accepted, the queue not told yet (or no longer knowing): the
			// task was completed when the provider accepted it.
			st.CompletedAt = acc.AcceptedAt
		}
	case !st.ExpiresAt.IsZero() && !time.Now().Before(st.ExpiresAt) && st.State != StateArchived && st.State != StateActive:
		// The worker never hands it over now: it will end expired.
		st.State = StateExpired
	}
	return i.withRecipients(ctx, st)
}

// expiresAt reads a send, voice or batch payload's expires_at.
func expiresAt(payload []byte) time.Time {
	var p struct {
		ExpiresAt time.Time `json:"expires_at"`
	}
	_ = json.Unmarshal(payload, &p)
	return p.ExpiresAt
}

// maxRetry is the task's MAX_RETRY: send tasks keep one asynq retry in
// hand (see rules.SendRetries).
func maxRetry(info *asynq.TaskInfo) int {
	switch info.Type {
	case TypeSend, TypeVoice, TypeBatch:
		return rules.SendRetries(info.MaxRetry)
	}
	return info.MaxRetry
}

// Deleter cancels a message the provider holds (smsmode.Client.DeleteSMS).
type Deleter interface {
	DeleteSMS(ctx context.Context, smsID string) error
}

// CancelOutcome says what Cancel did.
type CancelOutcome string

// Cancel outcomes.
const (
	CancelledInQueue    CancelOutcome = "cancelled before it reached sMsmode"
	CancelledAtProvider CancelOutcome = "cancelled at sMsmode (deleteSMS.do)"
	AlreadyCancelled    CancelOutcome = "already cancelled"
	AlreadyExpired      CancelOutcome = "already expired: nothing was sent"
)

// CancelError explains why a task cannot be cancelled. Temporary means
// the same cancel may succeed later (a call in flight, sMsmode
// unreachable); otherwise it never will (too late).
type CancelError struct {
	Reason    string
	Temporary bool
}

// Error implements error.
func (e *CancelError) Error() string { return "cannot cancel: " + e.Reason }

// cancelWait bounds how long Cancel waits for a worker to cancel at
// sMsmode on its behalf, when ctx has no earlier deadline.
const cancelWait = 30 * time.Second

// Cancel stops a message: before hand-over it is recorded as cancelled
// (atomically with the worker's check, so no worker sends it after that)
// and removed from its queue; a message sMsmode holds for a later
// date_envoi is deleted there with deleteSMS.do — through provider, or,
// when provider is nil (a producer without credentials), by a worker on
// the critical queue. Cancelling again is harmless (AlreadyCancelled).
// Errors: ErrNotFound, *CancelError, or a Redis or provider failure.
func (i *Inspector) Cancel(ctx context.Context, id string, provider Deleter, now time.Time) (CancelOutcome, error) {
	info, err := i.find(id)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return "", err
	}
	if info == nil {
		known, err := i.ledger.Known(ctx, id)
		if err != nil {
			return "", err
		}
		if !known {
			return "", ErrNotFound
		}
	}
	typ := ""
	if info != nil {
		typ = info.Type
	}
	prior, err := i.ledger.CancelQueued(ctx, id, typ, now)
	switch {
	case errors.Is(err, store.ErrInFlight):
		return "", &CancelError{Temporary: true, Reason: "a worker is handing it to sMsmode right now, or checking an unanswered call; run cancel again in a moment"}
	case errors.Is(err, store.ErrAccepted):
		out, err := i.cancelAtProvider(ctx, id, provider, now)
		if err == nil {
			i.tidy(info)
		}
		return out, err
	case err != nil:
		return "", err
	}
	if prior != nil {
		return endedOutcome(prior), nil
	}
	i.tidy(info)
	return CancelledInQueue, nil
}

// tidy removes a cancelled task from its queue unless a worker holds it
// or it completed: a worker would end it as cancelled anyway (the ledger
// decides), so this only keeps the queues truthful.
func (i *Inspector) tidy(info *asynq.TaskInfo) {
	if info != nil && info.State != asynq.TaskStateActive && info.State != asynq.TaskStateCompleted {
		_ = i.insp.DeleteTask(info.Queue, info.ID)
	}
}

func endedOutcome(e *store.Ending) CancelOutcome {
	if e.State == store.StateExpired {
		return AlreadyExpired
	}
	return AlreadyCancelled
}

// cancelAtProvider deletes a message sMsmode accepted, while it still
// holds it.
func (i *Inspector) cancelAtProvider(ctx context.Context, id string, provider Deleter, now time.Time) (CancelOutcome, error) {
	acc, err := i.ledger.Lookup(ctx, id)
	if err != nil {
		return "", err
	}
	if acc == nil { // cannot happen: CancelQueued saw it
		return "", fmt.Errorf("cancel %s: the acceptance vanished", id)
	}
	if acc.DateEnvoi == "" {
		return "", &CancelError{Reason: fmt.Sprintf("too late: sMsmode accepted it for immediate sending (smsID %s)", acc.SMSID)}
	}
	if !acc.SendAt.After(now) {
		return "", &CancelError{Reason: fmt.Sprintf("too late: its date_envoi %s has passed, sMsmode has sent it (smsID %s)", acc.DateEnvoi, acc.SMSID)}
	}
	if provider == nil {
		return i.delegateCancel(ctx, id, acc)
	}
	if err := provider.DeleteSMS(ctx, acc.SMSID); err != nil {
		if prior, _ := i.ledger.Ending(ctx, id); prior != nil {
			return endedOutcome(prior), nil // a concurrent cancel won
		}
		if rules.IsNotHeld(err) {
			return "", &CancelError{Reason: fmt.Sprintf("too late: sMsmode no longer holds smsID %s (sent or deleted already): %v", acc.SMSID, err)}
		}
		// sMsmode unavailable, no answer, a 5xx: the same cancel may work
		// later; a refusal (bad credentials, code 32) will not.
		temporary := smsmode.IsTemporary(err) || smsmode.IsInternal(err) || smsmode.IsAmbiguous(err)
		return "", &CancelError{Temporary: temporary, Reason: fmt.Sprintf("deleteSMS.do %s: %v", acc.SMSID, err)}
	}
	prior, err := i.ledger.End(ctx, id, store.Ending{State: store.StateCancelled, At: now, SMSID: acc.SMSID})
	if err != nil {
		return "", err
	}
	if prior != nil {
		return endedOutcome(prior), nil
	}
	return CancelledAtProvider, nil
}

// delegateCancel asks a worker (which has the provider's credentials) to
// delete the message, and waits for the ledger to say it did.
func (i *Inspector) delegateCancel(ctx context.Context, id string, acc *store.Acceptance) (CancelOutcome, error) {
	b, err := json.Marshal(rules.CancelPayload{TaskID: id, SMSID: acc.SMSID})
	if err != nil {
		return "", err
	}
	cid := "cancel:" + id
	_, err = i.client.EnqueueContext(ctx, asynq.NewTask(rules.TypeCancel, b), asynq.TaskID(cid), asynq.Queue(QueueCritical),
		asynq.MaxRetry(5), asynq.Retention(time.Hour), asynq.Timeout(time.Minute))
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return "", err
	}
	wait, cancel := ctx, context.CancelFunc(func() {})
	if _, ok := ctx.Deadline(); !ok {
		wait, cancel = context.WithTimeout(ctx, cancelWait)
	}
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if e, err := i.ledger.Ending(wait, id); err == nil && e != nil {
			return CancelledAtProvider, nil
		}
		if info, err := i.insp.GetTaskInfo(QueueCritical, cid); err == nil && info.State == asynq.TaskStateArchived {
			_ = i.insp.DeleteTask(QueueCritical, cid) // a later cancel may try again
			return "", &CancelError{Reason: info.LastErr}
		}
		select {
		case <-wait.Done():
			return "", &CancelError{Temporary: true, Reason: "handed to the workers (queue critical), not confirmed yet: run cancel again in a moment"}
		case <-tick.C:
		}
	}
}
