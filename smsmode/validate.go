package smsmode

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/smsq/smsq/smsmode/text"
)

// The provider's limits. Each is the single source of the rule for the
// client, which refuses a request breaking one before sending it, and for
// callers that check at their own boundary (a queue's enqueue) with the
// Validate methods.
const (
	// DefaultMaxParts is the provider's nbr_msg when the parameter is
	// omitted: a longer message is cut by the provider, so the client
	// refuses it.
	DefaultMaxParts = 5
	// MaxUnicodeParts is the most parts a unicode (classe_msg=9) message can
	// have, whatever nbr_msg says: "Un maximum de 5 SMS peut être concaténé".
	MaxUnicodeParts = 5
	// MaxVoiceLength is the longest voice message, in characters ("160
	// caractères maximal").
	MaxVoiceLength = 160
	// MaxSenderLength is the longest emetteur, in GSM septets: "Maximum 11
	// caractères".
	MaxSenderLength = 11
	// MaxRefClientLength is the longest refClient, in characters (stated
	// from the 3.4 edition).
	MaxRefClientLength = 40
	// MaxSubAccountPseudoLength is the longest newPseudo of createSubAccount.do.
	MaxSubAccountPseudoLength = 50
	// MaxListOffset is the largest smsList.do offset (3.5 edition).
	MaxListOffset = 10000
)

// VoiceLanguages are the documented values of the voice language parameter
// (3.1 edition on).
var VoiceLanguages = []string{"fr-FR", "en-GB", "de-DE", "es-ES"}

// senderDouble are the characters GSM sends as an escape septet followed by
// the character's: each takes two of the eleven septets of a sender.
const senderDouble = "{}[]\\^~|"

// ValidateSender checks an emetteur against the reference: "Maximum 11
// caractères, sans accent ni espace", "Numéro de téléphone non autorisé",
// and not with classe_msg=4 (whose sender is the number replies go to).
// The empty sender is valid (the account's default). Precisely:
//
//   - printable ASCII only: no accent, no space, no control character, and
//     no backtick, which the reference's character table lacks (the
//     handset would show "?");
//   - at most 11 GSM septets: { } [ ] \ ^ ~ | take two each, as an
//     alphanumeric sender holds 11 septets;
//   - not a phone number: a sender must hold at least one letter, as
//     alphanumeric senders do on the networks; digits and punctuation
//     alone (36034, +33612345678, 06.12.34.56.78) read as a number.
//
// The error is a *RequestError naming "emetteur".
func ValidateSender(sender string, class Class) error {
	if sender == "" {
		return nil
	}
	bad := func(reason string) error { return &RequestError{Field: "emetteur", Reason: reason} }
	if class == ClassReply {
		return bad("a custom sender is not allowed with classe_msg=4 (reply allowed)")
	}
	septets, letters := 0, 0
	for _, r := range sender {
		switch {
		case r == ' ':
			return bad("must not contain spaces")
		case r >= 0x80:
			return bad(fmt.Sprintf("ASCII letters, digits and punctuation only, no accents (%q)", r))
		case r < 0x21 || r == 0x7F:
			return bad("printable ASCII only (control character)")
		case r == '`':
			return bad("the backtick is not in the GSM character table")
		}
		septets++
		if strings.ContainsRune(senderDouble, r) {
			septets++
		}
		if r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' {
			letters++
		}
	}
	if letters == 0 {
		return bad("a phone number is not allowed as sender (a sender needs a letter)")
	}
	if septets > MaxSenderLength {
		if septets != len(sender) {
			return bad(fmt.Sprintf("at most %d characters, got %d septets ({ } [ ] \\ ^ ~ | count two)", MaxSenderLength, septets))
		}
		return bad(fmt.Sprintf("at most %d characters, got %d", MaxSenderLength, septets))
	}
	return nil
}

// ValidateRefClient checks refClient: at most 40 characters. The error is a
// *RequestError naming "refClient". Its charset is the request's: see
// ValidateLatin9.
func ValidateRefClient(ref string) error {
	if !utf8.ValidString(ref) {
		return &RequestError{Field: "refClient", Reason: "not valid UTF-8"}
	}
	if n := utf8.RuneCountInString(ref); n > MaxRefClientLength {
		return &RequestError{Field: "refClient", Reason: fmt.Sprintf("at most %d characters, got %d", MaxRefClientLength, n)}
	}
	return nil
}

// ValidateNotificationURL checks a URL the provider calls back
// (notification_url, notification_url_reponse): empty, or an absolute http
// or https URL with a host. field names the parameter in the
// *RequestError.
func ValidateNotificationURL(field, rawURL string) error {
	if rawURL == "" {
		return nil
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return &RequestError{Field: field, Reason: "not an absolute http(s) URL"}
	}
	return nil
}

// ValidateLatin9 checks that a free-text parameter can travel in
// ISO-8859-15, the charset of every request but a unicode (classe_msg=9)
// send: a character without an ISO-8859-15 byte cannot be sent at all.
// field names the parameter in the *RequestError.
func ValidateLatin9(field, value string) error {
	_, err := wireValue(field, value, false)
	return err
}

// Validate checks m against the provider's rules, as SendSMS does before
// sending: recipients (numero or groupe), classe_msg, stop, nbr_msg (at most
// MaxUnicodeParts for unicode), emetteur (ValidateSender), refClient,
// notification URLs, the message (non-empty; characters of the GSM table
// unless ClassUnicode; at most nbr_msg parts, STOP mention included) and the
// charset of the free-text parameters. It returns the first *RequestError
// found, whose Field is the provider's parameter name.
func (m *SMS) Validate() error {
	if m == nil {
		return &RequestError{Field: "message", Reason: "nil request"}
	}
	if err := checkClass(m.Class, true); err != nil {
		return err
	}
	switch {
	case len(m.Numbers) > 0 && m.Group != "":
		return &RequestError{Field: "numero", Reason: "numero and groupe are exclusive: set exactly one"}
	case len(m.Numbers) == 0 && m.Group == "":
		return &RequestError{Field: "numero", Reason: "no recipient: set numero or groupe"}
	}
	if m.Stop < StopNone || m.Stop > StopAlways {
		return &RequestError{Field: "stop", Reason: fmt.Sprintf("must be 0, 1 or 2, got %d", int(m.Stop))}
	}
	if err := checkMaxParts(m.MaxParts, m.Class); err != nil {
		return err
	}
	if err := ValidateSender(m.Sender, m.Class); err != nil {
		return err
	}
	if err := ValidateRefClient(m.RefClient); err != nil {
		return err
	}
	if err := ValidateNotificationURL("notification_url", m.NotificationURL); err != nil {
		return err
	}
	if err := ValidateNotificationURL("notification_url_reponse", m.ReplyURL); err != nil {
		return err
	}
	if _, err := encodeMessage("message", 0, m.Message, m.Class); err != nil {
		return err
	}
	if err := checkLength("message", 0, m.Message, m.Class, m.Stop, m.MaxParts); err != nil {
		return err
	}
	if _, err := joinNumbers("numero", m.Numbers); err != nil {
		return err
	}
	unicode := m.Class == ClassUnicode
	for _, p := range [][2]string{
		{"groupe", m.Group}, {"refClient", m.RefClient},
		{"notification_url", m.NotificationURL}, {"notification_url_reponse", m.ReplyURL},
	} {
		if _, err := wireValue(p[0], p[1], unicode); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks v against the provider's rules, as SendVoice does before
// sending: recipients, a non-empty message of at most MaxVoiceLength
// characters, message and title in ISO-8859-15, a language of
// VoiceLanguages. It returns the first *RequestError found.
func (v *Voice) Validate() error {
	if v == nil {
		return &RequestError{Field: "message", Reason: "nil request"}
	}
	if len(v.Numbers) == 0 {
		return &RequestError{Field: "numero", Reason: "no recipient"}
	}
	if _, err := joinNumbers("numero", v.Numbers); err != nil {
		return err
	}
	if v.Message == "" {
		return &RequestError{Field: "message", Reason: "empty"}
	}
	if !utf8.ValidString(v.Message) {
		return &RequestError{Field: "message", Reason: "not valid UTF-8"}
	}
	if n := utf8.RuneCountInString(v.Message); n > MaxVoiceLength {
		return &RequestError{Field: "message", Reason: fmt.Sprintf("at most %d characters for a voice message, got %d", MaxVoiceLength, n)}
	}
	if err := ValidateLatin9("message", v.Message); err != nil {
		return err
	}
	if err := ValidateLatin9("title", v.Title); err != nil {
		return err
	}
	if v.Language != "" {
		known := false
		for _, l := range VoiceLanguages {
			known = known || l == v.Language
		}
		if !known {
			return &RequestError{Field: "language", Reason: fmt.Sprintf("%q is not one of fr-FR, en-GB, de-DE, es-ES", sanitize(v.Language, 16))}
		}
	}
	return nil
}

// Validate checks b against the provider's rules, as SendBatch does before
// sending: the request's parameters (classe_msg 2 or 4, nbr_msg, emetteur,
// refClient, notification_url, in ISO-8859-15), then every row (numero, a
// message of GSM-table characters within nbr_msg parts, emetteur,
// refClient). A row's error has its 1-based Row.
func (b *Batch) Validate() error {
	if b == nil {
		return &RequestError{Field: "fichier", Reason: "nil request"}
	}
	if len(b.Rows) == 0 {
		return &RequestError{Field: "fichier", Reason: "no rows"}
	}
	if err := checkClass(b.Class, false); err != nil {
		return err
	}
	if err := checkMaxParts(b.MaxParts, b.Class); err != nil {
		return err
	}
	if err := ValidateSender(b.Sender, b.Class); err != nil {
		return err
	}
	if err := ValidateRefClient(b.RefClient); err != nil {
		return err
	}
	if err := ValidateNotificationURL("notification_url", b.NotificationURL); err != nil {
		return err
	}
	for _, p := range [][2]string{{"refClient", b.RefClient}, {"notification_url", b.NotificationURL}} {
		if err := ValidateLatin9(p[0], p[1]); err != nil {
			return err
		}
	}
	for i := range b.Rows {
		if err := b.validateRow(i); err != nil {
			return err
		}
	}
	return nil
}

// validateRow checks row i (0-based) of b.
func (b *Batch) validateRow(i int) error {
	r, row := b.Rows[i], i+1
	inRow := func(err error) error {
		var re *RequestError
		if errors.As(err, &re) {
			re.Row = row
		}
		return err
	}
	if _, err := checkNumber("numero", -1, r.Number); err != nil {
		return inRow(err)
	}
	if _, err := encodeMessage("message", row, r.Message, b.Class); err != nil {
		return err
	}
	if err := checkLength("message", row, r.Message, b.Class, StopNone, b.MaxParts); err != nil {
		return err
	}
	if err := ValidateSender(r.Sender, b.Class); err != nil {
		return inRow(err)
	}
	if err := ValidateRefClient(r.RefClient); err != nil {
		return inRow(err)
	}
	return inRow(ValidateLatin9("refClient", r.RefClient))
}

// encodeMessage returns the wire bytes of an SMS text: GSM-table characters
// as ISO-8859-15, or UTF-8 for unicode. A character outside the GSM table is
// refused: the provider would silently turn it into "?".
func encodeMessage(field string, row int, msg string, class Class) (string, error) {
	if msg == "" {
		return "", &RequestError{Field: field, Row: row, Reason: "empty"}
	}
	if !utf8.ValidString(msg) {
		return "", &RequestError{Field: field, Row: row, Reason: "not valid UTF-8"}
	}
	if class == ClassUnicode {
		return msg, nil
	}
	b, err := text.EncodeGSM(msg)
	if err != nil {
		reason := "contains a character outside the GSM table; send it as unicode (classe_msg=9) or substitute it"
		var uc *text.UnsupportedCharError
		if errors.As(err, &uc) {
			reason = fmt.Sprintf("character %q (U+%04X) at position %d is not in the GSM table; send it as unicode (classe_msg=9) or substitute it", uc.Char, uc.Char, uc.Position+1)
		}
		return "", &RequestError{Field: field, Row: row, Reason: reason, Err: err}
	}
	return string(b), nil
}

// checkLength refuses a text the provider would cut at nbr_msg parts
// (default 5; at most 5 for unicode): it is never silently truncated.
func checkLength(field string, row int, msg string, class Class, stop Stop, maxParts int) error {
	if maxParts == 0 {
		maxParts = DefaultMaxParts
	}
	mode := text.ForceGSM
	if class == ClassUnicode {
		mode = text.ForceUnicode
		maxParts = min(maxParts, MaxUnicodeParts)
	}
	m, err := text.Prepare(msg, mode)
	if err != nil {
		return &RequestError{Field: field, Row: row, Reason: err.Error(), Err: err}
	}
	if err := m.Check(int(stop), maxParts); err != nil {
		reason := err.Error()
		var tl *text.TooLongError
		if errors.As(err, &tl) {
			reason = fmt.Sprintf("needs %d SMS parts, nbr_msg allows %d (the provider would cut it)", tl.Segments, tl.MaxSegments)
		}
		return &RequestError{Field: field, Row: row, Reason: reason, Err: err}
	}
	return nil
}

func checkClass(c Class, allowUnicode bool) error {
	switch c {
	case 0, ClassPro, ClassReply:
		return nil
	case ClassUnicode:
		if allowUnicode {
			return nil
		}
	}
	return &RequestError{Field: "classe_msg", Reason: fmt.Sprintf("unsupported value %d", int(c))}
}

// checkMaxParts refuses a negative nbr_msg, and one above MaxUnicodeParts
// for a unicode message: the provider cannot concatenate more.
func checkMaxParts(n int, class Class) error {
	switch {
	case n < 0:
		return &RequestError{Field: "nbr_msg", Reason: "must not be negative"}
	case class == ClassUnicode && n > MaxUnicodeParts:
		return &RequestError{Field: "nbr_msg", Reason: fmt.Sprintf("at most %d for a unicode message (classe_msg=9), got %d", MaxUnicodeParts, n)}
	}
	return nil
}

// checkNumber validates one recipient as the client sends it: digits, an
// optional leading "+" that is dropped. Normalising national forms is the
// caller's job (package phone); here a comma, a space or a letter would
// silently change the recipient list.
func checkNumber(field string, i int, n string) (string, error) {
	d := strings.TrimPrefix(n, "+")
	if d == "" || len(d) > 20 {
		return "", &RequestError{Field: field, Reason: numberReason(i, n, "not a phone number")}
	}
	for j := 0; j < len(d); j++ {
		if d[j] < '0' || d[j] > '9' {
			return "", &RequestError{Field: field, Reason: numberReason(i, n, "digits only (international 336… or national 06…)")}
		}
	}
	return d, nil
}

func numberReason(i int, n, why string) string {
	s := strconv.Quote(sanitize(n, 24))
	if i >= 0 {
		return fmt.Sprintf("entry %d %s: %s", i+1, s, why)
	}
	return s + ": " + why
}

// joinNumbers validates and joins recipients with commas.
func joinNumbers(field string, numbers []string) (string, error) {
	var b strings.Builder
	b.Grow(len(numbers) * 12)
	for i, n := range numbers {
		d, err := checkNumber(field, i, n)
		if err != nil {
			return "", err
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(d)
	}
	return b.String(), nil
}
