package smsmode

import (
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DeliveryReportCallback is the delivery-report call to notification_url.
type DeliveryReportCallback struct {
	Number     string // numero, international digits
	ReceivedAt time.Time
	Status     Status
	SMSID      string
	RefClient  string
	MCCMNC     string // 3.1+
	Cost       string // 3.3+
}

// ReplyCallback is the reply (MO) call to notification_url_reponse.
type ReplyCallback struct {
	To         string // numero: the sMsmode number (shortcode) that got the reply
	Message    string // decoded from UTF-8 or ISO-8859-15
	From       string // emetteur: the replier's number
	ReceivedAt time.Time
	SMSID      string
	RefClient  string
	ResponseID string // 3.1+
}

// CallbackError is a missing or malformed callback parameter. A webhook
// answers it with 400.
type CallbackError struct {
	Field  string // the provider's parameter name
	Reason string
}

// Error formats as `smsmode: callback parameter "statut": not a number`.
func (e *CallbackError) Error() string {
	return "smsmode: callback parameter " + strconv.Quote(e.Field) + ": " + e.Reason
}

// maxCallbackValue bounds every callback value: nothing legitimate comes
// close, and it keeps hostile input from growing the task payloads.
const maxCallbackValue = 2048

// callbackParams reads url.Values defensively.
type callbackParams struct{ v url.Values }

func (p callbackParams) raw(field string) (string, bool) {
	vs, ok := p.v[field]
	if !ok || len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

// required returns a trimmed, non-empty value.
func (p callbackParams) required(field string) (string, error) {
	s, _ := p.raw(field)
	s = strings.TrimSpace(s)
	if s == "" {
		return "", &CallbackError{Field: field, Reason: "missing"}
	}
	if len(s) > maxCallbackValue {
		return "", &CallbackError{Field: field, Reason: "too long"}
	}
	return decodeParam(s), nil
}

// optional returns a trimmed value, possibly empty.
func (p callbackParams) optional(field string) (string, error) {
	s, _ := p.raw(field)
	s = strings.TrimSpace(s)
	if len(s) > maxCallbackValue {
		return "", &CallbackError{Field: field, Reason: "too long"}
	}
	return decodeParam(s), nil
}

// number returns a required phone number as digits, a leading "+" dropped.
func (p callbackParams) number(field string) (string, error) {
	s, err := p.required(field)
	if err != nil {
		return "", err
	}
	d := strings.TrimPrefix(s, "+")
	if _, ok := atoiBounded(d, 20); !ok {
		return "", &CallbackError{Field: field, Reason: "not a phone number (digits expected)"}
	}
	return d, nil
}

// date returns a required date in either callback format.
func (p callbackParams) date(field string, loc *time.Location) (time.Time, error) {
	s, err := p.required(field)
	if err != nil {
		return time.Time{}, err
	}
	t, ok := parseLocalDate(s, loc, callbackLayouts)
	if !ok {
		return time.Time{}, &CallbackError{Field: field, Reason: "not a date (expected yyyy-MM-dd HH:mm:ss or ddMMyyyy-HHmmss)"}
	}
	return t, nil
}

// ParseDeliveryReport parses a delivery-report callback's parameters (from
// the query string or a form). numero, date_reception, statut and smsID are
// required; refClient, mcc_mnc and cost are optional. Dates in either
// callback format (and RFC 3339) are accepted and interpreted in loc
// (nil: Europe/Paris). Errors are *CallbackError.
func ParseDeliveryReport(v url.Values, loc *time.Location) (*DeliveryReportCallback, error) {
	if loc == nil {
		loc = DefaultLocation()
	}
	p := callbackParams{v}
	num, err := p.number("numero")
	if err != nil {
		return nil, err
	}
	at, err := p.date("date_reception", loc)
	if err != nil {
		return nil, err
	}
	st, err := p.required("statut")
	if err != nil {
		return nil, err
	}
	code, ok := atoiBounded(st, 6)
	if !ok {
		return nil, &CallbackError{Field: "statut", Reason: "not a number"}
	}
	id, err := p.required("smsID")
	if err != nil {
		return nil, err
	}
	dr := &DeliveryReportCallback{Number: num, ReceivedAt: at, Status: Status(code), SMSID: id}
	if dr.RefClient, err = p.optional("refClient"); err != nil {
		return nil, err
	}
	if dr.MCCMNC, err = p.optional("mcc_mnc"); err != nil {
		return nil, err
	}
	if dr.Cost, err = p.optional("cost"); err != nil {
		return nil, err
	}
	return dr, nil
}

// ParseReply parses a reply callback's parameters. numero (the sMsmode
// number), emetteur (the replier) and date_reception are required; message
// must be present but may be empty; smsID, refClient and responseID are
// optional. A message that is not valid UTF-8 is decoded as ISO-8859-15.
// Errors are *CallbackError.
func ParseReply(v url.Values, loc *time.Location) (*ReplyCallback, error) {
	if loc == nil {
		loc = DefaultLocation()
	}
	p := callbackParams{v}
	to, err := p.number("numero")
	if err != nil {
		return nil, err
	}
	from, err := p.number("emetteur")
	if err != nil {
		return nil, err
	}
	at, err := p.date("date_reception", loc)
	if err != nil {
		return nil, err
	}
	msg, ok := p.raw("message")
	if !ok {
		return nil, &CallbackError{Field: "message", Reason: "missing"}
	}
	if len(msg) > maxCallbackValue {
		return nil, &CallbackError{Field: "message", Reason: "too long"}
	}
	r := &ReplyCallback{To: to, From: from, ReceivedAt: at, Message: decodeParam(msg)}
	if r.SMSID, err = p.optional("smsID"); err != nil {
		return nil, err
	}
	if r.RefClient, err = p.optional("refClient"); err != nil {
		return nil, err
	}
	if r.ResponseID, err = p.optional("responseID"); err != nil {
		return nil, err
	}
	return r, nil
}
