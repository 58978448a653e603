package tasks

import "github.com/smsq/smsq/event"

// Task type names.
const (
	TypeSend     = "sms:send"
	TypeVoice    = "sms:voice"
	TypeBatch    = "sms:batch"
	TypeDelivery = event.TypeDelivery
	TypeReply    = event.TypeReply
)

// Queue names served by default (WORKER_QUEUES).
const (
	QueueCritical = "critical" // OTPs and other messages a person waits for
	QueueDefault  = "default"
	QueueLow      = "low" // campaigns: batch chunks by default
	QueueEvents   = "events"
)
