package text

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// ErrInvalidUTF8 is wrapped by the error [Prepare] and [EncodeGSM] return for
// text that is not valid UTF-8; such text cannot be counted, let alone sent.
var ErrInvalidUTF8 = errors.New("text: message is not valid UTF-8")

// invalidUTF8 names the first invalid byte of s, to help find a text that
// was read with the wrong charset.
func invalidUTF8(s string) error {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return fmt.Errorf("%w: byte 0x%02X at offset %d", ErrInvalidUTF8, s[i], i)
		}
		i += size
	}
	return ErrInvalidUTF8
}

// UnsupportedCharError names a character that cannot be sent as GSM.
type UnsupportedCharError struct {
	Char     rune
	Position int // rune index in the caller's text, counting from 0
}

// Error names the character, its code point and its position, and points to
// the way out.
func (e *UnsupportedCharError) Error() string {
	return fmt.Sprintf("text: character %q (U+%04X) at position %d is not in the GSM character table; use encoding unicode",
		string(e.Char), e.Char, e.Position)
}

// TooLongError is a message needing more segments than allowed.
type TooLongError struct {
	Segments    int // needed
	MaxSegments int
	Encoding    Encoding
	Units       int // units of the text and its STOP mention, if any
}

// Error states what the message needs against what is allowed, so the
// sender knows how much to cut.
func (e *TooLongError) Error() string {
	return fmt.Sprintf("text: message needs %d segments (%d %s units) but max_segments is %d",
		e.Segments, e.Units, e.Encoding, e.MaxSegments)
}
