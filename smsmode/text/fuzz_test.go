package text

import (
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/charmap"
)

// FuzzPrepare checks, for any text and mode, that Prepare does not panic and
// that its counts agree with the bytes that go on the wire, re-counted
// independently with the provider's table.
func FuzzPrepare(f *testing.F) {
	// More seeds live in testdata/fuzz/FuzzPrepare.
	f.Add("Bonjour, c’est l’été !", 0)
	f.Add("☺ 😀 €{", 1)
	f.Add("e\u0301\u0302", 2)
	f.Fuzz(func(t *testing.T, s string, mode int) {
		m := Mode(uint(mode) % 3)
		msg, err := Prepare(s, m)
		if !utf8.ValidString(s) {
			require.ErrorIs(t, err, ErrInvalidUTF8)
			return
		}
		if err != nil {
			var uc *UnsupportedCharError
			require.True(t, errors.As(err, &uc), "unexpected error %v", err)
			require.Equal(t, ForceGSM, m)
			runes := []rune(s)
			require.Less(t, uc.Position, len(runes))
			require.Equal(t, runes[uc.Position], uc.Char, "the error names the character at its position")
			// Auto would have sent it as unicode, untouched.
			auto, err := Prepare(s, Auto)
			require.NoError(t, err)
			require.Equal(t, unicodeMessage(s), auto)
			return
		}

		b := msg.Bytes()
		switch msg.Encoding {
		case GSM:
			require.NotEqual(t, ForceUnicode, m)
			decoded, err := charmap.ISO8859_15.NewDecoder().Bytes(b)
			require.NoError(t, err)
			require.Equal(t, msg.Text, string(decoded), "the wire bytes decode back to the text")
			units := 0
			for _, c := range b {
				u := referenceByteUnits[c]
				require.NotZero(t, u, "byte 0x%02X is outside the provider's table", c)
				units += u
			}
			require.Equal(t, units, msg.Units)
			require.Equal(t, refParts(msg.Text, 0), msg.Segments)
			require.GreaterOrEqual(t, msg.Segments, refSegments(units, 160, 153))
			// Substituting again changes nothing.
			again, err := Prepare(msg.Text, ForceGSM)
			require.NoError(t, err)
			require.Equal(t, msg, again)
			enc, err := EncodeGSM(msg.Text)
			require.NoError(t, err)
			require.Equal(t, b, enc)
		case Unicode:
			require.NotEqual(t, ForceGSM, m)
			require.Equal(t, s, msg.Text, "unicode sends the original text")
			require.True(t, utf8.Valid(b))
			units := 0
			for _, r := range string(b) {
				units++
				if r > 0xFFFF {
					units++
				}
			}
			require.Equal(t, units, msg.Units)
			require.Equal(t, refSegments(units, 70, 67), msg.Segments)
			if m == Auto {
				_, err := Prepare(s, ForceGSM)
				require.Error(t, err, "auto chose unicode for a text that GSM could carry")
			}
		default:
			t.Fatalf("encoding %d", msg.Encoding)
		}
		for stop := 0; stop <= 2; stop++ {
			if msg.Encoding == GSM {
				require.Equal(t, refParts(msg.Text, msg.stopUnits(stop)), msg.SegmentsWithStop(stop))
			}
			require.GreaterOrEqual(t, msg.SegmentsWithStop(stop), msg.Segments)
			require.NoError(t, msg.Check(stop, msg.SegmentsWithStop(stop)))
		}
	})
}

// refSegments is the units-only segment rule written the long way, as the
// reference tabulates it (exact for unicode; a lower bound for GSM, see
// refParts).
func refSegments(units, single, multi int) int {
	if units == 0 {
		return 0
	}
	n, capacity := 1, single
	for units > capacity {
		n++
		capacity = n * multi
	}
	return n
}
