package text

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// The look-alike table is described in the package documentation (doc.go),
// where users of Prepare can read it; keep the two in step.

// lookalikeEntry is a precomputed substitution.
type lookalikeEntry struct {
	repl string
	ok   bool
}

// latin1Lookalike caches lookalikeSlow for U+0000..U+00FF, where French text
// finds most of its substitutions (ê, ç, no-break space, «, »).
var latin1Lookalike = func() (t [256]lookalikeEntry) {
	for r := range t {
		if gsm.cost[r] == 0 {
			t[r].repl, t[r].ok = lookalikeSlow(rune(r))
		}
	}
	return t
}()

// lookalike returns the free replacement of r, a rune outside the table.
// The replacement holds only table characters and may be empty (r is
// dropped).
func lookalike(r rune) (string, bool) {
	if uint32(r) < 256 {
		e := latin1Lookalike[r]
		return e.repl, e.ok
	}
	return lookalikeSlow(r)
}

// lookalikeSlow computes lookalike without the Latin-1 cache.
func lookalikeSlow(r rune) (string, bool) {
	switch r {
	case '`', '´', '‘', '’', '‚', '‛', '′', '‹', '›':
		return "'", true
	case '“', '”', '„', '‟', '″', '«', '»':
		return `"`, true
	case '…':
		return "...", true
	case '‐', '‑', '‒', '–', '—', '―', '−':
		return "-", true
	case '\t':
		return " ", true
	case '\u2028', '\u2029':
		return "\n", true
	case '\u00AD', '\u200B', '\u200C', '\u200D', '\u2060', '\uFEFF':
		return "", true
	case 'œ':
		return "oe", true
	case 'Œ':
		return "OE", true
	case 'ł':
		return "l", true
	case 'Ł':
		return "L", true
	case 'đ':
		return "d", true
	case 'Đ', 'Ð':
		return "D", true
	case 'ı':
		return "i", true
	case '×':
		return "x", true
	}
	switch {
	case unicode.Is(unicode.Zs, r):
		return " ", true
	case r >= 0x300 && r <= 0x36F:
		// A combining diacritic left over after canonical composition
		// (Prepare composes first) sits on a letter with no precomposed
		// form in the table: dropping it leaves the bare letter.
		return "", true
	}
	return canonical(r)
}

// canonical returns the look-alike r has by canonical equivalence: a
// singleton decomposition (U+037E GREEK QUESTION MARK is ";", U+212A KELVIN
// SIGN is "K"), or a table letter followed by combining marks (ê is e + ^),
// which gives that letter. When the letter with its first mark is itself in
// the table (u + ¨ = ü), that is returned instead, so that as little as
// possible is lost.
func canonical(r rune) (string, bool) {
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	d := norm.NFD.Properties(buf[:n]).Decomposition()
	if d == nil {
		return "", false
	}
	base, size := utf8.DecodeRune(d)
	if size == len(d) {
		if gsmCost(base) != 0 && base < 256 {
			return gsm.str[base], true
		}
		// Not lookalike: this also runs while latin1Lookalike is built.
		return lookalikeSlow(base)
	}
	if !isGSMLetter(base) {
		// Symbols are excluded on purpose: ≠ decomposes into = and a
		// combining overlay, and "=" would say the opposite.
		return "", false
	}
	for i := size; i < len(d); {
		m, sz := utf8.DecodeRune(d[i:])
		if !unicode.Is(unicode.Mn, m) {
			return "", false
		}
		i += sz
	}
	_, msz := utf8.DecodeRune(d[size:])
	var cbuf [2 * utf8.UTFMax]byte
	c := norm.NFC.Append(cbuf[:0], d[:size+msz]...)
	if cr, csz := utf8.DecodeRune(c); csz == len(c) && isGSMLetter(cr) {
		return gsm.str[cr], true
	}
	return gsm.str[base], true
}
