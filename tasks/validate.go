package tasks

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/smsmode/phone"
	"github.com/smsq/smsq/smsmode/text"
)

// ValidationError is a payload the provider would refuse. Field is the JSON
// name of the offending field (rows[3].message for a batch row).
type ValidationError struct {
	Field  string
	Reason string
}

// Error implements error.
func (e *ValidationError) Error() string { return "invalid " + e.Field + ": " + e.Reason }

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// DefaultMaxSegments is the provider's default nbr_msg.
const DefaultMaxSegments = 5

// maxUnicodeSegments is the provider's hard limit for classe_msg=9.
const maxUnicodeSegments = 5

// voiceLanguages are the languages of sendVoiceMessage.do (3.1+).
var voiceLanguages = map[string]bool{"fr-FR": true, "en-GB": true, "de-DE": true, "es-ES": true}

// preparedSend is a validated sms:send, ready for the provider.
type preparedSend struct {
	sms      smsmode.SMS
	message  text.Message
	segments int
}

// Validate checks p against the provider's rules and rewrites its numbers to
// international digits. region is used for national numbers (e.g. "FR").
func (p *SendPayload) Validate(region string) error {
	ps, err := p.prepare(region)
	if err != nil {
		return err
	}
	p.To = ps.sms.Numbers
	return nil
}

func (p *SendPayload) prepare(region string) (*preparedSend, error) {
	numbers, err := recipients(p.To, p.Group, true)
	if err != nil {
		return nil, err
	}
	if len(numbers) > 0 {
		if numbers, err = normalizeAll(numbers, region, "to"); err != nil {
			return nil, err
		}
	}
	if strings.TrimSpace(p.Message) == "" {
		return nil, invalid("message", "empty")
	}
	mode, err := text.ParseMode(p.Encoding)
	if err != nil {
		return nil, invalid("encoding", "%q: want auto, gsm or unicode", p.Encoding)
	}
	if p.Reply && mode == text.ForceUnicode {
		return nil, invalid("encoding", "reply-allowed messages (classe_msg=4) cannot be unicode")
	}
	if p.Reply {
		// classe_msg=4 and classe_msg=9 exclude each other: the text must fit GSM.
		mode = text.ForceGSM
	}
	msg, err := text.Prepare(p.Message, mode)
	if err != nil {
		var uc *text.UnsupportedCharError
		if p.Reply && errors.As(err, &uc) {
			return nil, invalid("message", "%v (reply-allowed messages cannot be unicode)", err)
		}
		return nil, invalid("message", "%v", err)
	}
	if p.Stop < 0 || p.Stop > 2 {
		return nil, invalid("stop", "%d: want 0, 1 or 2", p.Stop)
	}
	maxSeg, err := maxSegments(p.MaxSegments, msg.Encoding)
	if err != nil {
		return nil, err
	}
	if err := msg.Check(p.Stop, maxSeg); err != nil {
		return nil, invalid("message", "%v", err)
	}
	class := smsmode.ClassPro
	switch {
	case p.Reply:
		class = smsmode.ClassReply
	case msg.Encoding == text.Unicode:
		class = smsmode.ClassUnicode
	}
	if err := senderRefURL("", p.Sender, class, p.Ref, p.NotificationURL); err != nil {
		return nil, err
	}
	if err := validURL("reply_url", p.ReplyURL); err != nil {
		return nil, err
	}
	if class != smsmode.ClassUnicode {
		if err := latin9("group", p.Group); err != nil {
			return nil, err
		}
		if err := latin9("reply_url", p.ReplyURL); err != nil {
			return nil, err
		}
	}
	return &preparedSend{
		sms: smsmode.SMS{
			Numbers:         numbers,
			Group:           p.Group,
			Message:         msg.Text,
			Class:           class,
			RefClient:       p.Ref,
			Sender:          p.Sender,
			MaxParts:        maxSeg,
			NotificationURL: p.NotificationURL,
			ReplyURL:        p.ReplyURL,
			Stop:            smsmode.Stop(p.Stop),
		},
		message:  msg,
		segments: msg.SegmentsWithStop(p.Stop),
	}, nil
}

// Validate checks a voice payload and rewrites its numbers.
func (p *VoicePayload) Validate(region string) error {
	v, err := p.prepare(region)
	if err != nil {
		return err
	}
	p.To = v.Numbers
	return nil
}

func (p *VoicePayload) prepare(region string) (*smsmode.Voice, error) {
	numbers, err := recipients(p.To, "", false)
	if err != nil {
		return nil, err
	}
	if numbers, err = normalizeAll(numbers, region, "to"); err != nil {
		return nil, err
	}
	if strings.TrimSpace(p.Message) == "" {
		return nil, invalid("message", "empty")
	}
	// The text is read aloud: it only has to be representable on the wire.
	if n := len([]rune(p.Message)); n > 160 {
		return nil, invalid("message", "%d characters; a voice message holds at most 160", n)
	}
	if err := latin9("message", p.Message); err != nil {
		return nil, err
	}
	if err := latin9("title", p.Title); err != nil {
		return nil, err
	}
	if p.Language != "" && !voiceLanguages[p.Language] {
		return nil, invalid("language", "%q: want fr-FR, en-GB, de-DE or es-ES", p.Language)
	}
	return &smsmode.Voice{Numbers: numbers, Message: p.Message, Title: p.Title, Language: p.Language}, nil
}

// preparedBatch is a validated chunk.
type preparedBatch struct {
	batch    smsmode.Batch
	segments int // sum over rows
}

// Validate checks every row of a batch chunk and rewrites its numbers.
func (p *BatchPayload) Validate(region string) error {
	b, err := p.prepare(region)
	if err != nil {
		return err
	}
	for i := range p.Rows {
		p.Rows[i].To = b.batch.Rows[i].Number
	}
	return nil
}

func (p *BatchPayload) prepare(region string) (*preparedBatch, error) {
	if len(p.Rows) == 0 {
		return nil, invalid("rows", "no row")
	}
	class := smsmode.ClassPro
	if p.Reply {
		class = smsmode.ClassReply
	}
	if err := senderRefURL("", p.Sender, class, p.Ref, p.NotificationURL); err != nil {
		return nil, err
	}
	maxSeg, err := maxSegments(p.MaxSegments, text.GSM)
	if err != nil {
		return nil, err
	}
	out := &preparedBatch{batch: smsmode.Batch{
		Rows:            make([]smsmode.BatchRow, len(p.Rows)),
		Class:           class,
		RefClient:       p.Ref,
		Sender:          p.Sender,
		MaxParts:        maxSeg,
		NotificationURL: p.NotificationURL,
	}}
	for i, r := range p.Rows {
		field := func(name string) string { return fmt.Sprintf("rows[%d].%s", i, name) }
		num, err := phone.Normalize(r.To, region)
		if err != nil {
			return nil, invalid(field("to"), "%v", trimPrefix(err))
		}
		if strings.TrimSpace(r.Message) == "" {
			return nil, invalid(field("message"), "empty")
		}
		// The batch file is ISO-8859-15: rows cannot be unicode.
		msg, err := text.Prepare(r.Message, text.ForceGSM)
		if err != nil {
			return nil, invalid(field("message"), "%v (batch messages travel as ISO-8859-15; send it with sms:send instead)", err)
		}
		if err := msg.Check(0, maxSeg); err != nil {
			return nil, invalid(field("message"), "%v", err)
		}
		if err := senderRefURL(field(""), r.Sender, class, r.Ref, ""); err != nil {
			return nil, err
		}
		out.batch.Rows[i] = smsmode.BatchRow{Number: num, Message: msg.Text, Sender: r.Sender, RefClient: r.Ref}
		out.segments += msg.Segments
	}
	return out, nil
}

// senderRefURL checks the fields sends and batch rows share; prefix is
// "rows[3]." for a batch row. Except in unicode sends (classe_msg=9, sent
// as UTF-8) every parameter travels as ISO-8859-15, so free text must fit
// it: refused here rather than archived by the worker.
func senderRefURL(prefix, sender string, class smsmode.Class, ref, notificationURL string) error {
	if err := smsmode.ValidateSender(sender, class); err != nil {
		return invalid(prefix+"sender", "%v", trimPrefix(err))
	}
	if err := smsmode.ValidateRefClient(ref); err != nil {
		return invalid(prefix+"ref", "%v", trimPrefix(err))
	}
	if err := validURL(prefix+"notification_url", notificationURL); err != nil {
		return err
	}
	if class == smsmode.ClassUnicode {
		return nil
	}
	if err := latin9(prefix+"ref", ref); err != nil {
		return err
	}
	return latin9(prefix+"notification_url", notificationURL)
}

func recipients(to []string, group string, groupAllowed bool) ([]string, error) {
	switch {
	case len(to) > 0 && group != "":
		return nil, invalid("to", "give recipients or a group, not both")
	case len(to) == 0 && group == "" && groupAllowed:
		return nil, invalid("to", "no recipient (give to or group)")
	case len(to) == 0 && group == "":
		return nil, invalid("to", "no recipient")
	}
	return to, nil
}

func normalizeAll(numbers []string, region, field string) ([]string, error) {
	out, err := phone.NormalizeAll(numbers, region)
	if err != nil {
		return nil, invalid(field, "%v", trimPrefix(err))
	}
	return out, nil
}

func maxSegments(n int, enc text.Encoding) (int, error) {
	switch {
	case n == 0:
		return DefaultMaxSegments, nil
	case n < 0 || n > 10:
		return 0, invalid("max_segments", "%d: want 1 to 10", n)
	case enc == text.Unicode && n > maxUnicodeSegments:
		return maxUnicodeSegments, nil
	}
	return n, nil
}

func validURL(field, s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return invalid(field, "not an absolute http(s) URL")
	}
	return nil
}

func latin9(field, s string) error {
	for i, r := range []rune(s) {
		if _, ok := charmap.ISO8859_15.EncodeRune(r); !ok {
			return invalid(field, "character %q at position %d cannot be sent (ISO-8859-15 only)", r, i)
		}
	}
	return nil
}

// trimPrefix keeps the reason of a lower layer's error, so the one-line error
// reads "invalid sender: at most 11 characters" rather than repeating the
// field and the package ("invalid sender: smsmode: invalid emetteur: …").
func trimPrefix(err error) string {
	var re *smsmode.RequestError
	if errors.As(err, &re) {
		return re.Reason
	}
	s := err.Error()
	for _, p := range []string{"phone: ", "smsmode: ", "text: "} {
		s = strings.TrimPrefix(s, p)
	}
	return s
}

// scheduleFor returns the date_envoi instant for sendAt: zero (send now) when
// sendAt is zero, past or within the next minute. A time with seconds is
// rounded up to the next minute, because date_envoi has minute precision and
// a message must never leave before the time asked for.
func scheduleFor(sendAt, now time.Time) time.Time {
	if sendAt.IsZero() || !sendAt.After(now.Add(time.Minute)) {
		return time.Time{}
	}
	if t := sendAt.Truncate(time.Minute); !t.Equal(sendAt) {
		return t.Add(time.Minute)
	}
	return sendAt
}
