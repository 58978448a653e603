package text

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPrepare(t *testing.T) {
	t.Parallel()
	a := func(n int) string { return strings.Repeat("a", n) }
	ya := func(n int) string { return strings.Repeat("я", n) }
	tests := []struct {
		name string
		in   string
		mode Mode
		want Message
	}{
		{"empty", "", Auto, Message{Text: "", Encoding: GSM}},
		{"empty unicode", "", ForceUnicode, Message{Text: "", Encoding: Unicode}},
		{"ascii", "Hello", Auto, Message{Text: "Hello", Encoding: GSM, Units: 5, Segments: 1}},
		{"table accents kept", "Été? Non: éèàùìòäöüñåæøß ÉÈÇÄÖÜÑÅÆØ", Auto,
			Message{Text: "Été? Non: éèàùìòäöüñåæøß ÉÈÇÄÖÜÑÅÆØ", Encoding: GSM, Units: 35, Segments: 1}},
		{"double count", "{}|~[]\\^€", Auto, Message{Text: "{}|~[]\\^€", Encoding: GSM, Units: 18, Segments: 1}},
		{"french substituted", "L’été, c’est « super » … même à Noël – ça va ?", Auto,
			Message{Text: `L'été, c'est " super " ... meme à Noel - ca va ?`, Encoding: GSM, Units: 48, Segments: 1}},
		{"no-break spaces", "Prix\u00a0: 10\u202f€", Auto, Message{Text: "Prix : 10 €", Encoding: GSM, Units: 12, Segments: 1}},
		{"tab and zero width", "a\tb\u200bc\u00add", Auto, Message{Text: "a bcd", Encoding: GSM, Units: 5, Segments: 1}},
		{"ligature", "Œuvre cœur", Auto, Message{Text: "OEuvre coeur", Encoding: GSM, Units: 12, Segments: 1}},
		{"decomposed input composed", "Cafe\u0301 cre\u0300me bru\u0302le\u0301e", Auto,
			Message{Text: "Café crème brulée", Encoding: GSM, Units: 17, Segments: 1}},
		{"stray combining mark dropped", "q\u0301", Auto, Message{Text: "q", Encoding: GSM, Units: 1, Segments: 1}},
		{"unicode keeps the original", "L’été ☺", Auto, Message{Text: "L’été ☺", Encoding: Unicode, Units: 7, Segments: 1}},
		{"unicode keeps decomposed original", "Cafe\u0301 ☺", Auto, Message{Text: "Cafe\u0301 ☺", Encoding: Unicode, Units: 7, Segments: 1}},
		{"greek is unicode", "Δ", Auto, Message{Text: "Δ", Encoding: Unicode, Units: 1, Segments: 1}},
		{"currency sign is unicode", "¤", Auto, Message{Text: "¤", Encoding: Unicode, Units: 1, Segments: 1}},
		{"force gsm substitutes", "C’est l’été", ForceGSM, Message{Text: "C'est l'été", Encoding: GSM, Units: 11, Segments: 1}},
		{"force unicode keeps", "C’est l’été", ForceUnicode, Message{Text: "C’est l’été", Encoding: Unicode, Units: 11, Segments: 1}},
		{"force unicode of gsm", "abc", ForceUnicode, Message{Text: "abc", Encoding: Unicode, Units: 3, Segments: 1}},

		// GSM boundaries: 160, then 153 per segment.
		{"gsm 160", a(160), Auto, Message{Text: a(160), Encoding: GSM, Units: 160, Segments: 1}},
		{"gsm 161", a(161), Auto, Message{Text: a(161), Encoding: GSM, Units: 161, Segments: 2}},
		{"gsm 306", a(306), Auto, Message{Text: a(306), Encoding: GSM, Units: 306, Segments: 2}},
		{"gsm 307", a(307), Auto, Message{Text: a(307), Encoding: GSM, Units: 307, Segments: 3}},
		{"gsm 459", a(459), Auto, Message{Text: a(459), Encoding: GSM, Units: 459, Segments: 3}},
		{"gsm 460", a(460), Auto, Message{Text: a(460), Encoding: GSM, Units: 460, Segments: 4}},
		{"gsm 159 + double", a(159) + "{", Auto, Message{Text: a(159) + "{", Encoding: GSM, Units: 161, Segments: 2}},
		{"80 euros", strings.Repeat("€", 80), Auto, Message{Text: strings.Repeat("€", 80), Encoding: GSM, Units: 160, Segments: 1}},
		{"81 euros", strings.Repeat("€", 81), Auto, Message{Text: strings.Repeat("€", 81), Encoding: GSM, Units: 162, Segments: 2}},
		{"substitution grows", strings.Repeat("…", 54), Auto, Message{Text: strings.Repeat("...", 54), Encoding: GSM, Units: 162, Segments: 2}},

		// Unicode boundaries: 70, then 67 per segment; astral counts 2.
		{"unicode 70", ya(70), Auto, Message{Text: ya(70), Encoding: Unicode, Units: 70, Segments: 1}},
		{"unicode 71", ya(71), Auto, Message{Text: ya(71), Encoding: Unicode, Units: 71, Segments: 2}},
		{"unicode 134", ya(134), Auto, Message{Text: ya(134), Encoding: Unicode, Units: 134, Segments: 2}},
		{"unicode 135", ya(135), Auto, Message{Text: ya(135), Encoding: Unicode, Units: 135, Segments: 3}},
		{"unicode 335", ya(335), Auto, Message{Text: ya(335), Encoding: Unicode, Units: 335, Segments: 5}},
		{"unicode 336", ya(336), Auto, Message{Text: ya(336), Encoding: Unicode, Units: 336, Segments: 6}},
		{"35 emoji", strings.Repeat("😀", 35), Auto, Message{Text: strings.Repeat("😀", 35), Encoding: Unicode, Units: 70, Segments: 1}},
		{"36 emoji", strings.Repeat("😀", 36), Auto, Message{Text: strings.Repeat("😀", 36), Encoding: Unicode, Units: 72, Segments: 2}},
		{"emoji and bmp", "ok 👍🏽", Auto, Message{Text: "ok 👍🏽", Encoding: Unicode, Units: 7, Segments: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Prepare(tt.in, tt.mode)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestPrepareForceGSMUnsupported(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		wantErr UnsupportedCharError
		wantMsg string
	}{
		{"smiley", "Bonjour à tous ☺", UnsupportedCharError{Char: '☺', Position: 15},
			`text: character "☺" (U+263A) at position 15 is not in the GSM character table; use encoding unicode`},
		{"position counts the original runes", "a…b°", UnsupportedCharError{Char: '°', Position: 3},
			`text: character "°" (U+00B0) at position 3 is not in the GSM character table; use encoding unicode`},
		{"position in decomposed input", "e\u0301e\u0301¤", UnsupportedCharError{Char: '¤', Position: 4},
			`text: character "¤" (U+00A4) at position 4 is not in the GSM character table; use encoding unicode`},
		{"marks reordered by composition", "\u064e\u0334", UnsupportedCharError{Char: '\u064e', Position: 0},
			`text: character "َ" (U+064E) at position 0 is not in the GSM character table; use encoding unicode`},
		{"astral", "😀", UnsupportedCharError{Char: '😀', Position: 0},
			`text: character "😀" (U+1F600) at position 0 is not in the GSM character table; use encoding unicode`},
		{"control", "a\x01", UnsupportedCharError{Char: 1, Position: 1},
			`text: character "\x01" (U+0001) at position 1 is not in the GSM character table; use encoding unicode`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Prepare(tt.in, ForceGSM)
			var uc *UnsupportedCharError
			require.ErrorAs(t, err, &uc)
			require.Equal(t, tt.wantErr, *uc)
			require.EqualError(t, err, tt.wantMsg)
		})
	}
}

func TestPrepareInvalid(t *testing.T) {
	t.Parallel()
	for _, mode := range []Mode{Auto, ForceGSM, ForceUnicode} {
		_, err := Prepare("caf\xe9", mode)
		require.ErrorIs(t, err, ErrInvalidUTF8, mode.String())
		require.EqualError(t, err, "text: message is not valid UTF-8: byte 0xE9 at offset 3")
	}
	_, err := Prepare("abc", Mode(7))
	require.EqualError(t, err, "text: unknown encoding mode 7")
}

func TestBytes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		msg  Message
		want []byte
	}{
		{"gsm", Message{Text: "Été à 5€ {ok}", Encoding: GSM},
			[]byte{0xC9, 't', 0xE9, ' ', 0xE0, ' ', '5', 0xA4, ' ', '{', 'o', 'k', '}'}},
		{"gsm table extras", Message{Text: "¡£¥§¿ÄÅÆÇÈÉÑÖØÜßàäåæèéìñòöøùü", Encoding: GSM},
			[]byte{0xA1, 0xA3, 0xA5, 0xA7, 0xBF, 0xC4, 0xC5, 0xC6, 0xC7, 0xC8, 0xC9, 0xD1, 0xD6, 0xD8, 0xDC, 0xDF,
				0xE0, 0xE4, 0xE5, 0xE6, 0xE8, 0xE9, 0xEC, 0xF1, 0xF2, 0xF6, 0xF8, 0xF9, 0xFC}},
		{"gsm outside the table", Message{Text: "ç☺`", Encoding: GSM}, []byte("???")},
		{"zero encoding is gsm", Message{Text: "é"}, []byte{0xE9}},
		{"unicode", Message{Text: "é☺😀", Encoding: Unicode}, []byte("é☺😀")},
		{"empty", Message{Encoding: GSM}, []byte{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, tt.msg.Bytes())
		})
	}
}

func TestPrepareBytes(t *testing.T) {
	t.Parallel()
	m, err := Prepare("L’œuvre coûte 5 €", Auto)
	require.NoError(t, err)
	require.Equal(t, GSM, m.Encoding)
	require.Equal(t, []byte("L'oeuvre coute 5 \xa4"), m.Bytes())
}

func TestEncodeGSM(t *testing.T) {
	t.Parallel()
	b, err := EncodeGSM("Bärn: 5€ [ok]")
	require.NoError(t, err)
	require.Equal(t, []byte("B\xe4rn: 5\xa4 [ok]"), b)

	_, err = EncodeGSM("C’est")
	var uc *UnsupportedCharError
	require.ErrorAs(t, err, &uc)
	require.Equal(t, UnsupportedCharError{Char: '’', Position: 1}, *uc)

	_, err = EncodeGSM("\xff")
	require.True(t, errors.Is(err, ErrInvalidUTF8))
}
