package tasks

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/smsq/smsq/marketing"
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
	maxSeg, err := maxSegments(p.MaxSegments, msg.Encoding)
	if err != nil {
		return nil, err
	}
	if p.Marketing && p.Sender != "" && p.Stop == 0 {
		return nil, invalid("stop", "a marketing message with a custom sender needs the STOP mention: stop 1 or 2 (operators may block it otherwise)")
	}
	class := smsmode.ClassPro
	switch {
	case p.Reply:
		class = smsmode.ClassReply
	case msg.Encoding == text.Unicode:
		class = smsmode.ClassUnicode
	}
	sms := &smsmode.SMS{
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
	}
	// The provider's rules live in package smsmode: refused here with the
	// payload's field names rather than archived by the worker.
	if err := sms.Validate(); err != nil {
		return nil, fromRequestError(err, p.Group != "")
	}
	segments := msg.SegmentsWithStop(p.Stop)
	return &Prepared{
		SMS:        sms,
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
	v := &smsmode.Voice{Numbers: numbers, Message: p.Message, Title: p.Title, Language: p.Language}
	if err := v.Validate(); err != nil {
		return nil, fromRequestError(err, false)
	}
	return &Prepared{Voice: v, Encoding: "voice", Segments: 1, Recipients: len(numbers), Messages: len(numbers)}, nil
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
	if err := prepareRows(p, region, out); err != nil {
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

// prepareRows validates the rows of p into out, share by share, on all
// CPUs for a large batch. The error is the first one in row order,
// whatever the scheduling.
func prepareRows(p *BatchPayload, region string, out *Prepared) error {
	shares := (len(p.Rows) + rowsPerWorker - 1) / rowsPerWorker
	errs := make([]error, shares)
	var (
		next     atomic.Int64 // next share to check
		firstBad atomic.Int64 // lowest failing share so far: later shares stop
		wg       sync.WaitGroup
	)
	firstBad.Store(int64(shares))
	for range min(runtime.GOMAXPROCS(0), shares) {
		wg.Go(func() {
			for {
				share := next.Add(1) - 1
				if share >= int64(shares) || share > firstBad.Load() {
					return
				}
				start := int(share) * rowsPerWorker
				if err := prepareShare(p, region, out, start, min(start+rowsPerWorker, len(p.Rows))); err != nil {
					errs[share] = err
					lower(&firstBad, share)
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

// prepareShare validates rows [start, end) of p into out: numbers and text
// here, the provider's rules by smsmode.Batch.Validate on those rows.
func prepareShare(p *BatchPayload, region string, out *Prepared, start, end int) error {
	for i := start; i < end; i++ {
		r := p.Rows[i]
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
		if p.Marketing && (r.Sender != "" || p.Sender != "") && !marketing.HasStopMention(msg.Text) {
			return invalidRow(i, "message", "a marketing message with a custom sender needs a STOP mention in its text (e.g. \"STOP au 36180\"): a batch has no stop parameter")
		}
		out.Batch.Rows[i] = smsmode.BatchRow{Number: num, Message: msg.Text, Sender: r.Sender, RefClient: r.Ref}
		out.rowSegments[i] = msg.Segments
	}
	share := *out.Batch
	share.Rows = out.Batch.Rows[start:end]
	if err := share.Validate(); err != nil {
		var re *smsmode.RequestError
		if errors.As(err, &re) && re.Row > 0 {
			re.Row += start
		}
		return fromRequestError(err, false)
	}
	return nil
}

// payloadFields maps the provider's parameter names (smsmode.RequestError's
// Field) to the payload's.
var payloadFields = map[string]string{
	"numero": "to", "groupe": "group", "message": "message", "emetteur": "sender",
	"refClient": "ref", "notification_url": "notification_url", "notification_url_reponse": "reply_url",
	"stop": "stop", "nbr_msg": "max_segments", "classe_msg": "encoding", "title": "title",
	"language": "language", "fichier": "rows", "date_envoi": "send_at",
}

// fromRequestError turns the provider rules' refusal into a ValidationError
// naming the payload's field (rows[i].field for a batch row). group says
// the send names a group, which "numero" errors are then about.
func fromRequestError(err error, group bool) error {
	var re *smsmode.RequestError
	if !errors.As(err, &re) {
		return invalid("message", "%v", err)
	}
	field, ok := payloadFields[re.Field]
	if !ok {
		field = re.Field
	}
	if field == "to" && group {
		field = "group"
	}
	reason := re.Reason
	var tl *text.TooLongError
	if errors.As(err, &tl) {
		reason = fmt.Sprintf("needs %d segments, max_segments allows %d (never cut: shorten it or raise max_segments)", tl.Segments, tl.MaxSegments)
	}
	if re.Row > 0 {
		return invalidRow(re.Row-1, field, "%s", reason)
	}
	return invalid(field, "%s", reason)
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

// maxSegments is the nbr_msg of max_segments: 0 is the provider's default;
// a unicode message holds at most smsmode.MaxUnicodeParts whatever it says,
// so a larger value is lowered rather than refused.
func maxSegments(n int, enc text.Encoding) (int, error) {
	switch {
	case n == 0:
		return smsmode.DefaultMaxParts, nil
	case n < 0 || n > 10:
		return 0, invalid("max_segments", "%d: want 1 to 10", n)
	case enc == text.Unicode && n > smsmode.MaxUnicodeParts:
		return smsmode.MaxUnicodeParts, nil
	}
	return n, nil
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
