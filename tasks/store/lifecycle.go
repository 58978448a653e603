package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// States of a task that ended without being sent.
const (
	StateCancelled = "cancelled"
	StateExpired   = "expired"
)

// Ending is how a task ended without a send: cancelled (before or after it
// was handed to sMsmode) or expired (its expires_at passed first). Once
// recorded it is final: no retry, reconciliation or duplicate enqueue sends
// the task again, and every interface reports this state.
type Ending struct {
	State string    `json:"state"` // StateCancelled or StateExpired
	At    time.Time `json:"at"`
	Type  string    `json:"type,omitempty"` // the task's type, once its queue forgot it
	// SMSID is the message sMsmode held and deleted (deleteSMS.do), for a
	// cancellation after hand-over.
	SMSID string `json:"sms_id,omitempty"`
}

func endedKey(taskID string) string { return "smsq:{" + taskID + "}:ended" }

func decodeEnding(taskID, v string) (*Ending, error) {
	var e Ending
	if err := json.Unmarshal([]byte(v), &e); err != nil {
		return nil, fmt.Errorf("ledger: corrupt ending of %s: %w", taskID, err)
	}
	return &e, nil
}

// cancelScript records a cancellation before hand-over, unless a call is
// in flight or the provider accepted the task (then the caller must cancel
// at the provider). KEYS: ended, accepted, attempt. Returns {0} when
// recorded, {3, ending} when the task had ended already, {1} accepted, {2}
// in flight.
var cancelScript = redis.NewScript(`
local e = redis.call('GET', KEYS[1])
if e then return {3, e} end
if redis.call('EXISTS', KEYS[2]) == 1 then return {1, ''} end
if redis.call('EXISTS', KEYS[3]) == 1 then return {2, ''} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return {0, ''}
`)

// Errors of CancelQueued.
var (
	ErrAccepted = errors.New("ledger: sMsmode accepted the task")
	ErrInFlight = errors.New("ledger: a provider call for the task is in flight")
)

// CancelQueued records the cancellation of a task that has not reached
// sMsmode, atomically with the worker's Begin: a worker that starts after
// it finds the ending and does not call the provider. It returns the
// task's earlier ending (nil when this call recorded it), ErrAccepted when
// sMsmode accepted it (cancel it there, then End), or ErrInFlight when a
// call is under way or its outcome unknown (try again shortly).
func (l *Ledger) CancelQueued(ctx context.Context, taskID, typ string, at time.Time) (*Ending, error) {
	b, err := json.Marshal(Ending{State: StateCancelled, At: at, Type: typ})
	if err != nil {
		return nil, err
	}
	res, err := cancelScript.Run(ctx, l.rdb, []string{endedKey(taskID), acceptedKey(taskID), attemptKey(taskID)},
		b, l.ttl.Milliseconds()).Slice()
	if err != nil {
		return nil, fmt.Errorf("ledger: cancel %s: %w", taskID, err)
	}
	kind, _ := res[0].(int64)
	switch kind {
	case 1:
		return nil, ErrAccepted
	case 2:
		return nil, ErrInFlight
	case 3:
		v, _ := res[1].(string)
		return decodeEnding(taskID, v)
	}
	return nil, nil
}

// End records that the task ended as e (an expiry, or a cancellation at
// the provider) and clears its in-flight marker. A task ends once: the
// earlier ending is returned, unchanged, when there is one.
func (l *Ledger) End(ctx context.Context, taskID string, e Ending) (*Ending, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	res, err := endScript.Run(ctx, l.rdb, []string{endedKey(taskID), attemptKey(taskID)}, b, l.ttl.Milliseconds()).Result()
	if err != nil {
		return nil, fmt.Errorf("ledger: end %s: %w", taskID, err)
	}
	if v, ok := res.(string); ok && v != "" {
		return decodeEnding(taskID, v)
	}
	return nil, nil
}

var endScript = redis.NewScript(`
local e = redis.call('GET', KEYS[1])
if e then return e end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('DEL', KEYS[2])
return ''
`)

// Ending returns how the task ended without a send, or nil.
func (l *Ledger) Ending(ctx context.Context, taskID string) (*Ending, error) {
	v, err := l.rdb.Get(ctx, endedKey(taskID)).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ledger: ending of %s: %w", taskID, err)
	}
	return decodeEnding(taskID, v)
}

// Known reports in one round trip whether the ledger remembers taskID (an
// acceptance, an ending, a call in flight) or any of others (keys of the
// caller's, e.g. the task in each queue) exists: a producer's test for an
// ID that exists anywhere.
func (l *Ledger) Known(ctx context.Context, taskID string, others ...string) (bool, error) {
	keys := append([]string{acceptedKey(taskID), endedKey(taskID), attemptKey(taskID)}, others...)
	n, err := l.rdb.Exists(ctx, keys...).Result()
	if err != nil {
		return false, fmt.Errorf("ledger: look up %s: %w", taskID, err)
	}
	return n > 0, nil
}
