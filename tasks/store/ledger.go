package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Acceptance is the ledger's record of a send the provider accepted.
type Acceptance struct {
	TaskID     string    `json:"task_id"`
	Type       string    `json:"type"`
	SMSID      string    `json:"sms_id"`
	Ref        string    `json:"ref,omitempty"`
	Recipients []string  `json:"recipients,omitempty"` // for status and cancel by number; empty for groups
	Segments   int       `json:"segments"`
	Encoding   string    `json:"encoding"`
	DateEnvoi  string    `json:"date_envoi"`
	SendAt     time.Time `json:"send_at,omitzero"` // the instant date_envoi stands for; zero: sent at once
	// DeferredUntil is set when the marketing window moved the send time to
	// its next opening (SendAt).
	DeferredUntil time.Time `json:"deferred_until,omitzero"`
	AcceptedAt    time.Time `json:"accepted_at"`
	Reconciled    bool      `json:"reconciled,omitempty"` // found in smsList after an ambiguous attempt
}

// Ledger is the acceptance ledger: which task IDs the provider has already
// accepted (and with which smsID), and which tasks had a provider call in
// flight whose outcome is unknown. It lives in the same Redis as the queue.
type Ledger struct {
	rdb redis.UniversalClient
	ttl time.Duration
}

// DefaultLedgerTTL keeps acceptances well beyond the provider's 30-day
// look-up window and any sane task retention, so a late duplicate enqueue
// with the same ID still finds them.
const DefaultLedgerTTL = 45 * 24 * time.Hour

// NewLedger returns a ledger stored in rdb, keeping entries for ttl
// (DefaultLedgerTTL unless a test needs another).
func NewLedger(rdb redis.UniversalClient, ttl time.Duration) (*Ledger, error) {
	if rdb == nil {
		return nil, errors.New("store: NewLedger needs a Redis client")
	}
	if ttl <= 0 {
		return nil, errors.New("store: NewLedger needs a positive TTL")
	}
	return &Ledger{rdb: rdb, ttl: ttl}, nil
}

// TaskKey is where asynq (v0.26, internal/base.TaskKey) keeps a task of
// queue: the hash whose "result" field its ResultWriter writes. A test
// checks the layout against asynq itself.
func TaskKey(queue, taskID string) string { return "asynq:{" + queue + "}:t:" + taskID }

// Keys share the hash tag {taskID} so the begin script touches one slot.
func acceptedKey(taskID string) string { return "smsq:{" + taskID + "}:accepted" }
func attemptKey(taskID string) string  { return "smsq:{" + taskID + "}:attempt" }
func smsKey(smsID string) string       { return "smsq:sms:" + smsID }

// beginScript returns the acceptance when there is one; otherwise the start of
// the earliest call whose outcome is still unknown, or, when there is none,
// records that a call starts now. Keeping the earliest start matters: it is
// the lower bound of the reconciliation window.
//
// A task that ended without a send (cancelled, expired: KEYS[3]) is
// reported first: nothing may send it again.
var beginScript = redis.NewScript(`
local e = redis.call('GET', KEYS[3])
if e then return {3, e} end
local v = redis.call('GET', KEYS[1])
if v then return {1, v} end
local prev = redis.call('GET', KEYS[2])
if prev then return {2, prev} end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return {0, ''}
`)

// Attempt is what Begin found.
type Attempt struct {
	Ended    *Ending     // non-nil: the task was cancelled or expired: never call the provider for it
	Accepted *Acceptance // non-nil: the provider already accepted this task: do not call it again
	Previous time.Time   // non-zero: an earlier call's outcome is unknown (crash, timeout): reconcile first
}

// Begin is called before every provider call. In one round trip it returns
// the task's acceptance if there is one, or records that a call is about to
// be made. If Begin fails, the provider must not be called.
func (l *Ledger) Begin(ctx context.Context, taskID string, now time.Time) (Attempt, error) {
	res, err := beginScript.Run(ctx, l.rdb, []string{acceptedKey(taskID), attemptKey(taskID), endedKey(taskID)},
		now.UnixMilli(), l.ttl.Milliseconds()).Slice()
	if err != nil {
		return Attempt{}, fmt.Errorf("ledger: begin %s: %w", taskID, err)
	}
	kind, _ := res[0].(int64)
	val, _ := res[1].(string)
	switch kind {
	case 1:
		var a Acceptance
		if err := json.Unmarshal([]byte(val), &a); err != nil {
			return Attempt{}, fmt.Errorf("ledger: corrupt acceptance of %s: %w", taskID, err)
		}
		return Attempt{Accepted: &a}, nil
	case 2:
		ms, _ := strconv.ParseInt(val, 10, 64)
		return Attempt{Previous: time.UnixMilli(ms)}, nil
	case 3:
		e, err := decodeEnding(taskID, val)
		if err != nil {
			return Attempt{}, err
		}
		return Attempt{Ended: e}, nil
	}
	return Attempt{}, nil
}

// Lookup returns the task's acceptance, or nil when the provider has not accepted it.
func (l *Ledger) Lookup(ctx context.Context, taskID string) (*Acceptance, error) {
	v, err := l.rdb.Get(ctx, acceptedKey(taskID)).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ledger: lookup %s: %w", taskID, err)
	}
	var a Acceptance
	if err := json.Unmarshal([]byte(v), &a); err != nil {
		return nil, fmt.Errorf("ledger: corrupt acceptance of %s: %w", taskID, err)
	}
	return &a, nil
}

// TaskForSMS returns the task whose send got smsID ("" when unknown).
func (l *Ledger) TaskForSMS(ctx context.Context, smsID string) (string, error) {
	v, err := l.rdb.Get(ctx, smsKey(smsID)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	return v, err
}

// acceptScript stores an acceptance in one round trip and atomically: it
// binds smsID (KEYS[1]) to the task unless another task owns it already
// (then it changes nothing and returns 0), stores the acceptance (KEYS[2])
// and clears the in-flight marker (KEYS[3]). The first time it also adds
// the message to the delivery-poll index (KEYS[4], member ARGV[5] scored
// ARGV[4]; see DeliveryPolls): a recorded acceptance can never miss it, and
// recording again (a retry after a lost answer) does not put back a message
// the poller has already moved on. smsq's Redis is a single server or a
// Sentinel-managed one (REDIS_URL), never a Cluster, where the smsID key and
// the task's keys would be in different slots.
//
// With a fifth key, the task's asynq hash, it also writes the task's result
// there (field "result", what asynq's ResultWriter writes), if the task
// still exists: one round trip for what would be two.
var acceptScript = redis.NewScript(`
local owner = redis.call('GET', KEYS[1])
if owner and owner ~= ARGV[1] then return 0 end
if redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('ZADD', KEYS[4], ARGV[4], ARGV[5])
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[2])
redis.call('DEL', KEYS[3])
if KEYS[5] and redis.call('EXISTS', KEYS[5]) == 1 then
  redis.call('HSET', KEYS[5], 'result', ARGV[6])
end
return 1
`)

// Claimed reports whether smsID already belongs to a task other than taskID.
func (l *Ledger) Claimed(ctx context.Context, smsID, taskID string) (bool, error) {
	owner, err := l.TaskForSMS(ctx, smsID)
	if err != nil {
		return false, err
	}
	return owner != "" && owner != taskID, nil
}

// Record stores an acceptance. It is called as soon as the provider accepts,
// and retried by the caller until it succeeds: a lost record is the only way
// a message could be paid twice. The same round trip indexes the message
// for delivery-report polling (DeliveryPolls), from its acceptance or, when
// later, its SendAt.
func (l *Ledger) Record(ctx context.Context, a *Acceptance) error {
	return l.RecordWithResult(ctx, a, "", nil)
}

// RecordWithResult is Record that also writes result as the result of the
// task in its asynq queue (the hash asynq keeps at taskKey): the worker's
// two writes after an acceptance in one round trip. An empty taskKey writes
// no result.
func (l *Ledger) RecordWithResult(ctx context.Context, a *Acceptance, taskKey string, result []byte) error {
	b, err := json.Marshal(a)
	if err != nil {
		return err
	}
	start := pollStart(a)
	keys := []string{smsKey(a.SMSID), acceptedKey(a.TaskID), attemptKey(a.TaskID), dlrNewKey}
	if taskKey != "" {
		keys = append(keys, taskKey)
	}
	ok, err := acceptScript.Run(ctx, l.rdb, keys,
		a.TaskID, l.ttl.Milliseconds(), b, start.UnixMilli(), pollMember(a.TaskID, start), result).Int()
	if err != nil {
		return fmt.Errorf("ledger: record %s: %w", a.TaskID, err)
	}
	if ok == 0 {
		return fmt.Errorf("ledger: smsID %s already belongs to another task", a.SMSID)
	}
	return nil
}

// Forget clears the in-flight marker after a call the provider certainly did
// not accept (it answered with an error code), so the next attempt needs no
// reconciliation.
func (l *Ledger) Forget(ctx context.Context, taskID string) error {
	return l.rdb.Del(ctx, attemptKey(taskID)).Err()
}
