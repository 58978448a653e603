package text

import (
	"fmt"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// gsmSingle holds the characters of the provider's table that cost one unit
// (HTTP API 2.7 p6). The PDF renders ' as ‘, " as “, ¡ as ı and ü as Û (at
// %FC); those are typesetting slips, and the ISO-8859-15 codes next to them
// are authoritative. The lowercase ç, the backtick and the Greek letters of
// GSM 03.38 are not listed, so the provider turns them into "?".
const gsmSingle = "\n\r !\"#$%&'()*+,-./0123456789:;<=>?@" +
	"ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz" +
	"¡£¥§¿ÄÅÆÇÈÉÑÖØÜßàäåæèéìñòöøùü"

// gsmDouble holds the characters that cost two units: GSM 03.38 sends them
// as an escape followed by a character. The table lists € twice, at %A4
// without a star and at %80 with one; € is an escape character in GSM, so
// it counts two.
const gsmDouble = "{|}~[\\]^€"

// euro is the only table character above U+00FF.
const euro = '€'

// charTable holds the lookup tables built from gsmSingle and gsmDouble, so
// that the hot loops index an array instead of hashing.
type charTable struct {
	// cost is the unit cost of each code point U+0000..U+00FF, 0 for one
	// outside the table.
	cost [256]uint8
	// iso is the ISO-8859-15 byte of each table code point below U+0100
	// (it equals the code point; newCharTable checks with charmap), and
	// '?' for the others, which is what the provider would show.
	iso [256]byte
	// euro is the ISO-8859-15 byte of €.
	euro byte
	// str holds string(rune(i)) for every table code point below U+0100, so
	// that a substitution can return a table letter without allocating.
	str [256]string
}

// gsm is the provider's table. It is a package variable with an
// initializer, not filled by init, so that the variables derived from it
// (latin1Lookalike) are initialized after it.
var gsm = newCharTable()

// newCharTable builds the lookup tables from gsmSingle and gsmDouble.
func newCharTable() *charTable {
	t := new(charTable)
	for i := range t.iso {
		t.iso[i] = '?'
	}
	add := func(chars string, cost uint8) {
		for _, r := range chars {
			// Ask charmap rather than assume, so that the table and the
			// wire encoding cannot drift apart.
			b, ok := charmap.ISO8859_15.EncodeRune(r)
			if !ok {
				panic(fmt.Sprintf("text: %q is not in ISO-8859-15", r))
			}
			if r == euro {
				t.euro = b
				continue
			}
			t.cost[r] = cost
			t.iso[r] = b
			t.str[r] = string(r)
		}
	}
	add(gsmSingle, 1)
	add(gsmDouble, 2)
	return t
}

// gsmCost returns the units r costs in GSM, or 0 when r is not in the table.
func gsmCost(r rune) int {
	if uint32(r) < 256 {
		return int(gsm.cost[r])
	}
	if r == euro {
		return 2
	}
	return 0
}

// gsmUnits returns the units of s, which holds only table characters.
func gsmUnits(s string) int {
	n := 0
	for _, r := range s {
		n += gsmCost(r)
	}
	return n
}

// scanGSM returns the units of the longest prefix of s made of table
// characters, and the length of that prefix in bytes (len(s) when s is
// entirely GSM).
func scanGSM(s string) (units, n int) {
	for n < len(s) {
		if c := s[n]; c < utf8.RuneSelf {
			cost := gsm.cost[c]
			if cost == 0 {
				return units, n
			}
			units += int(cost)
			n++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[n:])
		cost := gsmCost(r)
		if cost == 0 {
			return units, n
		}
		units += cost
		n += size
	}
	return units, n
}

// isoByte returns the ISO-8859-15 byte of r, or '?' for a rune outside the
// table, which is what the provider would show anyway.
func isoByte(r rune) byte {
	if uint32(r) < 256 {
		return gsm.iso[r]
	}
	if r == euro {
		return gsm.euro
	}
	return '?'
}

// encodeISO returns the ISO-8859-15 bytes of s. It writes into a buffer of
// len(s) bytes, always enough since no rune takes fewer bytes in UTF-8, by
// index rather than by append: this is the hottest loop of a send.
func encodeISO(s string) []byte {
	b := make([]byte, len(s))
	n := 0
	for i := 0; i < len(s); n++ {
		if c := s[i]; c < utf8.RuneSelf {
			b[n] = gsm.iso[c]
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		b[n] = isoByte(r)
		i += size
	}
	return b[:n]
}

// isGSMLetter reports whether r is a letter of the table.
func isGSMLetter(r rune) bool {
	return uint32(r) < 256 && gsm.cost[r] != 0 && unicode.IsLetter(r)
}
