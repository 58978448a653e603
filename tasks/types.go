package tasks

// Task type names (public API: DESIGN.md).
const (
	TypeSend     = "sms:send"
	TypeVoice    = "sms:voice"
	TypeBatch    = "sms:batch"
	TypeDelivery = "sms:delivery"
	TypeReply    = "sms:reply"
)

// Queue names served by default (WORKER_QUEUES).
const (
	QueueCritical = "critical" // OTPs and other messages a person waits for
	QueueDefault  = "default"
	QueueLow      = "low" // campaigns: batch chunks by default
	QueueEvents   = "events"
)
