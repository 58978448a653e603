package smsmode

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func fmtV(v any) string { return fmt.Sprintf("%v %+v %#v %s", v, v, v, v) }

func TestValidateSender(t *testing.T) {
	t.Parallel()
	ok := []struct {
		s string
		c Class
	}{
		{"", 0}, {"", ClassReply}, {"MYSHOP", 0}, {"MYSHOP", ClassPro}, {"MYSHOP", ClassUnicode},
		{"A", 0}, {"ABCDEFGHIJK", 0}, {"Shop-42", 0}, {"R&D_Co.", 0}, {"36034a", 0},
		{"[SHOP]", 0}, {"{ABCDEFG}", 0}, {"A~B", 0}, {"x1", 0}, {"ABCDEFGHI|", 0},
	}
	for _, tt := range ok {
		assert.NoError(t, ValidateSender(tt.s, tt.c), "%q", tt.s)
	}
	bad := []struct {
		s    string
		c    Class
		rule string
	}{
		{"ABCDEFGHIJKL", 0, "at most 11"},
		{"MY SHOP", 0, "spaces"},
		{"Café", 0, "accents"},
		{"TAB\tX", 0, "control"},
		{"0612345678", 0, "phone number"},
		{"+33612345678", 0, "phone number"},
		{"36034", 0, "phone number"},
		{"MYSHOP", ClassReply, "classe_msg=4"},
		{"ÉÉÉÉÉÉÉÉÉÉÉÉ", 0, "accents"},
		{"+33612345678901", 0, "phone number"},
		{"06.12.34.56", 0, "phone number"},
		{"+33-6-12", 0, "phone number"},
		{"(0)612/34", 0, "phone number"},
		{"24/7", 0, "a sender needs a letter"},
		{"a`b", 0, "backtick"},
		{"ABCDEFGHIJ|", 0, "12 septets"},
		{"{ABCDEFGHI}", 0, "count two"},
		{"[[[[[[A", 0, "at most 11"},
		{"ÉCOLE", 0, "no accents"},
		{"SHOP\u00a0X", 0, "accents"},
		{"MY\nSHOP", 0, "control"},
	}
	for _, tt := range bad {
		err := ValidateSender(tt.s, tt.c)
		var re *RequestError
		require.ErrorAs(t, err, &re, "%q", tt.s)
		assert.Equal(t, "emetteur", re.Field)
		assert.Contains(t, err.Error(), tt.rule, "%q", tt.s)
		assert.Contains(t, err.Error(), "emetteur")
		assert.True(t, IsPermanent(err))
	}
}

func TestValidateRefClient(t *testing.T) {
	t.Parallel()
	assert.NoError(t, ValidateRefClient(""))
	assert.NoError(t, ValidateRefClient(strings.Repeat("a", 40)))
	assert.NoError(t, ValidateRefClient(strings.Repeat("é", 40)))
	err := ValidateRefClient(strings.Repeat("a", 41))
	var re *RequestError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "refClient", re.Field)
	assert.Contains(t, err.Error(), "at most 40")
	assert.Error(t, ValidateRefClient("\xff"))
}

func TestJoinNumbers(t *testing.T) {
	t.Parallel()
	s, err := joinNumbers("numero", []string{"33612345678", "+33698765432", "0612345678"})
	require.NoError(t, err)
	assert.Equal(t, "33612345678,33698765432,0612345678", s)
	for _, bad := range [][]string{{""}, {"+"}, {"336 12"}, {"336,12"}, {"33612345678", "abc"}, {strings.Repeat("1", 21)}} {
		_, err := joinNumbers("numero", bad)
		var re *RequestError
		require.ErrorAs(t, err, &re, "%q", bad)
		assert.Equal(t, "numero", re.Field)
	}
	_, err = joinNumbers("numero", []string{"33612345678", "x"})
	assert.Contains(t, err.Error(), "entry 2")
}

func TestValidateNotificationURL(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"", "http://x", "https://example.com/dr?x=1&y=2", "HTTPS://EXAMPLE.COM/", "http://127.0.0.1:8080/cb"} {
		assert.NoError(t, ValidateNotificationURL("notification_url", ok), "%q", ok)
	}
	for _, bad := range []string{"/dr", "example.com/dr", "ftp://example.com/", "https://", "http://[::1", "mailto:x@y", "javascript:alert(1)"} {
		err := ValidateNotificationURL("notification_url_reponse", bad)
		var re *RequestError
		require.ErrorAs(t, err, &re, "%q", bad)
		assert.Equal(t, "notification_url_reponse", re.Field)
		assert.Equal(t, "not an absolute http(s) URL", re.Reason)
	}
}

func TestValidateLatin9(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"", "abc", "Clients-été", "10€", "Œuvre", "Š"} {
		assert.NoError(t, ValidateLatin9("groupe", ok), "%q", ok)
	}
	for _, bad := range []string{"☺", "a\u2019b", "ÿ\u0301", "\xff"} {
		err := ValidateLatin9("groupe", bad)
		var re *RequestError
		require.ErrorAs(t, err, &re, "%q", bad)
		assert.Equal(t, "groupe", re.Field)
	}
}

// fieldOf returns the *RequestError's field and row, or "" for nil.
func fieldOf(t *testing.T, err error) (string, int) {
	t.Helper()
	if err == nil {
		return "", 0
	}
	var re *RequestError
	require.ErrorAs(t, err, &re)
	assert.True(t, IsPermanent(err))
	assert.False(t, IsAmbiguous(err))
	return re.Field, re.Row
}

func TestSMSValidate(t *testing.T) {
	t.Parallel()
	n := []string{"33612345678"}
	a := func(k int) string { return strings.Repeat("a", k) }
	tests := []struct {
		name  string
		m     *SMS
		field string
	}{
		{"minimal", &SMS{Numbers: n, Message: "x"}, ""},
		{"nil", nil, "message"},
		{"no recipient", &SMS{Message: "x"}, "numero"},
		{"bad number", &SMS{Numbers: []string{"06 12"}, Message: "x"}, "numero"},
		{"group", &SMS{Group: "Clients-été", Message: "x"}, ""},
		{"group outside ISO-8859-15", &SMS{Group: "clients ☺", Message: "x"}, "groupe"},
		{"unicode group", &SMS{Group: "clients ☺", Message: "x", Class: ClassUnicode}, ""},
		{"class", &SMS{Numbers: n, Message: "x", Class: 7}, "classe_msg"},
		{"stop", &SMS{Numbers: n, Message: "x", Stop: -1}, "stop"},
		{"nbr_msg negative", &SMS{Numbers: n, Message: "x", MaxParts: -1}, "nbr_msg"},
		{"gsm nbr_msg 8", &SMS{Numbers: n, Message: a(1200), MaxParts: 8}, ""},
		{"unicode nbr_msg 5", &SMS{Numbers: n, Message: "☺", MaxParts: 5, Class: ClassUnicode}, ""},
		{"unicode nbr_msg 6", &SMS{Numbers: n, Message: "☺", MaxParts: 6, Class: ClassUnicode}, "nbr_msg"},
		{"unicode nbr_msg 8", &SMS{Numbers: n, Message: "☺", MaxParts: 8, Class: ClassUnicode}, "nbr_msg"},
		{"unicode 335 units", &SMS{Numbers: n, Message: strings.Repeat("я", 335), Class: ClassUnicode}, ""},
		{"unicode 336 units", &SMS{Numbers: n, Message: strings.Repeat("я", 336), Class: ClassUnicode}, "message"},
		{"sender", &SMS{Numbers: n, Message: "x", Sender: "36034"}, "emetteur"},
		{"sender with reply", &SMS{Numbers: n, Message: "x", Sender: "SHOP", Class: ClassReply}, "emetteur"},
		{"refClient", &SMS{Numbers: n, Message: "x", RefClient: a(41)}, "refClient"},
		{"refClient charset", &SMS{Numbers: n, Message: "x", RefClient: "☺"}, "refClient"},
		{"unicode refClient", &SMS{Numbers: n, Message: "x", RefClient: "☺", Class: ClassUnicode}, ""},
		{"notification_url", &SMS{Numbers: n, Message: "x", NotificationURL: "/dr"}, "notification_url"},
		{"notification_url charset", &SMS{Numbers: n, Message: "x", NotificationURL: "https://x/☺"}, "notification_url"},
		{"notification_url_reponse", &SMS{Numbers: n, Message: "x", ReplyURL: "ftp://x/"}, "notification_url_reponse"},
		{"message empty", &SMS{Numbers: n}, "message"},
		{"message outside the table", &SMS{Numbers: n, Message: "l’été"}, "message"},
		{"message 765", &SMS{Numbers: n, Message: a(765)}, ""},
		{"message 766", &SMS{Numbers: n, Message: a(766)}, "message"},
		// 152 a, €, 152 a: 306 units, but three parts.
		{"straddling € over nbr_msg", &SMS{Numbers: n, Message: a(152) + "€" + a(152), MaxParts: 2}, "message"},
		{"stop pushes over nbr_msg", &SMS{Numbers: n, Message: a(150), MaxParts: 1, Stop: StopAlways}, "message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before SMS
			if tt.m != nil {
				before = *tt.m
			}
			field, row := fieldOf(t, tt.m.Validate())
			require.Equal(t, tt.field, field)
			require.Zero(t, row)
			if tt.m != nil {
				require.Equal(t, before, *tt.m, "Validate changes nothing")
			}
		})
	}
}

func TestVoiceValidate(t *testing.T) {
	t.Parallel()
	n := []string{"33612345678"}
	tests := []struct {
		name  string
		v     *Voice
		field string
	}{
		{"minimal", &Voice{Numbers: n, Message: "Bonjour"}, ""},
		{"nil", nil, "message"},
		{"no recipient", &Voice{Message: "x"}, "numero"},
		{"bad number", &Voice{Numbers: []string{"abc"}, Message: "x"}, "numero"},
		{"empty", &Voice{Numbers: n}, "message"},
		{"160 characters", &Voice{Numbers: n, Message: strings.Repeat("é", 160)}, ""},
		{"161 characters", &Voice{Numbers: n, Message: strings.Repeat("a", 161)}, "message"},
		{"outside ISO-8859-15", &Voice{Numbers: n, Message: "Merci ☺"}, "message"},
		{"ISO-8859-15 beyond the GSM table", &Voice{Numbers: n, Message: "Œuvre, ça, â"}, ""},
		{"invalid UTF-8", &Voice{Numbers: n, Message: "\xff"}, "message"},
		{"title", &Voice{Numbers: n, Message: "x", Title: "☺"}, "title"},
		{"language", &Voice{Numbers: n, Message: "x", Language: "it-IT"}, "language"},
		{"every language", &Voice{Numbers: n, Message: "x", Language: "es-ES"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			field, _ := fieldOf(t, tt.v.Validate())
			require.Equal(t, tt.field, field)
		})
	}
	for _, l := range VoiceLanguages {
		require.NoError(t, (&Voice{Numbers: n, Message: "x", Language: l}).Validate())
	}
}

func TestBatchValidate(t *testing.T) {
	t.Parallel()
	ok := BatchRow{Number: "33612345678", Message: "ok"}
	rows := func(r ...BatchRow) []BatchRow { return append([]BatchRow{ok, ok}, r...) }
	tests := []struct {
		name  string
		b     *Batch
		field string
		row   int
	}{
		{"minimal", &Batch{Rows: rows()}, "", 0},
		{"nil", nil, "fichier", 0},
		{"no rows", &Batch{}, "fichier", 0},
		{"unicode class", &Batch{Class: ClassUnicode, Rows: rows()}, "classe_msg", 0},
		{"nbr_msg", &Batch{MaxParts: -2, Rows: rows()}, "nbr_msg", 0},
		{"sender", &Batch{Sender: "MY SHOP", Rows: rows()}, "emetteur", 0},
		{"refClient", &Batch{RefClient: strings.Repeat("r", 41), Rows: rows()}, "refClient", 0},
		{"refClient charset", &Batch{RefClient: "r☺", Rows: rows()}, "refClient", 0},
		{"notification_url", &Batch{NotificationURL: "example.com", Rows: rows()}, "notification_url", 0},
		{"row number", &Batch{Rows: rows(BatchRow{Number: "+", Message: "x"})}, "numero", 3},
		{"row message", &Batch{Rows: rows(BatchRow{Number: "33612345678", Message: "☺"})}, "message", 3},
		{"row message empty", &Batch{Rows: rows(BatchRow{Number: "33612345678"})}, "message", 3},
		{"row too long", &Batch{MaxParts: 1, Rows: rows(BatchRow{Number: "33612345678", Message: strings.Repeat("a", 161)})}, "message", 3},
		{"row sender", &Batch{Rows: rows(BatchRow{Number: "33612345678", Message: "x", Sender: "0612345678"})}, "emetteur", 3},
		{"row sender with reply", &Batch{Class: ClassReply, Rows: rows(BatchRow{Number: "33612345678", Message: "x", Sender: "SHOP"})}, "emetteur", 3},
		{"row refClient", &Batch{Rows: rows(BatchRow{Number: "33612345678", Message: "x", RefClient: strings.Repeat("r", 41)})}, "refClient", 3},
		{"row refClient charset", &Batch{Rows: rows(BatchRow{Number: "33612345678", Message: "x", RefClient: "r☺"})}, "refClient", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			field, row := fieldOf(t, tt.b.Validate())
			require.Equal(t, tt.field, field)
			require.Equal(t, tt.row, row)
		})
	}
}
