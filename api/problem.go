package api

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// problemDocs is where each problem type is explained: the type URI is this
// plus the type's name (RFC 9457 §3.1.1).
const problemDocs = "https://github.com/smsq/smsq/blob/main/docs/http-api.md#problem-"

// problemType is one kind of error answer.
type problemType struct {
	name, title string
	status      int
}

// The problem types, one per status (docs/http-api.md, "Errors").
var (
	problemMalformed    = problemType{"malformed", "Malformed request", http.StatusBadRequest}
	problemUnauthorized = problemType{"unauthorized", "Missing or unknown bearer token", http.StatusUnauthorized}
	problemNotFound     = problemType{"not-found", "No such task", http.StatusNotFound}
	problemNoRoute      = problemType{"no-route", "No such route", http.StatusNotFound}
	problemMethod       = problemType{"method-not-allowed", "Method not allowed", http.StatusMethodNotAllowed}
	problemCannotCancel = problemType{"cannot-cancel", "The task can no longer be cancelled", http.StatusConflict}
	problemTooLarge     = problemType{"too-large", "Request body too large", http.StatusRequestEntityTooLarge}
	problemMediaType    = problemType{"unsupported-media-type", "Unsupported media type", http.StatusUnsupportedMediaType}
	problemInvalid      = problemType{"invalid-field", "Invalid field", http.StatusUnprocessableEntity}
	problemInternal     = problemType{"internal", "Internal error", http.StatusInternalServerError}
	problemUnavailable  = problemType{"unavailable", "Temporarily unavailable", http.StatusServiceUnavailable}
)

// retryAfter is the Retry-After of a 503, in seconds: long enough for a
// Redis failover, short enough for an OTP.
const retryAfter = 5

// problem is an error answer and what its log line says.
type problem struct {
	typ    problemType
	detail string
	field  string   // the refused field, in payload notation
	line   int      // the CSV line of a refused row
	ids    []string // chunks enqueued before a batch failed
	key    string   // the Idempotency-Key that enqueues the rest
	cause  string   // logged, never sent: may name internals
}

func newProblem(t problemType, detail string) *problem { return &problem{typ: t, detail: detail} }

// fieldProblem is a 422 naming field. Both are bounded: an unknown field's
// name comes from the client and may be long.
func fieldProblem(field, detail string) *problem {
	return &problem{typ: problemInvalid, field: clip(field, maxFieldName), detail: clip(detail, maxDetail)}
}

// Bounds of what a problem quotes.
const (
	maxFieldName = 100
	maxDetail    = 500
)

// unavailable is a 503 for a Redis failure; cause goes to the log only.
func unavailable(cause error) *problem {
	return &problem{
		typ:    problemUnavailable,
		detail: "the queue cannot be reached right now; nothing was lost: repeat the request (with the same Idempotency-Key) after Retry-After seconds",
		cause:  cause.Error(),
	}
}

// problemBody is the JSON of an application/problem+json answer.
type problemBody struct {
	Type           string   `json:"type"`
	Title          string   `json:"title"`
	Status         int      `json:"status"`
	Detail         string   `json:"detail"`
	Field          string   `json:"field,omitempty"`
	Line           int      `json:"line,omitempty"`
	IDs            []string `json:"ids,omitempty"`
	IdempotencyKey string   `json:"idempotency_key,omitempty"`
}

// write sends the problem and returns its status.
func (p *problem) write(w http.ResponseWriter) int {
	if p.typ.status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
	}
	b, _ := json.Marshal(problemBody{
		Type: problemDocs + p.typ.name, Title: p.typ.title, Status: p.typ.status, Detail: p.detail,
		Field: p.field, Line: p.line, IDs: p.ids, IdempotencyKey: p.key,
	})
	return writeBody(w, p.typ.status, "application/problem+json", append(b, '\n'))
}

// fail answers p and records it in the request's log line.
func (h *Handler) fail(w http.ResponseWriter, req *request, p *problem) int {
	req.field = p.field
	req.err = p.detail
	if p.cause != "" {
		req.err = p.cause
	}
	return p.write(w)
}

// writeJSON answers v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) int {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // our own types: cannot fail
	}
	return writeBody(w, status, "application/json", append(b, '\n'))
}

func writeBody(w http.ResponseWriter, status int, contentType string, b []byte) int {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
	return status
}
