package smsmode

import (
	"encoding/json"
	"mime"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// The 1.6 API speaks ISO-8859-15 (Latin-9) except for the message of a
// classe_msg=9 send, which is UTF-8.

// cp1252High maps 0x80-0x9F as Windows-1252 does. Those bytes are C1
// control characters in ISO-8859-15 and never appear in text, while the
// reference itself lists "€ = %80": a body using them is Windows-1252.
var cp1252High = [32]rune{
	'€', 0xFFFD, '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', 0xFFFD, 'Ž', 0xFFFD,
	0xFFFD, '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', 0xFFFD, 'ž', 'Ÿ',
}

// decodeLatin9 decodes ISO-8859-15 bytes (0x80-0x9F read as Windows-1252).
func decodeLatin9(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b) + len(b)/4)
	for _, c := range b {
		switch {
		case c < utf8.RuneSelf:
			sb.WriteByte(c)
		case c < 0xA0:
			sb.WriteRune(cp1252High[c-0x80])
		default:
			sb.WriteRune(charmap.ISO8859_15.DecodeByte(c))
		}
	}
	return sb.String()
}

// encodeLatin9 returns the ISO-8859-15 bytes of s, as a string because
// url.Values and encoding/csv take strings and escape them byte by byte.
// On failure it reports the first character that has no ISO-8859-15 byte
// (or RuneError for invalid UTF-8) and its rune index.
func encodeLatin9(s string) (string, rune, int, bool) {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return s, 0, 0, true
	}
	out := make([]byte, 0, len(s))
	pos := 0
	for i := 0; i < len(s); pos++ {
		r, width := utf8.DecodeRuneInString(s[i:])
		i += width
		if r == utf8.RuneError && width == 1 {
			return "", r, pos, false
		}
		b, ok := charmap.ISO8859_15.EncodeRune(r)
		if !ok {
			return "", r, pos, false
		}
		out = append(out, b)
	}
	return string(out), 0, 0, true
}

// decodeBody turns a response body into UTF-8 text. The provider may answer
// in ISO-8859-1/15 ("Accepté" as 0xE9) with or without saying so: a Latin
// charset label, or bytes that are not valid UTF-8, select Latin-9.
func decodeBody(contentType string, raw []byte) string {
	raw = trimBOM(raw)
	latin := !utf8.Valid(raw)
	if !latin && contentType != "" {
		if _, params, err := mime.ParseMediaType(contentType); err == nil {
			switch strings.ToLower(strings.TrimSpace(params["charset"])) {
			case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "iso_8859-1",
				"iso-8859-15", "iso8859-15", "latin9", "latin-9", "l9", "iso_8859-15",
				"windows-1252", "cp1252":
				latin = true
			}
		}
	}
	if latin {
		return decodeLatin9(raw)
	}
	return string(raw)
}

// decodeParam decodes a callback parameter: sMsmode says nothing about the
// charset of its callbacks, so valid UTF-8 is kept and anything else is
// read as ISO-8859-15.
func decodeParam(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return decodeLatin9([]byte(s))
}

func trimBOM(b []byte) []byte {
	if len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		return b[3:]
	}
	return b
}

// sanitize makes s safe for a one-line error message: valid UTF-8, no
// control characters, at most max runes.
func sanitize(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	n := 0
	space := false
	for _, r := range s {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			if !space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		if n == max {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
		n++
	}
	return strings.TrimSpace(b.String())
}

// jsonMessage extracts a human message from a JSON error body, if any.
func jsonMessage(body string) (string, bool) {
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		return "", false
	}
	for _, k := range []string{"message", "description", "error_description", "error", "detail", "title"} {
		switch v := m[k].(type) {
		case string:
			if v != "" {
				return v, true
			}
		case map[string]any:
			if s, ok := v["message"].(string); ok && s != "" {
				return s, true
			}
		}
	}
	return "", false
}
