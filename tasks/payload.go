package tasks

import (
	"time"

	"github.com/smsq/smsq/event"
)

// SendPayload is the payload of sms:send. Exactly one of To and Group is set.
type SendPayload struct {
	To              []string  `json:"to,omitempty"`
	Group           string    `json:"group,omitempty"`
	Message         string    `json:"message"`
	Sender          string    `json:"sender,omitempty"`           // emetteur
	SendAt          time.Time `json:"send_at,omitzero"`           // date_envoi; zero, past or within the minute: now
	Ref             string    `json:"ref,omitempty"`              // refClient; default: the task ID
	Reply           bool      `json:"reply,omitempty"`            // classe_msg=4
	Encoding        string    `json:"encoding,omitempty"`         // auto | gsm | unicode
	Stop            int       `json:"stop,omitempty"`             // 0, 1, 2
	MaxSegments     int       `json:"max_segments,omitempty"`     // nbr_msg; 0: 5
	NotificationURL string    `json:"notification_url,omitempty"` // delivery reports; default: this deployment's webhook
	ReplyURL        string    `json:"reply_url,omitempty"`        // notification_url_reponse
	ExpiresAt       time.Time `json:"expires_at,omitzero"`        // never handed to sMsmode at or after this instant
	Marketing       bool      `json:"marketing,omitempty"`        // commercial: sent only within MARKETING_HOURS, with a STOP mention
}

// VoicePayload is the payload of sms:voice.
type VoicePayload struct {
	To        []string  `json:"to"`
	Message   string    `json:"message"`
	Title     string    `json:"title,omitempty"`
	Language  string    `json:"language,omitempty"` // fr-FR, en-GB, de-DE, es-ES
	SendAt    time.Time `json:"send_at,omitzero"`
	ExpiresAt time.Time `json:"expires_at,omitzero"` // never handed to sMsmode at or after this instant
}

// BatchRow is one personalised message of a batch.
type BatchRow struct {
	To      string `json:"to"`
	Message string `json:"message"`
	Sender  string `json:"sender,omitempty"`
	Ref     string `json:"ref,omitempty"`
}

// BatchPayload is the payload of sms:batch: one chunk of at most BATCH_CHUNK rows.
type BatchPayload struct {
	Rows            []BatchRow `json:"rows"`
	Sender          string     `json:"sender,omitempty"`
	SendAt          time.Time  `json:"send_at,omitzero"`
	Ref             string     `json:"ref,omitempty"`
	Reply           bool       `json:"reply,omitempty"`
	MaxSegments     int        `json:"max_segments,omitempty"`
	NotificationURL string     `json:"notification_url,omitempty"`
	ExpiresAt       time.Time  `json:"expires_at,omitzero"` // never handed to sMsmode at or after this instant
	Marketing       bool       `json:"marketing,omitempty"` // commercial: sent only within MARKETING_HOURS; every row needs a STOP mention with a custom sender
}

// DeliveryPayload is the payload of sms:delivery, a follow-up task on
// queue events (also the data of a forwarded delivery event).
type DeliveryPayload = event.Delivery

// ReplyPayload is the payload of sms:reply, a follow-up task on queue
// events (also the data of a forwarded reply event).
type ReplyPayload = event.Reply

// Result is what a completed send, voice or batch task writes with its
// ResultWriter (visible in the web UI and with `enqueue status`). A task
// that ended without a send (cancelled, expired) says so in State, with
// when in At.
type Result struct {
	SMSID     string `json:"sms_id"`
	Segments  int    `json:"segments"`
	Encoding  string `json:"encoding"`
	DateEnvoi string `json:"date_envoi"`
	// DeferredUntil is set when the marketing window moved the send time:
	// the next opening, which date_envoi also shows.
	DeferredUntil time.Time `json:"deferred_until,omitzero"`
	State         string    `json:"state,omitempty"` // "cancelled" or "expired" for a task that was not sent
	At            time.Time `json:"at,omitzero"`     // when it was cancelled or expired
}
