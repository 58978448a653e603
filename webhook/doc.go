// Package webhook receives sMsmode's callbacks and turns each one into a
// follow-up task on the events queue.
//
// Four routes are served, for GET (what the provider sends: parameters in
// the query string) and POST (a proxy may forward a form; the body's
// parameters are merged with the query string's):
//
//	/webhooks/smsmode/{secret}/delivery/{task}  delivery report  → sms:delivery
//	/webhooks/smsmode/{secret}/reply/{task}     reply (MO)       → sms:reply
//	/webhooks/smsmode/{secret}/delivery         the same, task unknown
//	/webhooks/smsmode/{secret}/reply
//
// smsq puts the send task's ID in the notification URLs of every message it
// sends (DeliveryURL, ReplyURL), so the receiver fills task_id without
// reading Redis. The routes without task serve messages sent before, URLs a
// task chose itself and IDs too long for a path: there Config.Ledger looks
// the task up. Either way task_id is a claim: the worker's event handler
// checks it, and the smsID, against the ledger before a report changes a
// recipient's status or reaches the application (see
// handler.EventHandler). The receiver stays cheap: one parse, one enqueue.
//
// The handler answers
//
//	200  the follow-up task is stored, or it was already (a repeated callback)
//	400  a parameter is missing or malformed; the body names it
//	404  unknown path or wrong secret (the body gives no hint which)
//	405  another method (Allow: GET, POST)
//	413  query string or body larger than Config.MaxBody
//	503  the task could not be stored (Redis unavailable), or the body
//	     stopped short (the server's ReadTimeout, a broken connection):
//	     the caller may retry (Retry-After: 5)
//
// and never 500. Parameters are checked beyond what the provider's parser
// needs, since each one ends up in a task payload and in the application's
// events: smsID (and responseID) letters and digits, numbers 8 to 15
// digits (a reply's numero, the short code, 3 to 15), refClient at most 40
// characters, mcc_mnc 5 or 6 digits, cost a decimal, a reply's message at
// most 1,600 characters; no control characters anywhere but tab and line
// breaks in a reply's message.
//
// The follow-up tasks are enqueued with tasks.Enqueuer's Delivery and
// Reply, whose task IDs are derived from the callback's content
// (tasks.DeliveryEventID, tasks.ReplyEventID), so a callback delivered
// twice (provider retry, proxy replay, operator re-run) yields exactly one
// task.
//
// The secret path segment never appears in a log line: routes are logged as
// /webhooks/smsmode/REDACTED/delivery/{task} (see Redact).
package webhook
