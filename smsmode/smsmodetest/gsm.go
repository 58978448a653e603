package smsmodetest

import (
	"strings"
	"unicode/utf8"
)

// The fake counts, cuts and marks messages with its own reading of the
// reference, written from its tables and independent of smsmode/text, the
// client's: were both to share one misreading, a test of the client against
// the fake could not see it. A cross-check test compares the two over a
// corpus and a fuzz target.

// refChar is one row of the reference's character table.
type refChar struct {
	char  rune
	code  byte // "CODE ISO 8859-15"
	units int  // 2 for the rows marked "* Attention : ces caractères comptent double"
}

// refTable transcribes the table of "Caractères et encodage" (HTTP API 2.7
// p6-7) column by column. The PDF prints " as “, ' as ‘ and ¡ as ı, and ü
// (%FC) as "Û": the ISO-8859-15 codes are authoritative. € appears twice,
// at %A4 unstarred and at %80 (its Windows-1252 byte) starred; GSM sends €
// as an escape sequence, so both count double here.
var refTable = []refChar{
	{'\n', 0x0A, 1}, {'\r', 0x0D, 1}, {' ', 0x20, 1}, {'!', 0x21, 1},
	{'"', 0x22, 1}, {'#', 0x23, 1}, {'$', 0x24, 1}, {'%', 0x25, 1},
	{'&', 0x26, 1}, {'\'', 0x27, 1}, {'(', 0x28, 1}, {')', 0x29, 1},
	{'*', 0x2A, 1}, {'+', 0x2B, 1}, {',', 0x2C, 1}, {'-', 0x2D, 1},
	{'.', 0x2E, 1}, {'/', 0x2F, 1}, {'{', 0x7B, 2}, {'|', 0x7C, 2},
	{'}', 0x7D, 2}, {'~', 0x7E, 2}, {'[', 0x5B, 2}, {'\\', 0x5C, 2},
	{']', 0x5D, 2}, {'^', 0x5E, 2}, {'0', 0x30, 1}, {'1', 0x31, 1},
	{'2', 0x32, 1}, {'3', 0x33, 1}, {'4', 0x34, 1}, {'5', 0x35, 1},
	{'6', 0x36, 1}, {'7', 0x37, 1}, {'8', 0x38, 1}, {'9', 0x39, 1},
	{':', 0x3A, 1}, {';', 0x3B, 1}, {'<', 0x3C, 1}, {'=', 0x3D, 1},
	{'>', 0x3E, 1}, {'?', 0x3F, 1}, {'@', 0x40, 1}, {'A', 0x41, 1},
	{'B', 0x42, 1}, {'C', 0x43, 1}, {'D', 0x44, 1}, {'E', 0x45, 1},
	{'F', 0x46, 1}, {'G', 0x47, 1}, {'H', 0x48, 1}, {'I', 0x49, 1},
	{'J', 0x4A, 1}, {'K', 0x4B, 1}, {'L', 0x4C, 1}, {'M', 0x4D, 1},
	{'N', 0x4E, 1}, {'O', 0x4F, 1}, {'P', 0x50, 1}, {'Q', 0x51, 1},
	{'R', 0x52, 1}, {'S', 0x53, 1}, {'T', 0x54, 1}, {'U', 0x55, 1},
	{'V', 0x56, 1}, {'W', 0x57, 1}, {'X', 0x58, 1}, {'Y', 0x59, 1},
	{'Z', 0x5A, 1}, {'_', 0x5F, 1}, {'a', 0x61, 1}, {'b', 0x62, 1},
	{'c', 0x63, 1}, {'d', 0x64, 1}, {'e', 0x65, 1}, {'f', 0x66, 1},
	{'g', 0x67, 1}, {'h', 0x68, 1}, {'i', 0x69, 1}, {'j', 0x6A, 1},
	{'k', 0x6B, 1}, {'l', 0x6C, 1}, {'m', 0x6D, 1}, {'n', 0x6E, 1},
	{'o', 0x6F, 1}, {'p', 0x70, 1}, {'q', 0x71, 1}, {'r', 0x72, 1},
	{'s', 0x73, 1}, {'t', 0x74, 1}, {'u', 0x75, 1}, {'v', 0x76, 1},
	{'w', 0x77, 1}, {'x', 0x78, 1}, {'y', 0x79, 1}, {'z', 0x7A, 1},
	{'¡', 0xA1, 1}, {'£', 0xA3, 1}, {'€', 0xA4, 2}, {'¥', 0xA5, 1},
	{'§', 0xA7, 1}, {'¿', 0xBF, 1}, {'Ä', 0xC4, 1}, {'Å', 0xC5, 1},
	{'Æ', 0xC6, 1}, {'Ç', 0xC7, 1}, {'È', 0xC8, 1}, {'É', 0xC9, 1},
	{'Ñ', 0xD1, 1}, {'Ö', 0xD6, 1}, {'Ø', 0xD8, 1}, {'Ü', 0xDC, 1},
	{'ß', 0xDF, 1}, {'à', 0xE0, 1}, {'ä', 0xE4, 1}, {'å', 0xE5, 1},
	{'æ', 0xE6, 1}, {'è', 0xE8, 1}, {'é', 0xE9, 1}, {'ì', 0xEC, 1},
	{'ñ', 0xF1, 1}, {'ò', 0xF2, 1}, {'ö', 0xF6, 1}, {'ø', 0xF8, 1},
	{'ù', 0xF9, 1}, {'ü', 0xFC, 1}, {'€', 0x80, 2},
}

// Segment sizes of the reference: 160 characters for one GSM SMS, then
// 153 per part (306, 459); 70 for one unicode SMS, then 67 (134, 201, 268,
// 335), at most 5 unicode parts.
const (
	gsmSingle     = 160
	gsmPart       = 153
	unicodeSingle = 70
	unicodePart   = 67
)

// Mentions the stop parameter appends (reference, "Paramètre STOP SMS"):
// "STOP" and the shortcode in France, "no-sms.eu" for a message sent
// abroad, after a space.
const (
	stopMentionFR   = " STOP " + ShortCode
	stopMentionIntl = " no-sms.eu"
)

// shown maps each ISO-8859-15 byte of a non-unicode message to what the
// handset shows: the table's character, or "?" ("celui ci sera remplacé
// par ?"). charUnits gives the units of each shown character below U+0100,
// wideUnits those of the others (€); a character listed twice takes its
// larger count.
var (
	shown     [256]rune
	charUnits [256]uint8
	wideUnits = map[rune]int{}
)

func init() {
	for b := range shown {
		shown[b] = '?'
	}
	for _, c := range refTable {
		shown[c.code] = c.char
		if c.char < 256 {
			charUnits[c.char] = max(charUnits[c.char], uint8(c.units))
		} else {
			wideUnits[c.char] = max(wideUnits[c.char], c.units)
		}
	}
}

// decodeGSM turns the ISO-8859-15 bytes of a non-unicode message into the
// text the handset shows.
func decodeGSM(raw string) string {
	var b strings.Builder
	b.Grow(len(raw) + len(raw)/4)
	for i := 0; i < len(raw); i++ {
		b.WriteRune(shown[raw[i]])
	}
	return b.String()
}

// gsmUnits returns the septets a shown character takes: 2 for the double
// ones, 1 for the others ("?" included).
func gsmUnits(r rune) int {
	if r < 256 && charUnits[r] != 0 {
		return int(charUnits[r])
	}
	if u, ok := wideUnits[r]; ok {
		return u
	}
	return 1
}

// gsmParts returns the parts a GSM text needs: one up to 160 septets;
// beyond, parts of 153 septets, a double character's two septets (escape
// and character) never split between two parts, so a part may hold 152.
func gsmParts(s string) int {
	total, parts, fill := 0, 1, 0
	for _, r := range s {
		u := gsmUnits(r)
		total += u
		if fill+u > gsmPart {
			parts++
			fill = 0
		}
		fill += u
	}
	switch {
	case total == 0:
		return 0
	case total <= gsmSingle:
		return 1
	}
	return parts
}

// unicodeParts returns the parts a unicode text needs: U+0000 to U+FFFF
// count one, the other characters two (reference, "Envoi de SMS Unicode").
func unicodeParts(s string) int {
	units := 0
	for _, r := range s {
		units++
		if r > 0xFFFF {
			units++
		}
	}
	switch {
	case units == 0:
		return 0
	case units <= unicodeSingle:
		return 1
	}
	return (units + unicodePart - 1) / unicodePart
}

// parts counts the parts of a shown text.
func parts(s string, unicode bool) int {
	if unicode {
		return unicodeParts(s)
	}
	return gsmParts(s)
}

// stopAdded applies the reference's STOP rule to the original text:
// stop=2 always adds the mention, stop=1 only to a text of at most 149
// characters.
func stopAdded(s string, stop int) bool {
	return stop == 2 || stop == 1 && utf8.RuneCountInString(s) <= stopLimit
}

// stopMentionFor returns the mention for a recipient (international
// digits): the French one for +33, the international one otherwise.
func stopMentionFor(number string) string {
	if strings.HasPrefix(number, "33") {
		return stopMentionFR
	}
	return stopMentionIntl
}

// compose returns the text as the handset shows it (cut to maxParts, the
// STOP mention appended) and its parts. A text beyond maxParts (5 at most
// for unicode) is cut, as the reference says the provider does, to its
// longest prefix that fits with its mention.
func compose(s string, unicode bool, stop, maxParts int, mention string) (text string, segments int, truncated bool) {
	if unicode {
		maxParts = min(maxParts, maxUnicodeParts)
	}
	withStop := func(p string) string {
		if stopAdded(p, stop) {
			return p + mention
		}
		return p
	}
	segs := func(p string) int { return parts(withStop(p), unicode) }
	if n := segs(s); n <= maxParts {
		return withStop(s), n, false
	}
	runes := []rune(s)
	fits := func(k int) bool { return segs(string(runes[:k])) <= maxParts }
	// The mention of stop=1 disappears past stopLimit characters, so the
	// predicate is monotonic on each side of that boundary only.
	lo, hi := 0, len(runes)
	if stop == 1 && len(runes) > stopLimit {
		if fits(stopLimit + 1) {
			lo = stopLimit + 1
		} else {
			hi = stopLimit
		}
	}
	for lo < hi { // largest k in [lo, hi] with fits(k); fits(lo) holds
		mid := lo + (hi-lo+1)/2
		if fits(mid) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	p := string(runes[:lo])
	return withStop(p), segs(p), true
}
