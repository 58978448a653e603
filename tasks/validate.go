package tasks

import (
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/text/encoding/charmap"

	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/smsmode/phone"
	"github.com/smsq/smsq/smsmode/text"
)

// ValidationError is a payload the provider would refuse. Field names the
// offending field in the payload's own notation: "to[1]", "message",
// "rows[41].message".
type ValidationError struct {
	Field  string
	Reason string
	row    int // index+1 of the batch row, 0 when the field is not in a row
}

// Error implements error.
func (e *ValidationError) Error() string { return "invalid " + e.Field + ": " + e.Reason }

// Row returns the index of the batch row the error is about (rows[i]), and
// false when it is not about a row.
func (e *ValidationError) Row() (int, bool) { return e.row - 1, e.row > 0 }

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

func invalidRow(row int, name, format string, args ...any) error {
	return &ValidationError{Field: fmt.Sprintf("rows[%d].%s", row, name), Reason: fmt.Sprintf(format, args...), row: row + 1}
}

// DefaultMaxSegments is the provider's default nbr_msg.
const DefaultMaxSegments = 5

// maxUnicodeSegments is the provider's hard limit for classe_msg=9.
const maxUnicodeSegments = 5

// voiceLanguages are the languages of sendVoiceMessage.do (3.1+).
var voiceLanguages = map[string]bool{"fr-FR": true, "en-GB": true, "de-DE": true, "es-ES": true}

// Prepared is a validated payload: the provider request it stands for and
// what it will cost. Exactly one of SMS, Voice and Batch is set.
type Prepared struct {
	SMS   *smsmode.SMS
	Voice *smsmode.Voice
	Batch *smsmode.Batch

	Encoding   string // gsm, unicode or voice
	Segments   int    // per recipient; for a batch, the sum over its rows
	Recipients int    // numbers (0 for a group), or batch rows
	Messages   int    // what the provider bills: segments × recipients

	rowSegments []int // a batch's segments, row by row
}

// Validate checks p against the provider's rules and rewrites its numbers to
// international digits. region is used for national numbers (e.g. "FR").
func (p *SendPayload) Validate(region string) error {
	ps, err := p.Prepare(region)
	if err != nil {
		return err
	}
	p.To = ps.SMS.Numbers
	return nil
}

// Prepare validates p and returns the sendSMS.do request it stands for.
// Errors are *ValidationError.
func (p *SendPayload) Prepare(region string) (*Prepared, error) {
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
	if err := senderRefURL(-1, p.Sender, class, p.Ref, p.NotificationURL); err != nil {
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
	segments := msg.SegmentsWithStop(p.Stop)
	return &Prepared{
		SMS: &smsmode.SMS{
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
		Encoding:   msg.Encoding.String(),
		Segments:   segments,
		Recipients: len(numbers),
		Messages:   segments * max(len(numbers), 1),
	}, nil
}

// Validate checks a voice payload and rewrites its numbers.
func (p *VoicePayload) Validate(region string) error {
	v, err := p.Prepare(region)
	if err != nil {
		return err
	}
	p.To = v.Voice.Numbers
	return nil
}

// Prepare validates p and returns the sendVoiceMessage.do request it
// stands for. Errors are *ValidationError.
func (p *VoicePayload) Prepare(region string) (*Prepared, error) {
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
	return &Prepared{
		Voice:    &smsmode.Voice{Numbers: numbers, Message: p.Message, Title: p.Title, Language: p.Language},
		Encoding: "voice", Segments: 1, Recipients: len(numbers), Messages: len(numbers),
	}, nil
}

// Validate checks every row of a batch and rewrites its numbers.
func (p *BatchPayload) Validate(region string) error {
	b, err := p.Prepare(region)
	if err != nil {
		return err
	}
	for i := range p.Rows {
		p.Rows[i].To = b.Batch.Rows[i].Number
	}
	return nil
}

// Prepare validates every row of p and returns the sendSMSBatch.do request
// it stands for. Errors are *ValidationError; a row's names its index.
func (p *BatchPayload) Prepare(region string) (*Prepared, error) {
	if len(p.Rows) == 0 {
		return nil, invalid("rows", "no row")
	}
	class := smsmode.ClassPro
	if p.Reply {
		class = smsmode.ClassReply
	}
	if err := senderRefURL(-1, p.Sender, class, p.Ref, p.NotificationURL); err != nil {
		return nil, err
	}
	maxSeg, err := maxSegments(p.MaxSegments, text.GSM)
	if err != nil {
		return nil, err
	}
	out := &Prepared{Encoding: "gsm", Recipients: len(p.Rows), rowSegments: make([]int, len(p.Rows)), Batch: &smsmode.Batch{
		Rows:            make([]smsmode.BatchRow, len(p.Rows)),
		Class:           class,
		RefClient:       p.Ref,
		Sender:          p.Sender,
		MaxParts:        maxSeg,
		NotificationURL: p.NotificationURL,
	}}
	if err := prepareRows(p.Rows, region, class, maxSeg, out); err != nil {
		return nil, err
	}
	for _, n := range out.rowSegments {
		out.Segments += n
	}
	out.Messages = out.Segments
	return out, nil
}

// rowsPerWorker is the smallest share of rows worth a goroutine: number
// parsing dominates the cost of a large batch.
const rowsPerWorker = 2000

// prepareRows validates rows into out, on all CPUs for a large batch. The
// error is the first one in row order, whatever the scheduling.
func prepareRows(rows []BatchRow, region string, class smsmode.Class, maxSeg int, out *Prepared) error {
	workers := min(runtime.GOMAXPROCS(0), (len(rows)+rowsPerWorker-1)/rowsPerWorker)
	if workers <= 1 {
		for i := range rows {
			if err := prepareRow(rows, i, region, class, maxSeg, out); err != nil {
				return err
			}
		}
		return nil
	}
	var (
		next     atomic.Int64 // next share to check
		firstBad atomic.Int64 // lowest failing row so far: later shares stop
		wg       sync.WaitGroup
		errs     = make([]error, (len(rows)+rowsPerWorker-1)/rowsPerWorker)
	)
	firstBad.Store(int64(len(rows)))
	for range workers {
		wg.Go(func() {
			for {
				share := int(next.Add(1) - 1)
				start := share * rowsPerWorker
				if start >= len(rows) || int64(start) > firstBad.Load() {
					return
				}
				for i := start; i < min(start+rowsPerWorker, len(rows)); i++ {
					if err := prepareRow(rows, i, region, class, maxSeg, out); err != nil {
						errs[share] = err
						lower(&firstBad, int64(i))
						break
					}
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// lower sets v to n unless it holds a smaller value already.
func lower(v *atomic.Int64, n int64) {
	for {
		cur := v.Load()
		if n >= cur || v.CompareAndSwap(cur, n) {
			return
		}
	}
}

// prepareRow validates rows[i] into out.Batch.Rows[i] and out.rowSegments[i].
func prepareRow(rows []BatchRow, i int, region string, class smsmode.Class, maxSeg int, out *Prepared) error {
	r := rows[i]
	num, err := phone.Normalize(r.To, region)
	if err != nil {
		return invalidRow(i, "to", "%v", trimPrefix(err))
	}
	if strings.TrimSpace(r.Message) == "" {
		return invalidRow(i, "message", "empty")
	}
	// The batch file is ISO-8859-15: rows cannot be unicode.
	msg, err := text.Prepare(r.Message, text.ForceGSM)
	if err != nil {
		return invalidRow(i, "message", "%v (batch messages travel as ISO-8859-15; send it with sms:send instead)", err)
	}
	if err := msg.Check(0, maxSeg); err != nil {
		return invalidRow(i, "message", "%v", err)
	}
	if err := senderRefURL(i, r.Sender, class, r.Ref, ""); err != nil {
		return err
	}
	out.Batch.Rows[i] = smsmode.BatchRow{Number: num, Message: msg.Text, Sender: r.Sender, RefClient: r.Ref}
	out.rowSegments[i] = msg.Segments
	return nil
}

// senderRefURL checks the fields sends and batch rows share; row is the
// batch row's index, -1 for the payload's own fields. Except in unicode
// sends (classe_msg=9, sent as UTF-8) every parameter travels as
// ISO-8859-15, so free text must fit it: refused here rather than archived
// by the worker.
func senderRefURL(row int, sender string, class smsmode.Class, ref, notificationURL string) error {
	fail := func(name string, err error) error {
		var ve *ValidationError
		if errors.As(err, &ve) {
			if row >= 0 {
				return invalidRow(row, name, "%s", ve.Reason)
			}
			return err
		}
		if row >= 0 {
			return invalidRow(row, name, "%v", trimPrefix(err))
		}
		return invalid(name, "%v", trimPrefix(err))
	}
	if err := smsmode.ValidateSender(sender, class); err != nil {
		return fail("sender", err)
	}
	if err := smsmode.ValidateRefClient(ref); err != nil {
		return fail("ref", err)
	}
	if err := validURL("notification_url", notificationURL); err != nil {
		return fail("notification_url", err)
	}
	if class == smsmode.ClassUnicode {
		return nil
	}
	if err := latin9("ref", ref); err != nil {
		return fail("ref", err)
	}
	if err := latin9("notification_url", notificationURL); err != nil {
		return fail("notification_url", err)
	}
	return nil
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
	var ee *phone.EntryError
	if errors.As(err, &ee) {
		return nil, invalid(fmt.Sprintf("%s[%d]", field, ee.Index), "%q: %s", ee.Err.Input, ee.Err.Reason)
	}
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

// ScheduleFor returns the date_envoi instant for sendAt: zero (send now) when
// sendAt is zero, past or within the next minute. A time with seconds is
// rounded up to the next minute, because date_envoi has minute precision and
// a message must never leave before the time asked for.
func ScheduleFor(sendAt, now time.Time) time.Time {
	if sendAt.IsZero() || !sendAt.After(now.Add(time.Minute)) {
		return time.Time{}
	}
	if t := sendAt.Truncate(time.Minute); !t.Equal(sendAt) {
		return t.Add(time.Minute)
	}
	return sendAt
}
