package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hibiken/asynq"

	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/tasks/store"
)

// EventConfig configures the built-in handlers of the events queue.
type EventConfig struct {
	// Store records each recipient's latest delivery status (read by
	// `enqueue status`). Required.
	Store *store.RecipientStore
	// Ledger tells which send task got a report's smsID and to which
	// numbers: only reports it vouches for change a status or reach the
	// application. Required.
	Ledger *store.Ledger
	// Forwarder posts every verified event to the application
	// (EVENTS_FORWARD_URL). Nil: events are not forwarded.
	Forwarder *Forwarder
}

// EventHandler runs the sms:delivery and sms:reply follow-up tasks: it
// records delivery statuses in the RecipientStore and forwards events to
// the application. Running the same event twice is harmless: recording is
// idempotent and a forwarded event carries its task ID for the receiver to
// deduplicate.
//
// # Verification
//
// Anyone who learns the webhook URL can post callbacks, and the provider
// does not sign them, so an event is believed only as far as the ledger
// vouches for it. A report counts when its smsID is one smsq got for a
// send and its number (a reply's sender) is one of that send's recipients
// (any number for a send to a contact group, whose numbers smsq never
// knew). Its task_id is then the ledger's: the one the callback's path
// claimed (webhook.DeliveryURL) is checked, not trusted, and a path that
// names another task is overruled (logged as claimed_task_id), so a forger
// cannot attach a real report to the wrong task, nor, by posting a copy
// under a wrong path first, make the genuine one a dropped duplicate.
// Other events change no status, are not forwarded, and complete with
// verified=false and the reason in their log line. A report dated more
// than a day ahead of the worker's clock (which would outrank every later
// report of its rank, see store.RecipientStore) is dropped the same way.
// A verified report is forwarded even when the store does not apply it
// (an older one, or a failure after a delivery): the application gets
// every report, in whatever order they come, and ranks them itself.
//
// A callback can overtake the ledger write of its own send (the provider
// accepted, smsq has not recorded it yet; or the send's outcome was
// unknown and is being reconciled), so an event whose smsID the ledger
// does not know is retried up to four times, with the retry policy's
// back-off (37 s to 75 s in all with RETRY_BASE_DELAY=5s), before it is
// dropped. Run outside asynq (no retry count in ctx), it is dropped at
// once.
//
// A payload that is not valid JSON, or lacks what identifies the event, is
// archived at once (an error wrapping asynq.SkipRetry); a Redis or
// forwarding failure is retried.
type EventHandler struct {
	cfg   EventConfig
	cache acceptanceCache
}

// NewEventHandler returns the events handler.
func NewEventHandler(cfg EventConfig) (*EventHandler, error) {
	if cfg.Store == nil || cfg.Ledger == nil {
		return nil, errors.New("handler: NewEventHandler needs a recipient store and a ledger")
	}
	return &EventHandler{cfg: cfg}, nil
}

// Register adds ProcessDelivery and ProcessReply to mux.
func (h *EventHandler) Register(mux *asynq.ServeMux) {
	mux.HandleFunc(tasks.TypeDelivery, h.ProcessDelivery)
	mux.HandleFunc(tasks.TypeReply, h.ProcessReply)
}

// invalidEvent archives an event whose payload cannot be processed.
func invalidEvent(typ, reason string, err error) error {
	if err != nil {
		return Archive(fmt.Errorf("%w of %s: %s: %v", ErrInvalidPayload, typ, reason, err))
	}
	return Archive(fmt.Errorf("%w of %s: %s", ErrInvalidPayload, typ, reason))
}

// Limits of verification; see EventHandler.
const (
	unknownRetries = 4
	maxAhead       = 24 * time.Hour
)

// ProcessDelivery handles sms:delivery.
func (h *EventHandler) ProcessDelivery(ctx context.Context, t *asynq.Task) error {
	var p tasks.DeliveryPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return invalidEvent(t.Type(), "not the JSON of a delivery report", err)
	}
	switch {
	case p.SMSID == "":
		return invalidEvent(t.Type(), "sms_id is missing", nil)
	case p.To == "":
		return invalidEvent(t.Type(), "to is missing", nil)
	}
	info := logInfo(ctx)
	info.add(slog.String("sms_id", p.SMSID), slog.Int("status", p.Status))
	v, err := h.verify(ctx, p.SMSID, p.TaskID, p.To, info)
	if err != nil {
		return err
	}
	if v.reason == "" && p.ReceivedAt.After(time.Now().Add(maxAhead)) {
		v.reason = "received_at is more than a day ahead"
	}
	if v.reason != "" {
		info.add(slog.Bool("verified", false), slog.String("unverified_reason", v.reason))
		return nil
	}
	p.TaskID, p.To = v.task, v.number
	applied, err := h.cfg.Store.Record(ctx, p.TaskID, store.RecipientState{
		Number: p.To, SMSID: p.SMSID, Status: p.Status, StatusText: p.StatusText, Final: p.Final,
		ReceivedAt: p.ReceivedAt, MCCMNC: p.MCCMNC, Cost: p.Cost,
	})
	if err != nil {
		return err
	}
	info.add(slog.Bool("status_applied", applied))
	return h.forward(ctx, t.Type(), p, info)
}

// ProcessReply handles sms:reply.
func (h *EventHandler) ProcessReply(ctx context.Context, t *asynq.Task) error {
	var p tasks.ReplyPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return invalidEvent(t.Type(), "not the JSON of a reply", err)
	}
	if p.From == "" {
		return invalidEvent(t.Type(), "from is missing", nil)
	}
	info := logInfo(ctx)
	v := verdict{reason: "no sms_id: the reply names no message"}
	if p.SMSID != "" {
		info.add(slog.String("sms_id", p.SMSID))
		var err error
		if v, err = h.verify(ctx, p.SMSID, p.TaskID, p.From, info); err != nil {
			return err
		}
	}
	if v.reason != "" {
		info.add(slog.Bool("verified", false), slog.String("unverified_reason", v.reason))
		return nil
	}
	p.TaskID, p.From = v.task, v.number
	return h.forward(ctx, t.Type(), p, info)
}

// verdict is what the ledger says of an event: its send task and the
// recipient's number as the send had it, or why it is not believed.
type verdict struct {
	task, number string
	reason       string // non-empty: unverified
}

// verify checks smsID, the claimed task (the payload's task_id: from the
// callback's path, or from an older receiver's look-up) and the number
// against the ledger. An error means "retry": Redis failed, or the smsID
// is not known yet and retries remain.
func (h *EventHandler) verify(ctx context.Context, smsID, claimed, number string, info *taskLog) (verdict, error) {
	acc, err := h.acceptance(ctx, smsID, claimed)
	if err != nil {
		return verdict{}, fmt.Errorf("events: look up the task of smsID %s: %w", smsID, err)
	}
	if acc == nil {
		if retryLeft(ctx) {
			return verdict{}, fmt.Errorf("events: smsID %s is not in the ledger (yet): retried in case its send is still being recorded", smsID)
		}
		return verdict{reason: "sms_id unknown: no send of smsq got it"}, nil
	}
	info.add(slog.String("send_task_id", acc.TaskID))
	if claimed != "" && claimed != acc.TaskID {
		info.add(slog.String("claimed_task_id", claimed))
	}
	n, ok := recipientOf(acc, number)
	if !ok {
		return verdict{reason: "number is not a recipient of the send"}, nil
	}
	return verdict{task: acc.TaskID, number: n}, nil
}

// acceptance returns the acceptance of the send that got smsID, or nil
// when the ledger knows none. A claimed task is tried first: when it is
// right, one read answers.
func (h *EventHandler) acceptance(ctx context.Context, smsID, claimed string) (*store.Acceptance, error) {
	if a := h.cache.get(smsID); a != nil {
		return a, nil
	}
	var a *store.Acceptance
	if claimed != "" {
		c, err := h.cfg.Ledger.Lookup(ctx, claimed)
		if err != nil {
			return nil, err
		}
		if c != nil && c.SMSID == smsID {
			a = c
		}
	}
	if a == nil {
		owner, err := h.cfg.Ledger.TaskForSMS(ctx, smsID)
		if err != nil || owner == "" {
			return nil, err
		}
		acc, err := h.cfg.Ledger.Lookup(ctx, owner)
		if err != nil {
			return nil, err
		}
		switch {
		case acc == nil:
			// The smsID's binding without the acceptance (both are written
			// together, with one TTL): the owner is known, its numbers not.
			a = &store.Acceptance{TaskID: owner, SMSID: smsID}
		case acc.SMSID != smsID:
			// The task's acceptance names another smsID (it was sent
			// again): its numbers still are the task's.
			c := *acc
			c.SMSID = smsID
			a = &c
		default:
			a = acc
		}
	}
	h.cache.put(smsID, a)
	return a, nil
}

// recipientOf returns the number of acc's recipient that a report's
// number designates. The reference gives reports' numbers in
// international form, as smsq records recipients; a national form (0…) or
// a 00 prefix is matched too, should the provider use one.
func recipientOf(acc *store.Acceptance, n string) (string, bool) {
	if len(acc.Recipients) == 0 {
		return n, true // a group, or an acceptance without its numbers
	}
	if slices.Contains(acc.Recipients, n) {
		return n, true
	}
	if intl, ok := strings.CutPrefix(n, "00"); ok {
		return intl, slices.Contains(acc.Recipients, intl)
	}
	if nat, ok := strings.CutPrefix(n, "0"); ok && nat != "" {
		for _, r := range acc.Recipients {
			if cc := len(r) - len(nat); cc >= 1 && cc <= 3 && strings.HasSuffix(r, nat) {
				return r, true
			}
		}
	}
	return "", false
}

// retryLeft reports whether an event whose smsID is unknown may be tried
// again (see EventHandler).
func retryLeft(ctx context.Context) bool {
	n, ok := asynq.GetRetryCount(ctx)
	m, ok2 := asynq.GetMaxRetry(ctx)
	return ok && ok2 && n < min(m, unknownRetries)
}

func (h *EventHandler) forward(ctx context.Context, typ string, data any, info *taskLog) error {
	if h.cfg.Forwarder == nil {
		return nil
	}
	id, _ := asynq.GetTaskID(ctx)
	err := h.cfg.Forwarder.Forward(ctx, typ, id, data)
	info.add(slog.Bool("forwarded", err == nil))
	return err
}

// acceptanceCache keeps the last acceptances read, by smsID: the reports of
// a batch (two or three per row, a thousand rows) share one acceptance of
// a thousand numbers, read and decoded once instead of each time. Entries
// never go stale: an acceptance is written once. Only known smsIDs are
// kept, so forged ones cannot fill it.
type acceptanceCache struct {
	mu sync.Mutex
	m  map[string]*store.Acceptance
}

const acceptanceCacheSize = 64

func (c *acceptanceCache) get(smsID string) *store.Acceptance {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[smsID]
}

func (c *acceptanceCache) put(smsID string, a *store.Acceptance) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[string]*store.Acceptance, acceptanceCacheSize)
	}
	if len(c.m) >= acceptanceCacheSize {
		for k := range c.m { // any one: the map's order is random
			delete(c.m, k)
			break
		}
	}
	c.m[smsID] = a
}
