package text

import (
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestLookalike(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   rune
		want string
	}{
		// Quotes and apostrophes.
		{'’', "'"}, {'‘', "'"}, {'‚', "'"}, {'‛', "'"}, {'′', "'"}, {'‹', "'"}, {'›', "'"},
		{'`', "'"}, {'´', "'"},
		{'“', `"`}, {'”', `"`}, {'„', `"`}, {'‟', `"`}, {'″', `"`}, {'«', `"`}, {'»', `"`},
		{'…', "..."},
		// Dashes.
		{'‐', "-"}, {'‑', "-"}, {'‒', "-"}, {'–', "-"}, {'—', "-"}, {'―', "-"}, {'−', "-"},
		// Spaces and line breaks.
		{'\t', " "}, {'\u00A0', " "}, {'\u202F', " "}, {'\u2009', " "}, {'\u2002', " "},
		{'\u3000', " "}, {'\u2028', "\n"}, {'\u2029', "\n"},
		// Invisible characters.
		{'\u00AD', ""}, {'\u200B', ""}, {'\u200D', ""}, {'\u2060', ""}, {'\uFEFF', ""},
		{'\u0301', ""},
		// Accented letters outside the table.
		{'ê', "e"}, {'â', "a"}, {'î', "i"}, {'ô', "o"}, {'û', "u"}, {'ë', "e"}, {'ï', "i"},
		{'ÿ', "y"}, {'ç', "c"}, {'á', "a"}, {'í', "i"}, {'ó', "o"}, {'ú', "u"}, {'ã', "a"},
		{'õ', "o"}, {'ý', "y"},
		{'À', "A"}, {'Â', "A"}, {'Ê', "E"}, {'Î', "I"}, {'Ô', "O"}, {'Û', "U"}, {'Ë', "E"},
		{'Ï', "I"}, {'Á', "A"}, {'Í', "I"}, {'Ó', "O"}, {'Ú', "U"}, {'Ÿ', "Y"}, {'Ý', "Y"},
		{'ą', "a"}, {'ś', "s"}, {'ž', "z"}, {'Č', "C"}, {'ő', "o"}, {'ş', "s"}, {'ğ', "g"},
		{'ệ', "e"}, {'ǎ', "a"},
		// The letter keeps the mark the table has.
		{'ǘ', "ü"}, {'Ǜ', "Ü"}, {'Ǟ', "Ä"}, {'ǻ', "å"}, {'Ǿ', "Ø"}, {'\u212B', "Å"},
		{'\u212A', "K"},
		// Canonical singletons.
		{'\u037E', ";"}, {'\u1FEF', "'"}, {'\u1FFD', "'"}, {'\u2000', " "}, {'\u0340', ""},
		// Letters without a decomposition.
		{'œ', "oe"}, {'Œ', "OE"}, {'ł', "l"}, {'Ł', "L"}, {'đ', "d"}, {'Đ', "D"}, {'Ð', "D"},
		{'ı', "i"}, {'×', "x"},
	}
	for _, tt := range tests {
		got, ok := lookalike(tt.in)
		require.True(t, ok, "%q (U+%04X) has a look-alike", tt.in, tt.in)
		require.Equal(t, tt.want, got, "%q (U+%04X)", tt.in, tt.in)
	}
}

func TestNoLookalike(t *testing.T) {
	t.Parallel()
	// No table character reads like these, or the replacement would change
	// the meaning (≠ is not =).
	// U+FFFD matters beyond that: Prepare relies on it, the decoding of an
	// invalid byte, stopping the GSM attempt.
	for _, r := range "¤¢°ºª©®™•·¦¬±÷µ¶²½ðþαΩπЖ☺😀≠≤∞\x00\x7f\x1b\ufffd" {
		got, ok := lookalike(r)
		require.False(t, ok, "%q (U+%04X) → %q", r, r, got)
	}
}

func TestLookalikesAreTableCharacters(t *testing.T) {
	t.Parallel()
	// Every replacement of every code point is made of single-unit table
	// characters, and the Latin-1 cache agrees with the slow path.
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if gsmCost(r) != 0 {
			continue
		}
		repl, ok := lookalike(r)
		if r < 256 {
			slow, slowOK := lookalikeSlow(r)
			require.Equal(t, slowOK, ok, "%q", r)
			require.Equal(t, slow, repl, "%q", r)
		}
		if !ok {
			continue
		}
		for _, c := range repl {
			if gsmCost(c) != 1 {
				t.Fatalf("%q (U+%04X) → %q holds %q, %d units", r, r, repl, c, gsmCost(c))
			}
		}
		if r != '×' && len(repl) > 0 && unicode.IsLetter([]rune(repl)[0]) && !unicode.IsLetter(r) {
			t.Fatalf("%q (U+%04X), not a letter, → letter %q", r, r, repl)
		}
	}
}
