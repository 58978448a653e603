package smsmode_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/smsmode"
)

func TestListedText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, want string
	}{
		{"GSM text is kept", "Café à 10€ {ok} [x] ~^|\\", "Café à 10€ {ok} [x] ~^|\\"},
		{"ISO-8859-15 beyond the GSM table is kept", "Œuvre ça â Š ž Ÿ", "Œuvre ça â Š ž Ÿ"},
		{"ISO-8859-1 only is not", "prix ¤ ½", "prix ? ?"},
		{"emoji", "Bon anniversaire 🎂 !", "Bon anniversaire ? !"},
		{"two emoji in a row are one ?", "Merci 🎉🎉", "Merci ?"},
		{"a ? next to an emoji merges", "Quoi ?🙂", "Quoi ?"},
		{"Cyrillic", "Привет мир", "? ?"},
		{"typographic quotes", "l’été « ok »", "l?été « ok »"},
		{"C1 control", "a\u0085b", "a?b"},
		{"Windows-1252 reading of a C1 control", "a…b", "a?b"},
		{"invalid UTF-8", "a\xffb\xfe\xfdc", "a?b?c"},
		{"CR LF", "ligne 1\r\nligne 2\r\n", "ligne 1\nligne 2"},
		{"lone CR kept", "a\rb", "a\rb"},
		{"blank line of spaces", "a\n  \t\nb", "a\n\nb"},
		{"trimmed", "  \n Bonjour \n\n", "Bonjour"},
		{"no-break space is white space", "\u00a0Bonjour\u00a0", "Bonjour"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := smsmode.ListedText(tt.in)
			require.Equal(t, tt.want, got)
			require.Equal(t, got, smsmode.ListedText(got), "idempotent")
		})
	}
}

func TestMatchListed(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("Votre commande 42 est prête. ", 6) // 174 characters
	cut := func(n int) string { return string([]rune(long)[:n]) }
	tests := []struct {
		name         string
		sent, listed string
		want         bool
	}{
		{"same", "Bonjour", "Bonjour", true},
		{"same after the listing's charset", "Joyeux Noël 🎄", "Joyeux Noël ?", true},
		{"emoji listed as two ?", "Joyeux Noël 🎄", "Joyeux Noël ??", true},
		{"emoji listed as such (UTF-8 answer)", "Joyeux Noël 🎄", "Joyeux Noël 🎄", true},
		{"trimmed by the parser", " Bonjour\r\n", "Bonjour", true},
		{"STOP mention", "Soldes -50 %", "Soldes -50 % STOP 36034", true},
		{"STOP mention on a new line", "Soldes", "Soldes\nSTOP 36034", true},
		{"STOP with another short code", "Soldes", "Soldes STOP 38100", true},
		{"STOP SMS", "Soldes", "Soldes STOP SMS", true},
		{"STOP glued to punctuation", "Soldes !", "Soldes !STOP 36034", true},
		{"international mention", "Sales", "Sales no-sms.eu", true},
		{"text ending with STOP", "Dites STOP", "Dites STOP STOP 36034", true},
		{"cut by the provider", long, cut(100), true},
		{"cut, with its mention", long, cut(100) + " STOP 36034", true},
		{"cut at 59 characters", long, cut(59), true},
		{"a shorter prefix is another message", long, cut(58), false},
		{"short prefix", "Votre code est 12345", "Votre code est 1234", false},
		{"longer, not a mention", "Votre code est 1234", "Votre code est 12345", false},
		{"longer by a word", "Bonjour", "Bonjour Anne", false},
		{"glued STOP is part of a word", "NON", "NONSTOP", false},
		{"a code too long for a shortcode", "Soldes", "Soldes STOP 123456789", false},
		{"different", "Bonjour", "Bonsoir", false},
		{"empty sent", "", "", false},
		{"empty listed", "Bonjour", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, smsmode.MatchListed(tt.sent, tt.listed))
		})
	}
}

// TestListedTextThroughTheFake sends GSM and unicode messages, with and
// without the STOP mention, and finds each one in smsList.do with
// MatchListed; without a mention, ListedText alone matches.
func TestListedTextThroughTheFake(t *testing.T) {
	t.Parallel()
	srv, c := newFake(t)
	ctx := context.Background()
	type sent struct {
		sms    smsmode.SMS
		number string
	}
	texts := []struct {
		text  string
		class smsmode.Class
	}{
		{"Bonjour Zoé, votre colis à 12€ {réf. 42}", smsmode.ClassPro},
		{"Deux\nlignes\r\net une", smsmode.ClassPro},
		{"Répondez OUI ou NON", smsmode.ClassReply},
		{"Bon anniversaire 🎂🎉 !", smsmode.ClassUnicode},
		{"Привет, как дела?", smsmode.ClassUnicode},
		{"l’été « chaud » – 30 °C", smsmode.ClassUnicode},
		{"Œuvre, ça, Š: Latin-9 only", smsmode.ClassUnicode},
		{"ctrl\u0085nel", smsmode.ClassUnicode},
		{strings.Repeat("Долгий текст ", 20), smsmode.ClassUnicode},
		{"  espaces autour  ", smsmode.ClassPro},
	}
	var all []sent
	for i, tx := range texts {
		for _, stop := range []smsmode.Stop{smsmode.StopNone, smsmode.StopIfFree, smsmode.StopAlways} {
			n := "336" + strconv.Itoa(10000000+len(all))
			m := smsmode.SMS{Numbers: []string{n}, Message: tx.text, Class: tx.class, Stop: stop}
			if tx.class == smsmode.ClassUnicode && stop == smsmode.StopAlways && i == 8 {
				m.Stop = smsmode.StopNone // 260 characters and a mention would exceed 5 parts
			}
			_, err := c.SendSMS(ctx, &m)
			require.NoError(t, err, "%q", tx.text)
			all = append(all, sent{m, n})
		}
	}
	rows, err := c.SMSList(ctx, smsmode.ListOptions{Offset: len(all)})
	require.NoError(t, err)
	require.Len(t, rows, len(all))
	byNumber := map[string]smsmode.SentSMS{}
	for _, r := range rows {
		byNumber[r.Number] = r
	}
	for _, s := range all {
		r, ok := byNumber["33"+s.number[2:]]
		require.True(t, ok, s.number)
		require.True(t, smsmode.MatchListed(s.sms.Message, r.Text), "sent %q, listed %q", s.sms.Message, r.Text)
		if s.sms.Stop == smsmode.StopNone {
			require.Equal(t, smsmode.ListedText(s.sms.Message), smsmode.ListedText(r.Text))
		}
		for _, other := range all {
			if other.sms.Message != s.sms.Message && smsmode.ListedText(other.sms.Message) != smsmode.ListedText(s.sms.Message) {
				require.False(t, smsmode.MatchListed(other.sms.Message, r.Text), "sent %q, listed %q", other.sms.Message, r.Text)
			}
		}
	}
	_ = srv
}

// TestListedTextOtherListings reads smsList.do answers the real API might
// give: ISO-8859-15 with one "?" per UTF-16 unit, or UTF-8 with the
// characters themselves.
func TestListedTextOtherListings(t *testing.T) {
	t.Parallel()
	const sentText = "Joyeux Noël 🎄 à tous"
	for name, body := range map[string]struct {
		ctype string
		body  []byte
	}{
		"latin-9, one ? per code point":  {"text/html; charset=ISO-8859-15", []byte("id1 | 24/12/2026 18:30 | Joyeux No\xebl ? \xe0 tous | 33612345678 | 1 | 1 |")},
		"latin-9, one ? per UTF-16 unit": {"text/html; charset=ISO-8859-15", []byte("id1 | 24/12/2026 18:30 | Joyeux No\xebl ?? \xe0 tous | 33612345678 | 1 | 1 |")},
		"UTF-8":                          {"text/plain; charset=UTF-8", []byte("id1 | 24/12/2026 18:30 | Joyeux Noël 🎄 à tous | 33612345678 | 1 | 1 |")},
		"latin-1 label":                  {"text/html; charset=ISO-8859-1", []byte("id1 | 24/12/2026 18:30 | Joyeux No\xebl ? \xe0 tous STOP 36034 | 33612345678 | 1 | 1 |")},
	} {
		t.Run(name, func(t *testing.T) {
			rec := newRecorder(t)
			rec.answer(200, body.ctype, body.body)
			rows, err := rec.client(t).SMSList(context.Background(), smsmode.ListOptions{})
			require.NoError(t, err)
			require.Len(t, rows, 1)
			require.True(t, smsmode.MatchListed(sentText, rows[0].Text), "listed %q", rows[0].Text)
		})
	}
}

func FuzzListedText(f *testing.F) {
	// More seeds live in testdata/fuzz/FuzzListedText.
	f.Add("Bon anniversaire 🎂", "Bon anniversaire ??")
	f.Add("a\r\n \nb", "a\n\nb STOP 36034")
	f.Add("NON", "NONSTOP")
	f.Fuzz(func(t *testing.T, sent, listed string) {
		s := smsmode.ListedText(sent)
		require.Equal(t, s, smsmode.ListedText(s), "idempotent")
		require.True(t, strings.ToValidUTF8(s, "") == s, "valid UTF-8")
		require.NotContains(t, s, "??", "runs of ? are one")
		require.NotContains(t, s, "\r\n")
		_ = smsmode.MatchListed(sent, listed) // never panics
		if s == "" {
			require.False(t, smsmode.MatchListed(sent, listed))
			return
		}
		require.True(t, smsmode.MatchListed(sent, sent))
		require.True(t, smsmode.MatchListed(sent, s), "the listing of the sent text")
		require.True(t, smsmode.MatchListed(sent, sent+" STOP 36034"), "with the French mention")
		require.True(t, smsmode.MatchListed(sent, sent+"\nno-sms.eu"), "with the international mention")
	})
}
