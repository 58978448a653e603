package smsmode

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Class is the classe_msg parameter.
type Class int

// Message classes.
const (
	ClassPro     Class = 2 // SMS Pro (provider default)
	ClassReply   Class = 4 // reply allowed (no custom sender, France only)
	ClassUnicode Class = 9 // unicode, message sent as UTF-8
)

// String returns the class name ("pro", "reply", "unicode") or "class N".
func (c Class) String() string {
	switch c {
	case 0:
		return "default"
	case ClassPro:
		return "pro"
	case ClassReply:
		return "reply"
	case ClassUnicode:
		return "unicode"
	}
	return "class " + strconv.Itoa(int(c))
}

// Stop is the STOP parameter.
type Stop int

// STOP mention modes.
const (
	StopNone   Stop = 0
	StopIfFree Stop = 1 // added only when the text is at most 149 characters
	StopAlways Stop = 2
)

// SMS is a sendSMS.do request.
type SMS struct {
	Numbers         []string  // numero: international digits (33612345678) or French national; a leading "+" is dropped
	Group           string    // groupe: exclusive with Numbers
	Message         string    // UTF-8; encoded to ISO-8859-15 unless Class is ClassUnicode
	Class           Class     // 0 means ClassPro (parameter omitted)
	SendAt          time.Time // date_envoi; zero means now
	RefClient       string    // refClient, at most 40 characters
	Sender          string    // emetteur
	MaxParts        int       // nbr_msg; 0 omits it (provider default 5); at most MaxUnicodeParts for ClassUnicode
	NotificationURL string    // notification_url
	ReplyURL        string    // notification_url_reponse
	Stop            Stop
}

// SendResult is the provider's answer to an accepted send.
type SendResult struct {
	SMSID       string // opaque; campagneID for batches
	Description string // the provider's text, e.g. "Accepté"
}

// wireText encodes free-text parameters in the request's charset: the 1.6
// API reads ISO-8859-15 except in a classe_msg=9 request, whose message (and
// so, presumably, the rest of the request) is UTF-8.
type wireText struct {
	unicode bool
	params  url.Values
	err     error
}

// set adds a non-empty value, encoded; the first failure is kept.
func (w *wireText) set(field, value string) {
	if w.err != nil || value == "" {
		return
	}
	v, err := wireValue(field, value, w.unicode)
	if err != nil {
		w.err = err
		return
	}
	w.params.Set(field, v)
}

// wireValue encodes one free-text value for the wire.
func wireValue(field, value string, unicode bool) (string, error) {
	if !utf8.ValidString(value) {
		return "", &RequestError{Field: field, Reason: "not valid UTF-8"}
	}
	if unicode {
		return value, nil
	}
	v, r, pos, ok := encodeLatin9(value)
	if !ok {
		return "", &RequestError{Field: field, Reason: fmt.Sprintf("character %q (U+%04X) at position %d has no ISO-8859-15 encoding", r, r, pos+1)}
	}
	return v, nil
}

// sendParams validates m and builds the parameters of its sendSMS.do
// request.
func (c *Client) sendParams(m *SMS) (url.Values, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	msg, err := encodeMessage("message", 0, m.Message, m.Class)
	if err != nil {
		return nil, err
	}
	p := url.Values{}
	p.Set("message", msg)
	if len(m.Numbers) > 0 {
		nums, err := joinNumbers("numero", m.Numbers)
		if err != nil {
			return nil, err
		}
		p.Set("numero", nums)
	}
	w := &wireText{unicode: m.Class == ClassUnicode, params: p}
	w.set("groupe", m.Group)
	w.set("refClient", m.RefClient)
	w.set("emetteur", m.Sender)
	w.set("notification_url", m.NotificationURL)
	w.set("notification_url_reponse", m.ReplyURL)
	if w.err != nil {
		return nil, w.err
	}
	if m.Class != 0 {
		p.Set("classe_msg", strconv.Itoa(int(m.Class)))
	}
	if !m.SendAt.IsZero() {
		p.Set("date_envoi", c.FormatSendDate(m.SendAt))
	}
	if m.MaxParts > 0 {
		p.Set("nbr_msg", strconv.Itoa(m.MaxParts))
	}
	if m.Stop > StopNone {
		p.Set("stop", strconv.Itoa(int(m.Stop)))
	}
	return p, nil
}

// SendSMS calls sendSMS.do with POST, which has no limit on the number of
// recipients. The request is validated first (SMS.Validate); a refused
// request is a *RequestError and nothing is sent. A non-zero code is an
// *Error.
func (c *Client) SendSMS(ctx context.Context, m *SMS) (*SendResult, error) {
	p, err := c.sendParams(m)
	if err != nil {
		return nil, err
	}
	return c.send(ctx, epSendSMS, p)
}

func (c *Client) send(ctx context.Context, endpoint string, p url.Values) (*SendResult, error) {
	a, err := c.postForm(ctx, endpoint, p)
	if err != nil {
		return nil, c.redactErr(err)
	}
	res, err := parseSendResponse(endpoint, a.body)
	return res, c.redactErr(err)
}

// Voice is a sendVoiceMessage.do request.
type Voice struct {
	Numbers  []string // numero; groupe is not offered for voice
	Message  string   // read by text-to-speech; ISO-8859-15 characters only, at most MaxVoiceLength
	Title    string   // read first; provider default "Ceci est un message de sMsmode"
	Language string   // fr-FR, en-GB, de-DE, es-ES; empty is the provider default
	SendAt   time.Time
}

// SendVoice calls sendVoiceMessage.do with POST. The request is validated
// first (Voice.Validate).
func (c *Client) SendVoice(ctx context.Context, v *Voice) (*SendResult, error) {
	if err := v.Validate(); err != nil {
		return nil, err
	}
	nums, err := joinNumbers("numero", v.Numbers)
	if err != nil {
		return nil, err
	}
	p := url.Values{}
	p.Set("numero", nums)
	w := &wireText{params: p}
	w.set("message", v.Message)
	w.set("title", v.Title)
	w.set("language", v.Language)
	if w.err != nil {
		return nil, w.err
	}
	if !v.SendAt.IsZero() {
		p.Set("date_envoi", c.FormatSendDate(v.SendAt))
	}
	return c.send(ctx, epSendVoice, p)
}

// redactErr removes the credentials from any provider text placed in err
// (a description or a body snippet could echo them).
func (c *Client) redactErr(err error) error {
	if err == nil || len(c.secrets) == 0 {
		return err
	}
	var pe *Error
	if errors.As(err, &pe) {
		pe.Description = c.redactString(pe.Description)
	}
	var pre *ProtocolError
	if errors.As(err, &pre) {
		pre.Snippet = c.snippet(pre.Snippet)
	}
	return err
}

func (c *Client) redactString(s string) string {
	for _, sec := range c.secrets {
		s = strings.ReplaceAll(s, sec, redacted)
	}
	return s
}
