// Package api is smsq's HTTP producer API: any backend that speaks HTTP and
// JSON (PHP, Python, Node, Java …) can send, follow and cancel messages
// without a Redis client or the Go packages.
//
//	POST   /v1/sms           an sms:send payload (+ "queue")     202 {"id","duplicate","encoding","segments"}
//	POST   /v1/voice         an sms:voice payload (+ "queue")    202 as above
//	POST   /v1/batches       an sms:batch payload, or a CSV body 202 {"ids","duplicate","messages"}
//	GET    /v1/tasks/{id}    the task's state and deliveries     200
//	DELETE /v1/tasks/{id}    cancel                              200 {"id","state":"cancelled"}; 409 too late
//	GET    /v1/openapi.json  the OpenAPI 3.1 document (public)   200
//
// Bodies are the task payloads of package tasks, field for field: the
// handler decodes into tasks.SendPayload, tasks.VoicePayload and
// tasks.BatchPayload and enqueues with tasks.Enqueuer, so the HTTP API
// refuses exactly what the Go API refuses, naming the same field. Unknown
// fields are refused too: a misspelt "send_at" must not send at once.
//
// Every route but the document needs "Authorization: Bearer TOKEN"; tokens
// are compared in constant time and only their names reach logs and
// metrics. "Idempotency-Key: ID" makes ID the task ID (batch chunks ID-1,
// ID-2 …): a repeat answers 200 with "duplicate": true and the original's
// state, and enqueues nothing. "?dry_run=true" validates and prices a
// message without enqueueing it.
//
// Errors are application/problem+json (RFC 9457) with a "field" member
// naming a refused field as the payload names it ("to[1]",
// "rows[41].message"): 400 malformed JSON, 401, 404, 409, 413 body over the
// limit (enforced while reading), 415, 422 invalid field (nothing
// enqueued), 503 with Retry-After when Redis cannot be reached, and 500
// only for a bug (a recovered panic, logged). docs/http-api.md is the
// user documentation; openapi.json (served, and committed as
// docs/openapi.json) is the contract the tests check every answer against.
package api
