package event

import (
	"encoding/json"
	"time"
)

// Event type names: the task types of the follow-up tasks on queue events.
const (
	TypeDelivery = "sms:delivery"
	TypeReply    = "sms:reply"
)

// Envelope is the JSON body of a forwarded event. ID is the event's task
// ID: the same for every delivery attempt of the same event (retries, a
// repeated callback, a status found both by polling and by callback), so
// receivers deduplicate on it. Only events about messages smsq sent are
// forwarded: a callback whose smsID (or number) smsq does not know is
// dropped by the worker, never forwarded.
type Envelope struct {
	Type string          `json:"type"`
	ID   string          `json:"id"`
	Data json.RawMessage `json:"data"`
}

// Delivery is a delivery report: the payload of sms:delivery and the Data
// of a forwarded delivery event.
type Delivery struct {
	SMSID      string    `json:"sms_id"`
	To         string    `json:"to"` // international digits
	Status     int       `json:"status"`
	StatusText string    `json:"status_text"`
	Final      bool      `json:"final"`
	ReceivedAt time.Time `json:"received_at"`
	Ref        string    `json:"ref,omitempty"`
	TaskID     string    `json:"task_id,omitempty"` // the send task that got SMSID
	MCCMNC     string    `json:"mcc_mnc,omitempty"`
	Cost       string    `json:"cost,omitempty"`
}

// Reply is a reply (MO message): the payload of sms:reply and the Data of
// a forwarded reply event.
type Reply struct {
	SMSID      string    `json:"sms_id,omitempty"`
	From       string    `json:"from"`
	To         string    `json:"to"`
	Message    string    `json:"message"`
	ReceivedAt time.Time `json:"received_at"`
	Ref        string    `json:"ref,omitempty"`
	TaskID     string    `json:"task_id,omitempty"`
	ResponseID string    `json:"response_id,omitempty"`
}
