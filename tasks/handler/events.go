package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/hibiken/asynq"

	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/tasks/store"
)

// EventConfig configures the built-in handlers of the events queue.
type EventConfig struct {
	// Store records each recipient's latest delivery status (read by
	// `enqueue status`). Required.
	Store *store.RecipientStore
	// Ledger resolves task_id when the webhook could not (the callback came
	// before the acceptance was recorded, or the look-up failed). Required.
	Ledger *store.Ledger
	// Forwarder posts every event to the application (EVENTS_FORWARD_URL).
	// Nil: events are not forwarded.
	Forwarder *Forwarder
}

// EventHandler runs the sms:delivery and sms:reply follow-up tasks: it
// records delivery statuses in the RecipientStore and forwards events to
// the application. Running the same event twice is harmless: recording is
// idempotent and a forwarded event carries its task ID for the receiver to
// deduplicate.
//
// A payload that is not valid JSON, or lacks what identifies the event, is
// archived at once (an error wrapping asynq.SkipRetry); a Redis or
// forwarding failure is retried.
type EventHandler struct {
	cfg EventConfig
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
	if err := h.resolve(ctx, &p.TaskID, p.SMSID); err != nil {
		return err
	}
	if p.TaskID != "" {
		info.add(slog.String("send_task_id", p.TaskID))
	}
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
	if p.SMSID != "" {
		info.add(slog.String("sms_id", p.SMSID))
		if err := h.resolve(ctx, &p.TaskID, p.SMSID); err != nil {
			return err
		}
	}
	if p.TaskID != "" {
		info.add(slog.String("send_task_id", p.TaskID))
	}
	return h.forward(ctx, t.Type(), p, info)
}

// resolve fills an empty task ID from the ledger.
func (h *EventHandler) resolve(ctx context.Context, taskID *string, smsID string) error {
	if *taskID != "" {
		return nil
	}
	id, err := h.cfg.Ledger.TaskForSMS(ctx, smsID)
	if err != nil {
		return fmt.Errorf("events: look up the task of smsID %s: %w", smsID, err)
	}
	*taskID = id
	return nil
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
