// Package webhook receives sMsmode's callbacks and turns each one into a
// follow-up task on the events queue.
//
// Two routes are served, for GET (what the provider sends: parameters in the
// query string) and POST (a proxy may forward a form; the body's parameters
// are merged with the query string's):
//
//	/webhooks/smsmode/{secret}/delivery  delivery report  → sms:delivery
//	/webhooks/smsmode/{secret}/reply     reply (MO)       → sms:reply
//
// The handler answers
//
//	200  the follow-up task is stored, or it was already (a repeated callback)
//	400  a parameter is missing or malformed; the body names it
//	404  unknown path or wrong secret (the body gives no hint which)
//	405  another method (Allow: GET, POST)
//	413  query string or body larger than Config.MaxBody
//	503  the task could not be stored (Redis unavailable): the caller may retry
//
// and never 500. The follow-up tasks are enqueued with tasks.Enqueuer's
// Delivery and Reply, whose task IDs are derived from the callback's
// content (tasks.DeliveryEventID, tasks.ReplyEventID), so a callback
// delivered twice (provider retry, proxy replay, operator re-run) yields
// exactly one task.
//
// The secret path segment never appears in a log line: routes are logged as
// /webhooks/smsmode/REDACTED/delivery (see Redact).
package webhook
