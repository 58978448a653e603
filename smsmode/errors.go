package smsmode

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Error is a non-zero return code from the provider (the "NN | text" answer).
type Error struct {
	Endpoint    string // e.g. "sendSMS.do"
	Code        Code
	Description string // the provider's text, as received
}

// Error formats as "smsmode: sendSMS.do: code 33 Crédits insuffisants".
func (e *Error) Error() string {
	d := e.Description
	if d == "" {
		d = e.Code.Description()
	}
	return "smsmode: " + e.Endpoint + ": code " + e.Code.String() + " " + sanitize(d, 200)
}

// Temporary reports whether retrying later may succeed (code 50).
func (e *Error) Temporary() bool { return e.Code == CodeTemporarilyUnavailable }

// Internal reports the provider's internal error (code 31), worth a few
// retries only.
func (e *Error) Internal() bool { return e.Code == CodeInternalError }

// Permanent reports a code that retrying will not change: every code but
// 31 and 50, unknown codes included.
func (e *Error) Permanent() bool { return !e.Temporary() && !e.Internal() }

// Ambiguous reports code 31 on an endpoint that acts: "Erreur interne" says
// the provider failed somewhere, not that it did nothing, so a send
// answered 31 may still go out. Every other code is a refusal.
func (e *Error) Ambiguous() bool { return e.Internal() && acts(e.Endpoint) }

// HTTPError is a non-2xx HTTP answer. The 1.6 API answers its own errors
// with HTTP 200 and a code; a non-2xx status comes from the provider's
// front end (overload, maintenance, a proxy) or from createAuthorisation.do.
type HTTPError struct {
	Endpoint   string
	StatusCode int
	// RetryAfter is the Retry-After header's delay, zero when absent.
	RetryAfter time.Duration
	// Description is a short, sanitised excerpt of the body (the message of
	// a JSON error, the text of an HTML page), without credentials.
	Description string
}

// Error formats as "smsmode: sendSMS.do: HTTP 502 Bad Gateway".
func (e *HTTPError) Error() string {
	var b strings.Builder
	b.WriteString("smsmode: ")
	b.WriteString(e.Endpoint)
	b.WriteString(": HTTP ")
	b.WriteString(strconv.Itoa(e.StatusCode))
	if t := http.StatusText(e.StatusCode); t != "" {
		b.WriteString(" " + t)
	}
	if e.Description != "" {
		b.WriteString(": " + e.Description)
	}
	if e.RetryAfter > 0 {
		b.WriteString(" (retry after " + e.RetryAfter.String() + ")")
	}
	return b.String()
}

// Temporary reports 5xx, 429 Too Many Requests and 408 Request Timeout.
func (e *HTTPError) Temporary() bool {
	return e.StatusCode >= 500 || e.StatusCode == http.StatusTooManyRequests || e.StatusCode == http.StatusRequestTimeout
}

// Ambiguous reports a status that does not prove the request was refused,
// on an endpoint that acts: a 5xx (a proxy or load balancer in front of the
// provider answers 502 or 504 when the provider is slow, possibly after it
// accepted the send) or an unfollowed 3xx (a server may redirect after
// processing a POST). A 4xx says the request was not acted on.
func (e *HTTPError) Ambiguous() bool {
	return (e.StatusCode < 400 || e.StatusCode >= 500) && acts(e.Endpoint)
}

// RequestError is a request refused by the client before anything was sent:
// a missing or malformed parameter, a character the wire charset cannot
// carry. It is permanent: the same request will always fail.
type RequestError struct {
	Field  string // the provider's parameter name: "numero", "message", "emetteur", …
	Row    int    // 1-based row of a batch file; 0 when not about a row
	Reason string
	Err    error // the underlying cause, if any (e.g. *text.UnsupportedCharError)
}

// Error formats as "smsmode: invalid emetteur: at most 11 characters".
func (e *RequestError) Error() string {
	var b strings.Builder
	b.WriteString("smsmode: invalid ")
	if e.Row > 0 {
		b.WriteString("row " + strconv.Itoa(e.Row) + " ")
	}
	b.WriteString(e.Field)
	b.WriteString(": ")
	b.WriteString(e.Reason)
	return b.String()
}

// Unwrap returns the cause.
func (e *RequestError) Unwrap() error { return e.Err }

// ProtocolError is an answer the client cannot understand: not the
// documented format, too large, or a success without its ID. It is
// permanent. On a send endpoint it is also ambiguous: the provider read the
// request and may have accepted it.
type ProtocolError struct {
	Endpoint string
	Reason   string
	Snippet  string // short, sanitised excerpt of the body
}

// Error formats as `smsmode: credit.do: unexpected response (not a number): "…"`.
func (e *ProtocolError) Error() string {
	s := "smsmode: " + e.Endpoint + ": unexpected response (" + e.Reason + ")"
	if e.Snippet != "" {
		s += ": " + strconv.Quote(e.Snippet)
	}
	return s
}

// Ambiguous reports whether the unreadable answer was to a request that
// acts (a send, above all), whose outcome is then unknown.
func (e *ProtocolError) Ambiguous() bool { return acts(e.Endpoint) }

// TransportError is a request that got no complete HTTP answer: DNS, dial,
// TLS, timeout, connection reset, EOF. Its text has the URL without query,
// so no credential or parameter can leak into logs.
type TransportError struct {
	Endpoint string
	Method   string
	URL      string // scheme://host/path, no query
	// Written reports that the whole request had been written when the
	// failure happened: the provider may have acted on it.
	Written bool
	Err     error
}

// Error formats as "smsmode: sendSMS.do: POST https://…/sendSMS.do: <cause>".
func (e *TransportError) Error() string {
	s := "smsmode: " + e.Endpoint + ": " + e.Method + " " + e.URL + ": "
	if e.Err == nil {
		return s + "transport error"
	}
	return s + e.Err.Error()
}

// Unwrap returns the cause (a *net.OpError, context.DeadlineExceeded, io.EOF …).
func (e *TransportError) Unwrap() error { return e.Err }

// Timeout reports whether the cause is a timeout (ours or the caller's).
func (e *TransportError) Timeout() bool { return isTimeout(e.Err) }

// Temporary is always true: the network may be back on the next try.
func (e *TransportError) Temporary() bool { return true }

// Ambiguous reports a request that acts, written in full, whose answer
// never came.
func (e *TransportError) Ambiguous() bool { return e.Written && acts(e.Endpoint) }

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// acts reports whether a request to endpoint can change something at the
// provider (send, delete, create, transfer): only then can its outcome be
// unknown. The read-only endpoints can always be asked again. An unknown
// endpoint name is assumed to act.
func acts(endpoint string) bool {
	switch endpoint {
	case epCompteRendu, epSMSStatus, epCredit, epSMSList, epResponseList:
		return false
	}
	return true
}

// IsTemporary reports whether err is worth retrying with back-off: code 50,
// HTTP 5xx/429/408, network errors and timeouts. It looks through wrapping.
func IsTemporary(err error) bool {
	if err == nil {
		return false
	}
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Temporary()
	}
	var he *HTTPError
	if errors.As(err, &he) {
		return he.Temporary()
	}
	var te *TransportError
	if errors.As(err, &te) {
		return true
	}
	var re *RequestError
	var pre *ProtocolError
	if errors.As(err, &re) || errors.As(err, &pre) {
		return false
	}
	return isTimeout(err)
}

// IsInternal reports the provider's internal error (code 31): the tasks
// layer retries it a few times only.
func IsInternal(err error) bool {
	var pe *Error
	return errors.As(err, &pe) && pe.Internal()
}

// IsPermanent reports an error that will not go away by retrying: codes 32,
// 33, 35, 41, 61 and unknown codes, HTTP 4xx other than 408 and 429 (and an
// unfollowed 3xx), invalid requests (*RequestError), unreadable answers
// (*ProtocolError) and malformed callbacks (*CallbackError).
func IsPermanent(err error) bool {
	if err == nil {
		return false
	}
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Permanent()
	}
	var he *HTTPError
	if errors.As(err, &he) {
		return !he.Temporary()
	}
	var re *RequestError
	var pre *ProtocolError
	var ce *CallbackError
	return errors.As(err, &re) || errors.As(err, &pre) || errors.As(err, &ce)
}

// IsAmbiguous reports whether err leaves the outcome of a request unknown:
// the provider may have acted on it (a send may be on its way, and charged)
// although no answer proves it. Only an answer that proves a refusal is not
// ambiguous; it looks through wrapping.
//
//	answer                                    proves refusal  what the caller must do
//	----------------------------------------  --------------  -----------------------------------------------
//	*RequestError (refused before sending)    yes             fix the request; nothing was sent
//	*TransportError, request not written      yes             retry safely (dial error, refused connection,
//	  (Written false)                                         TLS failure, cancelled before sending)
//	*TransportError, request written          no              do not resend blindly: find out first
//	  (timeout, reset, EOF, cut connection)                   (smsList.do, see ListedText), then retry or not
//	*HTTPError 4xx (400, 401, 403, 404, 408,  yes             the request was not acted on: retry if
//	  413, 429 …)                                             IsTemporary (408, 429), else give up
//	*HTTPError 5xx (500, 502, 503, 504 …)     no              a proxy may answer 502/504 after the provider
//	                                                          accepted: find out before resending
//	*HTTPError 3xx (redirect not followed)    no              find out before resending
//	*Error code 31 (Erreur interne)           no              find out before resending (IsInternal: retry
//	                                                          a few times only)
//	*Error any other code (32, 33, 35, 41,    yes             50 is temporary (retry later); the others are
//	  50, 61, unknown codes)                                  permanent
//	*ProtocolError (unreadable answer, or     no              find out before resending
//	  code 0 without an smsID)
//	*CallbackError, nil, errors of other      yes (n/a)       not about a request
//	  packages
//
// "Find out" means looking for the message among the provider's recent
// sends (smsList.do) before sending again; retrying blindly risks paying
// for, and delivering, the message twice.
//
// The read-only endpoints (compteRendu.do, smsStatus.do, credit.do,
// smsList.do, responseList.do) change nothing, so their errors are never
// ambiguous: they can always be asked again. Every other endpoint (sends,
// deleteSMS.do, the account operations, createAuthorisation.do) follows
// the table.
//
// IsAmbiguous says nothing about retrying (see IsTemporary, IsInternal and
// IsPermanent): code 50 is temporary and not ambiguous, a 504 is both.
func IsAmbiguous(err error) bool {
	if err == nil {
		return false
	}
	var re *RequestError
	if errors.As(err, &re) {
		return false
	}
	var te *TransportError
	if errors.As(err, &te) {
		return te.Ambiguous()
	}
	var he *HTTPError
	if errors.As(err, &he) {
		return he.Ambiguous()
	}
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Ambiguous()
	}
	var pre *ProtocolError
	if errors.As(err, &pre) {
		return pre.Ambiguous()
	}
	return false
}
