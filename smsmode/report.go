package smsmode

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// RecipientStatus is one entry of compteRendu.do.
type RecipientStatus struct {
	Number string // international digits
	Status Status
}

// checkID refuses an empty or oversized smsID before a request is made.
func checkID(field, id string) error {
	switch {
	case strings.TrimSpace(id) == "":
		return &RequestError{Field: field, Reason: "empty"}
	case len(id) > maxIDLength:
		return &RequestError{Field: field, Reason: "too long"}
	}
	return nil
}

// DeliveryReport calls compteRendu.do: the latest status of each recipient
// of smsID. An empty slice means no report has arrived yet (reports can take
// up to 48 hours); only SMS sent in the last 30 days can be looked up.
// Errors: 31, 35, 61 (unknown smsID) as *Error.
func (c *Client) DeliveryReport(ctx context.Context, smsID string) ([]RecipientStatus, error) {
	if err := checkID("smsID", smsID); err != nil {
		return nil, err
	}
	a, err := c.postForm(ctx, epCompteRendu, url.Values{"smsID": {smsID}})
	if err != nil {
		return nil, c.redactErr(err)
	}
	rs, err := parseCompteRendu(a.body)
	return rs, c.redactErr(err)
}

// SMSStatusResult is the answer of smsStatus.do.
type SMSStatusResult struct {
	Status      Status
	Description string // the provider's text
}

// SMSStatus calls smsStatus.do: the campaign-level status of smsID (use
// DeliveryReport for each recipient). Codes 31, 32, 35 and 61 are returned
// as *Error; any other code is a Status.
func (c *Client) SMSStatus(ctx context.Context, smsID string) (*SMSStatusResult, error) {
	if err := checkID("smsID", smsID); err != nil {
		return nil, err
	}
	a, err := c.postForm(ctx, epSMSStatus, url.Values{"smsID": {smsID}})
	if err != nil {
		return nil, c.redactErr(err)
	}
	res, err := parseSMSStatus(a.body)
	return res, c.redactErr(err)
}

// SentSMS is one row of smsList.do.
type SentSMS struct {
	SMSID      string
	SentAt     time.Time // in the client's Location
	Text       string
	Number     string // téléphone_destinataire, as the provider writes it
	Cost       float64
	Recipients int
}

// ListOptions pages smsList.do.
type ListOptions struct {
	Start  int // start (3.5+): index of the first SMS; 0 omits it
	Offset int // offset: how many (provider default 50, max 10000); 0 omits it
}

// SMSList calls smsList.do. Keep pages moderate (a few thousand rows): an
// answer larger than MaxResponseSize is refused.
func (c *Client) SMSList(ctx context.Context, opts ListOptions) ([]SentSMS, error) {
	if opts.Start < 0 {
		return nil, &RequestError{Field: "start", Reason: "must not be negative"}
	}
	if opts.Offset < 0 || opts.Offset > MaxListOffset {
		return nil, &RequestError{Field: "offset", Reason: fmt.Sprintf("must be between 0 and %d", MaxListOffset)}
	}
	p := url.Values{}
	if opts.Start > 0 {
		p.Set("start", strconv.Itoa(opts.Start))
	}
	if opts.Offset > 0 {
		p.Set("offset", strconv.Itoa(opts.Offset))
	}
	a, err := c.postForm(ctx, epSMSList, p)
	if err != nil {
		return nil, c.redactErr(err)
	}
	rows, err := parseSMSList(a.body, c.cfg.Location)
	return rows, c.redactErr(err)
}

// DeleteSMS calls deleteSMS.do with smsID. It cancels a scheduled SMS (and
// removes a sent one from the account's history). Code 61 means not found.
func (c *Client) DeleteSMS(ctx context.Context, smsID string) error {
	if err := checkID("smsID", smsID); err != nil {
		return err
	}
	return c.simple(ctx, epDeleteSMS, url.Values{"smsID": {smsID}})
}

// DeleteSMSByNumber calls deleteSMS.do with numero: the most recent SMS to that number.
func (c *Client) DeleteSMSByNumber(ctx context.Context, number string) error {
	n, err := checkNumber("numero", -1, number)
	if err != nil {
		return err
	}
	return c.simple(ctx, epDeleteSMS, url.Values{"numero": {n}})
}

// simple posts p and expects "0 | description".
func (c *Client) simple(ctx context.Context, endpoint string, p url.Values) error {
	a, err := c.postForm(ctx, endpoint, p)
	if err != nil {
		return c.redactErr(err)
	}
	_, err = parseCodeResponse(endpoint, a.body)
	return c.redactErr(err)
}

// Response is a received reply, from responseList.do.
type Response struct {
	ID         string    // response_ID
	ReceivedAt time.Time // in the client's Location (minute precision)
	From       string    // the replier's number
	Text       string
	To         string // the number or shortcode that received the reply
	SMSID      string // the SMS the reply was attached to
}

// ResponseQuery selects replies: by page (Start/Offset) or by date range
// (From/Until, both set). The two modes are exclusive.
type ResponseQuery struct {
	Start, Offset int
	From, Until   time.Time
}

// Responses calls responseList.do. Pages run from the most recent reply
// (provider default: 50 replies from 0). Dates are sent in the client's
// Location at minute precision.
func (c *Client) Responses(ctx context.Context, q ResponseQuery) ([]Response, error) {
	p := url.Values{}
	byDate := !q.From.IsZero() || !q.Until.IsZero()
	switch {
	case byDate && (q.From.IsZero() || q.Until.IsZero()):
		return nil, &RequestError{Field: "startDate", Reason: "startDate and endDate must be set together"}
	case byDate && (q.Start != 0 || q.Offset != 0):
		return nil, &RequestError{Field: "start", Reason: "start/offset cannot be combined with startDate/endDate"}
	case byDate && q.Until.Before(q.From):
		return nil, &RequestError{Field: "endDate", Reason: "before startDate"}
	case q.Start < 0:
		return nil, &RequestError{Field: "start", Reason: "must not be negative"}
	case q.Offset < 0:
		return nil, &RequestError{Field: "offset", Reason: "must not be negative"}
	}
	if byDate {
		p.Set("startDate", c.FormatSendDate(q.From))
		p.Set("endDate", c.FormatSendDate(q.Until))
	} else {
		if q.Start > 0 {
			p.Set("start", strconv.Itoa(q.Start))
		}
		if q.Offset > 0 {
			p.Set("offset", strconv.Itoa(q.Offset))
		}
	}
	a, err := c.postForm(ctx, epResponseList, p)
	if err != nil {
		return nil, c.redactErr(err)
	}
	rs, err := parseResponses(a.body, c.cfg.Location)
	return rs, c.redactErr(err)
}
