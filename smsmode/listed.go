package smsmode

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// minListedCut is the shortest listed text (in characters of its
// ListedText form) that MatchListed takes for a cut copy of a longer sent
// text: about one unicode part (70 units) less the STOP mention's 11. Below
// that, a prefix is as likely to be another, shorter message.
const minListedCut = 59

// ListedText returns the form in which a reconciler compares a text sent
// with a text read back from smsList.do (SentSMS.Text). Apply it to BOTH
// sides, or use MatchListed.
//
// smsList.do answers in ISO-8859-15, like the rest of the API, so a unicode
// message (classe_msg=9) comes back with "?" in place of every character
// ISO-8859-15 lacks (emoji, Cyrillic, typographic quotes …); the provider
// replaces characters it cannot carry with "?" (reference, "Caractères et
// encodage"). The list's parser also trims the text and drops the spaces of
// blank lines. ListedText makes the same changes to any text:
//
//   - every character without an ISO-8859-15 byte becomes "?", and so do the
//     C1 controls U+0080-U+009F, which a Windows-1252 reading of the answer
//     turns into other characters; invalid UTF-8 becomes "?" too;
//   - a run of "?" becomes a single "?", because the listing may show one
//     "?" per code point or one per UTF-16 unit (an emoji is two);
//   - CR before LF is dropped, a line of spaces becomes empty, and leading
//     and trailing white space is trimmed.
//
// ListedText of a listed text is that text's ListedText again (it is
// idempotent), so ListedText(sent) == ListedText(listed) holds for the row
// of the message sent, whether the listing showed the characters or "?".
//
// What to compare: the listed text may also carry the STOP mention the
// provider appended (stop=1 or 2: "STOP 36034" in France, "no-sms.eu"
// abroad), and a provider that cut a message beyond nbr_msg lists the cut
// text. So compare with this prefix rule, which MatchListed implements: with
// S = ListedText(sent) and L = ListedText(listed), the row matches when
//
//   - L == S; or
//   - L is S followed by a STOP mention (white space or punctuation, "STOP"
//     and an optional short code, or "no-sms.eu", at the end); or
//   - L, without such a mention, is a prefix of S at least 59 characters
//     long (the provider's cut; shorter prefixes are other messages).
//
// The number and the date of the row must be checked as well: the text
// alone does not identify a message.
func ListedText(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	lastQ := false
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r == utf8.RuneError && size <= 1 || r >= 0x80 && r <= 0x9F || !inLatin9(r) {
			r = '?'
		}
		if r == '?' {
			if lastQ {
				continue
			}
			lastQ = true
		} else {
			lastQ = false
		}
		b.WriteRune(r)
	}
	lines := strings.Split(b.String(), "\n")
	for i, ln := range lines {
		// The list's parser drops the CR of a CR LF; all of them, so
		// that the result is its own ListedText.
		ln = strings.TrimRight(ln, "\r")
		if strings.TrimSpace(ln) == "" {
			ln = ""
		}
		lines[i] = ln
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// inLatin9 reports whether r has an ISO-8859-15 byte.
func inLatin9(r rune) bool {
	if r < utf8.RuneSelf {
		return true
	}
	_, ok := charmap.ISO8859_15.EncodeRune(r)
	return ok
}

// MatchListed reports whether a row of smsList.do whose text is listed may
// be the message whose text (SMS.Message, or the batch row's) was sent,
// with the prefix rule of ListedText: the same text, the same followed by a
// STOP mention, or a cut copy of at least 59 characters. An empty sent text
// matches nothing. Check the row's number and date as well.
func MatchListed(sent, listed string) bool {
	s, l := ListedText(sent), ListedText(listed)
	switch {
	case s == "":
		return false
	case l == s:
		return true
	}
	core := withoutStopMention(l)
	if core == s {
		return true
	}
	return cutMatch(s, core)
}

// cutMatch reports whether core is a prefix of s long enough to be the
// provider's cut of s.
func cutMatch(s, core string) bool {
	return utf8.RuneCountInString(core) >= minListedCut && strings.HasPrefix(s, core)
}

// withoutStopMention returns l without a trailing STOP mention ("STOP",
// optionally followed by a short code of up to 8 letters or digits, or
// "no-sms.eu"), and the white space before it; l itself when it has none.
// The mention must not be glued to a word: "NONSTOP" keeps its STOP.
func withoutStopMention(l string) string {
	rest, ok := strings.CutSuffix(l, "no-sms.eu")
	if !ok {
		i := strings.LastIndex(l, "STOP")
		if i < 0 {
			return l
		}
		code := strings.TrimLeft(l[i+len("STOP"):], " ")
		if len(code) > 8 || strings.IndexFunc(code, func(r rune) bool { return !isAlnum(r) }) >= 0 {
			return l
		}
		rest = l[:i]
	}
	if rest != "" {
		if last, _ := utf8.DecodeLastRuneInString(rest); isAlnum(last) {
			return l
		}
	}
	return strings.TrimRightFunc(rest, unicode.IsSpace)
}

func isAlnum(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z'
}
