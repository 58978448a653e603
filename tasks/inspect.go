package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/smsq/smsq/tasks/store"
)

// ErrNotFound is a task ID that neither the queues nor the ledger know.
var ErrNotFound = errors.New("no task with this ID")

// TaskStatus is what `enqueue status` shows about one task.
type TaskStatus struct {
	ID            string
	Type          string
	Queue         string
	State         string // pending, scheduled, active, retry, archived, completed; "expired" when only the ledger remembers it
	Attempts      int    // provider attempts so far (retries + the current/first run)
	MaxRetry      int
	LastError     string
	LastFailedAt  time.Time
	NextProcessAt time.Time
	CompletedAt   time.Time
	Result        *Result
	Acceptance    *store.Acceptance // from the ledger, once the provider accepted the task
	// Recipients is each recipient's latest delivery report (empty until
	// sMsmode calls back).
	Recipients []store.RecipientState
}

// Inspector answers status questions and cancels tasks.
type Inspector struct {
	insp   *asynq.Inspector
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
	return &Inspector{insp: asynq.NewInspectorFromRedisClient(rdb), ledger: ledger, store: recipients}, nil
}

// resultOf is the task result of an acceptance.
func resultOf(a *store.Acceptance) *Result {
	return &Result{SMSID: a.SMSID, Segments: a.Segments, Encoding: a.Encoding, DateEnvoi: a.DateEnvoi}
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

// find looks the task up in every queue.
func (i *Inspector) find(id string) (*asynq.TaskInfo, error) {
	queues, err := i.insp.Queues()
	if err != nil {
		return nil, err
	}
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

// Status returns the task's state and, once accepted, its smsID.
func (i *Inspector) Status(ctx context.Context, id string) (*TaskStatus, error) {
	info, err := i.find(id)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	acc, lerr := i.ledger.Lookup(ctx, id)
	if lerr != nil {
		return nil, lerr
	}
	if info == nil {
		if acc == nil {
			return nil, ErrNotFound
		}
		return i.withRecipients(ctx, &TaskStatus{ID: id, Type: acc.Type, State: "expired", Result: resultOf(acc), Acceptance: acc})
	}
	st := &TaskStatus{
		ID: info.ID, Type: info.Type, Queue: info.Queue, State: info.State.String(),
		Attempts: info.Retried, MaxRetry: maxRetry(info), LastError: info.LastErr,
		LastFailedAt: info.LastFailedAt, NextProcessAt: info.NextProcessAt, CompletedAt: info.CompletedAt,
		Acceptance: acc,
	}
	if info.State == asynq.TaskStateActive || info.State == asynq.TaskStateCompleted || info.State == asynq.TaskStateArchived || info.Retried > 0 {
		st.Attempts = info.Retried + 1
	}
	if len(info.Result) > 0 {
		var r Result
		if json.Unmarshal(info.Result, &r) == nil {
			st.Result = &r
		}
	}
	if st.Result == nil && acc != nil {
		st.Result = resultOf(acc)
	}
	return i.withRecipients(ctx, st)
}

// maxRetry is the task's MAX_RETRY: send tasks keep one asynq retry in
// hand (see SendRetries).
func maxRetry(info *asynq.TaskInfo) int {
	switch info.Type {
	case TypeSend, TypeVoice, TypeBatch:
		return SendRetries(info.MaxRetry)
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
	CancelledInQueue    CancelOutcome = "deleted from the queue before it reached sMsmode"
	CancelledAtProvider CancelOutcome = "cancelled at sMsmode (deleteSMS.do)"
)

// CancelError explains why a task cannot be cancelled.
type CancelError struct{ Reason string }

// Error implements error.
func (e *CancelError) Error() string { return "cannot cancel: " + e.Reason }

// Cancel stops a message: a task not yet handed to sMsmode is deleted from
// its queue; a message sMsmode holds for a later date_envoi is deleted there
// with deleteSMS.do (provider may be nil when the caller has no credentials).
func (i *Inspector) Cancel(ctx context.Context, id string, provider Deleter, now time.Time) (CancelOutcome, error) {
	info, err := i.find(id)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return "", err
	}
	acc, err := i.ledger.Lookup(ctx, id)
	if err != nil {
		return "", err
	}
	if acc != nil {
		if acc.DateEnvoi == "" {
			return "", &CancelError{Reason: fmt.Sprintf("sMsmode accepted it for immediate sending (smsID %s)", acc.SMSID)}
		}
		if !acc.SendAt.After(now) {
			return "", &CancelError{Reason: fmt.Sprintf("its date_envoi %s has passed: sMsmode has sent it (smsID %s)", acc.DateEnvoi, acc.SMSID)}
		}
		if provider == nil {
			return "", &CancelError{Reason: "sMsmode holds it: SMSMODE_ACCESS_TOKEN is needed to cancel it there"}
		}
		if err := provider.DeleteSMS(ctx, acc.SMSID); err != nil {
			return "", fmt.Errorf("deleteSMS.do %s: %w", acc.SMSID, err)
		}
		if info != nil && info.State != asynq.TaskStateActive && info.State != asynq.TaskStateCompleted {
			_ = i.insp.DeleteTask(info.Queue, id) // a retry whose result write failed: nothing left to do
		}
		return CancelledAtProvider, nil
	}
	if info == nil {
		return "", ErrNotFound
	}
	switch info.State {
	case asynq.TaskStateActive:
		return "", &CancelError{Reason: "a worker is handing it to sMsmode right now; run cancel again in a moment"}
	case asynq.TaskStateCompleted:
		return "", &CancelError{Reason: "it completed without an acceptance on record"}
	}
	if err := i.insp.DeleteTask(info.Queue, id); err != nil {
		if errors.Is(err, asynq.ErrTaskNotFound) || strings.Contains(err.Error(), "active") {
			return "", &CancelError{Reason: "a worker picked it up meanwhile; run cancel again in a moment"}
		}
		return "", err
	}
	// A worker may have taken it between find and delete: the ledger tells.
	if acc, _ := i.ledger.Lookup(ctx, id); acc != nil {
		return i.Cancel(ctx, id, provider, now)
	}
	return CancelledInQueue, nil
}
