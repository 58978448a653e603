package text

import (
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/charmap"
)

// refChar is one row of the provider's table.
type refChar struct {
	iso   byte // ISO-8859-15 code
	units int
}

// referenceTable is the provider's table transcribed from HTTP API 2.7 p6,
// written out independently of charset.go so that a slip in either shows up
// here. The PDF's ‘ “ ı and Û (at %FC) are read as ' " ¡ and ü.
var referenceTable = func() map[rune]refChar {
	t := map[rune]refChar{
		'\n': {0x0A, 1}, '\r': {0x0D, 1}, ' ': {0x20, 1},
		'!': {0x21, 1}, '"': {0x22, 1}, '#': {0x23, 1}, '$': {0x24, 1}, '%': {0x25, 1},
		'&': {0x26, 1}, '\'': {0x27, 1}, '(': {0x28, 1}, ')': {0x29, 1}, '*': {0x2A, 1},
		'+': {0x2B, 1}, ',': {0x2C, 1}, '-': {0x2D, 1}, '.': {0x2E, 1}, '/': {0x2F, 1},
		':': {0x3A, 1}, ';': {0x3B, 1}, '<': {0x3C, 1}, '=': {0x3D, 1}, '>': {0x3E, 1},
		'?': {0x3F, 1}, '@': {0x40, 1}, '_': {0x5F, 1},
		'{': {0x7B, 2}, '|': {0x7C, 2}, '}': {0x7D, 2}, '~': {0x7E, 2},
		'[': {0x5B, 2}, '\\': {0x5C, 2}, ']': {0x5D, 2}, '^': {0x5E, 2}, '€': {0xA4, 2},
		'¡': {0xA1, 1}, '£': {0xA3, 1}, '¥': {0xA5, 1}, '§': {0xA7, 1}, '¿': {0xBF, 1},
		'Ä': {0xC4, 1}, 'Å': {0xC5, 1}, 'Æ': {0xC6, 1}, 'Ç': {0xC7, 1}, 'È': {0xC8, 1},
		'É': {0xC9, 1}, 'Ñ': {0xD1, 1}, 'Ö': {0xD6, 1}, 'Ø': {0xD8, 1}, 'Ü': {0xDC, 1},
		'ß': {0xDF, 1}, 'à': {0xE0, 1}, 'ä': {0xE4, 1}, 'å': {0xE5, 1}, 'æ': {0xE6, 1},
		'è': {0xE8, 1}, 'é': {0xE9, 1}, 'ì': {0xEC, 1}, 'ñ': {0xF1, 1}, 'ò': {0xF2, 1},
		'ö': {0xF6, 1}, 'ø': {0xF8, 1}, 'ù': {0xF9, 1}, 'ü': {0xFC, 1},
	}
	for r := '0'; r <= '9'; r++ {
		t[r] = refChar{byte(r), 1}
	}
	for r := 'A'; r <= 'Z'; r++ {
		t[r] = refChar{byte(r), 1}
		t[r+'a'-'A'] = refChar{byte(r + 'a' - 'A'), 1}
	}
	return t
}()

// referenceByteUnits maps each ISO-8859-15 byte of the table to its units
// (0 for a byte outside the table), to re-count wire bytes in tests.
var referenceByteUnits = func() (t [256]int) {
	for _, c := range referenceTable {
		t[c.iso] = c.units
	}
	return t
}()

func TestTableMatchesReference(t *testing.T) {
	t.Parallel()
	// Every code point, so that nothing outside the table slips in.
	for r := rune(0); r <= utf8.MaxRune; r++ {
		ref, inTable := referenceTable[r]
		if !inTable {
			if gsmCost(r) != 0 {
				t.Fatalf("%q (U+%04X) is not in the provider's table but costs %d", r, r, gsmCost(r))
			}
			continue
		}
		require.Equal(t, ref.units, gsmCost(r), "units of %q", r)
		require.Equal(t, ref.iso, isoByte(r), "byte of %q", r)
		b, ok := charmap.ISO8859_15.EncodeRune(r)
		require.True(t, ok, "%q", r)
		require.Equal(t, b, isoByte(r), "charmap byte of %q", r)
	}
	require.Len(t, referenceTable, 126, "rows in the transcription")
}

func TestNotInTable(t *testing.T) {
	t.Parallel()
	// Characters people expect in GSM that the provider's table leaves out:
	// it would replace them with "?".
	for _, r := range "`\tçâêîôûëïÿœÀÂÊÎÔÛËÏŒŸ¤°ΔΦΓΛΩΠΨΣΘΞ\x00\x7f" {
		require.Zero(t, gsmCost(r), "%q (U+%04X)", r, r)
		require.Equal(t, byte('?'), isoByte(r), "%q", r)
	}
}

func TestScanGSM(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in        string
		wantUnits int
		wantN     int
	}{
		{"", 0, 0},
		{"abc", 3, 3},
		{"é€{", 1 + 2 + 2, len("é€{")},
		{"ab`c", 2, 2},
		{"éê", 1, len("é")},
		{"€☺", 2, len("€")},
	}
	for _, tt := range tests {
		units, n := scanGSM(tt.in)
		require.Equal(t, tt.wantUnits, units, "%q", tt.in)
		require.Equal(t, tt.wantN, n, "%q", tt.in)
	}
}
