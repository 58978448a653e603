package text

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Message is a prepared message.
type Message struct {
	Text     string // the text that will be sent (look-alikes substituted for GSM)
	Encoding Encoding
	Units    int // billed units: GSM septets with double-count characters, or unicode units (astral = 2)
	Segments int // parts the network splits Text into (no STOP mention); see GSMSegments
}

// Prepare classifies s under mode, substituting free look-alikes for GSM.
// ForceGSM fails with *UnsupportedCharError for a character with no look-alike.
//
// In [Auto] mode the result is GSM, with the look-alikes substituted, when
// every character is in the table or has a look-alike; otherwise it is
// unicode with s unchanged, because a substitution that does not save the
// message from unicode would only degrade it. Text in decomposed form
// (e + U+0301) is composed first, so it is treated like its precomposed
// equivalent (é).
//
// s must be valid UTF-8; otherwise Prepare returns an error wrapping
// [ErrInvalidUTF8]. An empty s gives 0 units and 0 segments.
func Prepare(s string, mode Mode) (Message, error) {
	switch mode {
	case ForceUnicode:
		if !utf8.ValidString(s) {
			return Message{}, invalidUTF8(s)
		}
		return unicodeMessage(s), nil
	case Auto, ForceGSM:
	default:
		return Message{}, fmt.Errorf("text: unknown encoding mode %d", int(mode))
	}

	// No upfront utf8.ValidString: an invalid byte decodes as U+FFFD, which
	// is neither in the table nor has a look-alike, so the GSM attempt
	// stops there, and validity is checked only once that attempt failed.
	units, n := scanGSM(s)
	if n == len(s) {
		// The common case: nothing to substitute, nothing to allocate.
		return gsmMessage(s, units), nil
	}

	t := s
	out, outUnits, bad := substitute(t, n, units, false)
	if bad >= 0 && isMark(t, bad) {
		// A combining mark: compose the text first, so that e + U+0301
		// becomes the table's é rather than a bare e, then drop the marks
		// that have no precomposed form. Text is rarely decomposed, so
		// composition is only paid for when a mark shows up.
		if norm.NFC.QuickSpanString(s) < len(s) {
			t = norm.NFC.String(s)
			units, n = scanGSM(t)
		}
		out, outUnits, bad = substitute(t, n, units, true)
	}
	if bad < 0 {
		return gsmMessage(out, outUnits), nil
	}
	if !utf8.ValidString(s) {
		return Message{}, invalidUTF8(s)
	}
	if mode == Auto {
		return unicodeMessage(s), nil
	}
	return Message{}, unsupported(s, t, bad)
}

// substitute replaces the look-alikes of t from byte offset start on; t[:start]
// is known to be GSM and to cost units. It returns the substituted text and
// its units, or the byte offset of the first character with no look-alike
// (bad >= 0). With marks false, it also stops at the first combining mark.
func substitute(t string, start, units int, marks bool) (out string, total, bad int) {
	var b strings.Builder
	run := 0 // start of the pending run of table characters, copied in one go
	for i := start; i < len(t); {
		if c := t[i]; c < utf8.RuneSelf && gsm.cost[c] != 0 {
			units += int(gsm.cost[c])
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(t[i:])
		if cost := gsmCost(r); cost != 0 {
			units += cost
			i += size
			continue
		}
		if !marks && r >= 0x300 && unicode.Is(unicode.Mn, r) { // no mark below U+0300
			return "", 0, i
		}
		repl, ok := lookalike(r)
		if !ok {
			return "", 0, i
		}
		if b.Cap() == 0 {
			// Substitutions rarely grow the text (… and œ do, by one or
			// two bytes), so a little more than its length makes one
			// allocation enough. It is made only once a substitution is
			// certain, not for a text bound to fall back to unicode.
			b.Grow(len(t) + 8)
		}
		b.WriteString(t[run:i])
		b.WriteString(repl)
		units += gsmUnits(repl)
		i += size
		run = i
	}
	if run == 0 {
		// Nothing substituted: t was GSM once composed.
		return t, units, -1
	}
	b.WriteString(t[run:])
	return b.String(), units, -1
}

// isMark reports whether the rune at byte offset i of s is a combining mark.
func isMark(s string, i int) bool {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return unicode.Is(unicode.Mn, r)
}

// unsupported builds the error for the character at byte offset bad of t,
// the composed form of s. The position is reported in s, the text the caller
// knows.
func unsupported(s, t string, bad int) error {
	r, _ := utf8.DecodeRuneInString(t[bad:])
	pos := utf8.RuneCountInString(t[:bad])
	if t != s {
		// Composition merged and reordered runes: find the culprit in s.
		// Composition only absorbs marks that have a look-alike (nothing)
		// into letters that have one, so the first character of s with
		// none is the one that failed.
		for i, sr := range []rune(s) {
			if gsmCost(sr) != 0 {
				continue
			}
			if _, ok := lookalike(sr); !ok {
				return &UnsupportedCharError{Char: sr, Position: i}
			}
		}
	}
	return &UnsupportedCharError{Char: r, Position: pos}
}

// gsmMessage returns the GSM message of s, table characters only, costing units.
func gsmMessage(s string, units int) Message {
	m := Message{Text: s, Encoding: GSM, Units: units}
	m.Segments = m.segments(0)
	return m
}

// unicodeMessage prepares s, valid UTF-8, as unicode.
func unicodeMessage(s string) Message {
	units := unicodeUnits(s)
	return Message{Text: s, Encoding: Unicode, Units: units, Segments: CountSegments(Unicode, units)}
}

// unicodeUnits counts the UTF-16 code units of s, valid UTF-8: one per code
// point, and a second one for a code point above U+FFFF, which UTF-16 sends
// as a surrogate pair. Counting lead bytes avoids decoding: every code point
// has exactly one, and only those above U+FFFF have a lead byte >= 0xF0.
func unicodeUnits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c&0xC0 != 0x80 {
			n++
		}
		if c >= 0xF0 {
			n++
		}
	}
	return n
}

// Bytes returns the wire bytes: ISO-8859-15 for GSM, UTF-8 for unicode.
//
// A character outside the table in a GSM message (possible only in a
// Message not made by [Prepare]) is written as "?", which is what the
// provider would show for it.
func (m Message) Bytes() []byte {
	if m.Encoding == Unicode {
		return []byte(m.Text)
	}
	return encodeISO(m.Text)
}

// EncodeGSM returns the ISO-8859-15 bytes of s, which must hold only characters of the GSM table.
//
// Unlike [Prepare] it substitutes nothing: it fails with
// *[UnsupportedCharError] on the first character outside the table, and
// with an error wrapping [ErrInvalidUTF8] when s is not valid UTF-8.
func EncodeGSM(s string) ([]byte, error) {
	if _, n := scanGSM(s); n < len(s) {
		// scanGSM stops at an invalid byte too (see Prepare).
		if !utf8.ValidString(s) {
			return nil, invalidUTF8(s)
		}
		r, _ := utf8.DecodeRuneInString(s[n:])
		return nil, &UnsupportedCharError{Char: r, Position: utf8.RuneCountInString(s[:n])}
	}
	return encodeISO(s), nil
}
