package smsmodetest

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/smsmode"
)

// "Limite de la recherche : les SMS doivent avoir été envoyés dans les 30
// derniers jours par rapport à la date du jour."
func TestReportsOnlyForTheLast30Days(t *testing.T) {
	t.Parallel()
	loc := paris(t)
	clock := newClock(time.Date(2026, 3, 1, 10, 0, 0, 0, loc))
	s := newServer(t, WithClock(clock.Now))
	one := mustAccept(t, s, "message", "x", "numero", "33600000000")
	campaign := batchAccepted.FindStringSubmatch(postBatch(t, s, params(), []byte("33600000001,y\n")).body)[1]

	at := func(day, month, hour int) {
		clock.Add(time.Date(2026, time.Month(month), day, hour, 0, 0, 0, loc).Sub(clock.Now()))
	}
	// 31 March, 23:00: sent 30 days before today.
	at(31, 3, 23)
	require.Equal(t, "33600000000 0", get(t, s, "compteRendu.do", params("smsID", one)).body)
	require.Equal(t, "0 | Envoyé", get(t, s, "smsStatus.do", params("smsID", one)).body)
	require.Equal(t, "0 | Envoyé", get(t, s, "smsStatus.do", params("smsID", campaign)).body)

	// 1 April, midnight: 31 days.
	at(1, 4, 0)
	require.Equal(t, "61 | SMS n'existant pas ou plus", get(t, s, "compteRendu.do", params("smsID", one)).body)
	require.Equal(t, "61 | smsID invalide", get(t, s, "smsStatus.do", params("smsID", one)).body)
	require.Equal(t, "61 | SMS n'existant pas ou plus", get(t, s, "compteRendu.do", params("smsID", campaign)).body)
	require.Equal(t, "61 | smsID invalide", get(t, s, "smsStatus.do", params("smsID", campaign)).body)
	// The message itself is still on the account.
	require.Contains(t, get(t, s, "smsList.do", params()).body, one)

	// A message scheduled for later counts from its date_envoi.
	later := mustAccept(t, s, "message", "x", "numero", "33600000000", "date_envoi", "10042026-09:00")
	at(10, 5, 12)
	require.Equal(t, "0 | Envoyé", get(t, s, "smsStatus.do", params("smsID", later)).body)
}

// A group name with accents travels as ISO-8859-15 like every parameter
// but those of a classe_msg=9 send, which are UTF-8.
func TestSendSMSToGroupWithAccents(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.AddGroup("Clients-été", "33612345678")

	id := mustAccept(t, s, "message", "Promo", "groupe", "Clients-\xe9t\xe9")
	m, _ := s.Message(id)
	require.Equal(t, "Clients-été", m.Group)
	require.Equal(t, []string{"33612345678"}, m.Numbers)
	mustAccept(t, s, "message", "Promo ☺", "groupe", "Clients-été", "classe_msg", "9")
	// UTF-8 in a non-unicode send is another name, read as ISO-8859-15.
	require.Equal(t, "35 | Paramètre obligatoire manquant", post(t, s, "sendSMS.do", params("message", "x", "groupe", "Clients-été")).body)

	// Through the client, whichever the class.
	c := s.Client()
	for _, class := range []smsmode.Class{smsmode.ClassPro, smsmode.ClassUnicode} {
		_, err := c.SendSMS(context.Background(), &smsmode.SMS{Group: "Clients-été", Message: "Bonjour", Class: class})
		require.NoError(t, err, class)
	}
}

// The STOP mention is "STOP" and the shortcode in France, "no-sms.eu" for
// any message sent abroad.
func TestSendSMSStopMentionAbroad(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	id := mustAccept(t, s, "message", "Hello", "numero", "447911123456", "stop", "2")
	m, _ := s.Message(id)
	require.Equal(t, "Hello no-sms.eu", m.Text)

	// Mixed recipients: each handset gets its country's mention, and is
	// billed for its own text.
	rc := newReceiver(t)
	text := strings.Repeat("a", 150) // 161 with the French mention, 160 with the other
	id = mustAccept(t, s, "message", text, "numero", "33612345678,447911123456,32470123456", "stop", "2",
		"notification_url", rc.URL+"/dr")
	m, _ = s.Message(id)
	require.Equal(t, text+" STOP 36034", m.Text, "Text is the first recipient's")
	require.Equal(t, text+" STOP 36034", m.TextFor("33612345678"))
	require.Equal(t, text+" no-sms.eu", m.TextFor("447911123456"))
	require.Equal(t, text+" no-sms.eu", m.TextFor("32470123456"))
	require.Equal(t, 2, m.Segments)
	require.Equal(t, 4.0, m.Cost, "2 + 1 + 1")
	require.False(t, m.Truncated)
	require.NoError(t, s.Deliver(id, "33612345678", smsmode.StatusReceived))
	require.NoError(t, s.Deliver(id, "447911123456", smsmode.StatusReceived))
	got := rc.got()
	require.Len(t, got, 2)
	require.Contains(t, got[0], "&cost=2")
	require.Contains(t, got[1], "&cost=1")

	// stop=1 on 149 characters: the mention fits either way.
	id = mustAccept(t, s, "message", strings.Repeat("b", 149), "numero", "447911123456,33612345678", "stop", "1")
	m, _ = s.Message(id)
	require.Equal(t, strings.Repeat("b", 149)+" no-sms.eu", m.Text)
	require.Equal(t, strings.Repeat("b", 149)+" STOP 36034", m.TextFor("33612345678"))
	require.Equal(t, 2.0, m.Cost)
}

// smsList.do answers in ISO-8859-15: a unicode message is listed with "?"
// for the characters ISO-8859-15 lacks, as the reference's charset rule
// says ("celui ci sera remplacé par ?").
func TestSMSListShowsUnicodeInISO885915(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	mustAccept(t, s, "message", "Merci ☺ 🎂 é € Œ", "numero", "33600000000", "classe_msg", "9")
	req, err := http.NewRequest(http.MethodGet, s.URL+"smsList.do?"+params().Encode(), nil)
	require.NoError(t, err)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, "text/html; charset=ISO-8859-15", res.Header.Get("Content-Type"))
	r := get(t, s, "smsList.do", params())
	require.Contains(t, r.body, " | Merci ? ? é € Œ | 33600000000 | ")

	// The client reads it back, and smsmode.MatchListed recognises it.
	rows, err := s.Client().SMSList(context.Background(), smsmode.ListOptions{})
	require.NoError(t, err)
	require.Equal(t, "Merci ? ? é € Œ", rows[0].Text)
	require.True(t, smsmode.MatchListed("Merci ☺ 🎂 é € Œ", rows[0].Text))
}
