package smsmode

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxSenderLength is the longest emetteur the provider accepts.
const MaxSenderLength = 11

// MaxRefClientLength is the longest refClient (stated from the 3.4 edition).
const MaxRefClientLength = 40

// MaxSubAccountPseudoLength is the longest newPseudo of createSubAccount.do.
const MaxSubAccountPseudoLength = 50

// MaxListOffset is the largest smsList.do offset (3.5 edition).
const MaxListOffset = 10000

// ValidateSender checks an emetteur. The empty sender is valid (the account's
// default). Otherwise it must be at most 11 characters of printable ASCII
// without spaces or accents, must not look like a phone number (made only of
// digits and "+"), and is not allowed with ClassReply, whose sender is the
// number replies go to. The error is a *RequestError naming "emetteur".
func ValidateSender(sender string, class Class) error {
	if sender == "" {
		return nil
	}
	bad := func(reason string) error { return &RequestError{Field: "emetteur", Reason: reason} }
	if class == ClassReply {
		return bad("a custom sender is not allowed with classe_msg=4 (reply allowed)")
	}
	phoneLike := true
	for _, r := range sender {
		switch {
		case r == ' ':
			return bad("must not contain spaces")
		case r >= 0x80:
			return bad(fmt.Sprintf("ASCII letters, digits and punctuation only, no accents (%q)", r))
		case r < 0x21 || r == 0x7F:
			return bad("printable ASCII only (control character)")
		}
		if (r < '0' || r > '9') && r != '+' {
			phoneLike = false
		}
	}
	if phoneLike {
		return bad("a phone number is not allowed as sender")
	}
	if n := len(sender); n > MaxSenderLength { // ASCII by now: bytes are characters
		return bad(fmt.Sprintf("at most %d characters, got %d", MaxSenderLength, n))
	}
	return nil
}

// ValidateRefClient checks refClient: at most 40 characters. The error is a
// *RequestError naming "refClient".
func ValidateRefClient(ref string) error {
	if !utf8.ValidString(ref) {
		return &RequestError{Field: "refClient", Reason: "not valid UTF-8"}
	}
	if n := utf8.RuneCountInString(ref); n > MaxRefClientLength {
		return &RequestError{Field: "refClient", Reason: fmt.Sprintf("at most %d characters, got %d", MaxRefClientLength, n)}
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
