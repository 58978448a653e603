package smsmodetest

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/smsmode"
)

func TestSendSMSAcceptedByGETAndPOST(t *testing.T) {
	t.Parallel()
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		t.Run(method, func(t *testing.T) {
			s := newServer(t)
			p := params("message", "Bonjour Maman", "numero", "3363123456,0623123457",
				"emetteur", "MYSHOP", "refClient", "order-42", "notification_url", "http://example.test/dr")
			var r response
			if method == http.MethodGet {
				r = get(t, s, "sendSMS.do", p)
			} else {
				r = post(t, s, "sendSMS.do", p)
			}
			require.Equal(t, http.StatusOK, r.status)
			require.Equal(t, "text/html; charset=ISO-8859-15", r.header.Get("Content-Type"))
			m := acceptedPattern.FindStringSubmatch(r.body)
			require.NotNil(t, m, r.body)

			msg, ok := s.Message(m[1])
			require.True(t, ok)
			require.Equal(t, "sendSMS.do", msg.Endpoint)
			require.Equal(t, []string{"3363123456", "33623123457"}, msg.Numbers)
			require.Equal(t, "Bonjour Maman", msg.Text)
			require.Equal(t, []byte("Bonjour Maman"), msg.Raw)
			require.Equal(t, 2, msg.Class)
			require.False(t, msg.Unicode)
			require.Equal(t, "MYSHOP", msg.Sender)
			require.Equal(t, "order-42", msg.RefClient)
			require.Equal(t, "http://example.test/dr", msg.NotificationURL)
			require.Equal(t, 5, msg.MaxParts)
			require.Equal(t, 1, msg.Segments)
			require.Equal(t, 2.0, msg.Cost)
			require.True(t, msg.SendAt.IsZero())
			require.False(t, msg.Scheduled())
			require.Equal(t, map[string]smsmode.Status{"3363123456": 0, "33623123457": 0}, msg.Statuses)
			require.Equal(t, float64(DefaultCredit-2), s.Credit())
			require.Equal(t, []Message{msg}, s.Messages())
		})
	}
}

// The PHP library of the provider puts numero in the body and the rest in
// the query string: the fake, like the provider, merges both.
func TestSendSMSParametersFromQueryAndBody(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	q := params("message", "Bonjour")
	body := url.Values{"numero": {"0612345678"}}
	r := send(t, s, http.MethodPost, "sendSMS.do?"+q.Encode(), "application/x-www-form-urlencoded", strings.NewReader(body.Encode()))
	require.Regexp(t, acceptedPattern, r.body)
	require.Equal(t, []string{"33612345678"}, s.Messages()[0].Numbers)

	// A body without its content type is not a form, as for a servlet.
	r = send(t, s, http.MethodPost, "sendSMS.do?"+q.Encode(), "", strings.NewReader(body.Encode()))
	require.Equal(t, "35 | Paramètre obligatoire manquant", r.body)

	// A GET body is ignored too.
	r = send(t, s, http.MethodGet, "sendSMS.do?"+q.Encode(), "application/x-www-form-urlencoded", strings.NewReader(body.Encode()))
	require.Equal(t, "35 | Paramètre obligatoire manquant", r.body)
}

func TestSendSMSAuthentication(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.AddAccessToken("other-token")
	for _, tc := range []struct {
		name string
		auth url.Values
		want string
	}{
		{"token", url.Values{"accessToken": {AccessToken}}, "0"},
		{"added token", url.Values{"accessToken": {"other-token"}}, "0"},
		{"pseudo and pass", url.Values{"pseudo": {Pseudo}, "pass": {Pass}}, "0"},
		{"wrong token", url.Values{"accessToken": {"nope"}}, "32 | Erreur d'authentification"},
		{"wrong pass", url.Values{"pseudo": {Pseudo}, "pass": {"nope"}}, "32 | Erreur d'authentification"},
		{"pseudo without pass", url.Values{"pseudo": {Pseudo}}, "32 | Erreur d'authentification"},
		{"nothing", url.Values{}, "32 | Erreur d'authentification"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.auth
			p.Set("message", "x")
			p.Set("numero", "33600000000")
			r := post(t, s, "sendSMS.do", p)
			if tc.want == "0" {
				require.Regexp(t, acceptedPattern, r.body)
			} else {
				require.Equal(t, tc.want, r.body)
			}
		})
	}
	s.RevokeAccessToken(AccessToken)
	r := post(t, s, "sendSMS.do", params("message", "x", "numero", "33600000000"))
	require.Equal(t, "32 | Erreur d'authentification", r.body)
}

func TestSendSMSInvalidParameters(t *testing.T) {
	t.Parallel()
	const missing = "35 | Paramètre obligatoire manquant"
	for _, tc := range []struct {
		name string
		kv   []string
	}{
		{"no message", []string{"numero", "33600000000"}},
		{"empty message", []string{"message", "", "numero", "33600000000"}},
		{"no recipient", []string{"message", "x"}},
		{"numero and groupe", []string{"message", "x", "numero", "33600000000", "groupe", "g"}},
		{"unknown group", []string{"message", "x", "groupe", "nope"}},
		{"number with +", []string{"message", "x", "numero", "+33600000000"}},
		{"number with spaces", []string{"message", "x", "numero", "06 12 34 56 78"}},
		{"foreign national number", []string{"message", "x", "numero", "0044123"}},
		{"short number", []string{"message", "x", "numero", "1234567"}},
		{"only commas", []string{"message", "x", "numero", ",,"}},
		{"classe_msg 3", []string{"message", "x", "numero", "33600000000", "classe_msg", "3"}},
		{"sender of 12", []string{"message", "x", "numero", "33600000000", "emetteur", "ABCDEFGHIJKL"}},
		{"sender with space", []string{"message", "x", "numero", "33600000000", "emetteur", "MY SHOP"}},
		{"sender with accent", []string{"message", "x", "numero", "33600000000", "emetteur", "CAF\xc9"}},
		{"sender is a number", []string{"message", "x", "numero", "33600000000", "emetteur", "+33612345"}},
		{"sender with classe_msg 4", []string{"message", "x", "numero", "33600000000", "emetteur", "SHOP", "classe_msg", "4"}},
		{"sender is a dotted number", []string{"message", "x", "numero", "33600000000", "emetteur", "06.12.34.56"}},
		{"sender is a shortcode", []string{"message", "x", "numero", "33600000000", "emetteur", "36034"}},
		{"sender with backtick", []string{"message", "x", "numero", "33600000000", "emetteur", "a`b"}},
		{"sender of 12 septets", []string{"message", "x", "numero", "33600000000", "emetteur", "[MYSHOP-10]"}},
		{"refClient of 41", []string{"message", "x", "numero", "33600000000", "refClient", strings.Repeat("r", 41)}},
		{"date_envoi", []string{"message", "x", "numero", "33600000000", "date_envoi", "2026-12-24 18:30"}},
		{"date_envoi 31 Feb", []string{"message", "x", "numero", "33600000000", "date_envoi", "31022026-10:00"}},
		{"nbr_msg 0", []string{"message", "x", "numero", "33600000000", "nbr_msg", "0"}},
		{"nbr_msg x", []string{"message", "x", "numero", "33600000000", "nbr_msg", "x"}},
		{"stop 3", []string{"message", "x", "numero", "33600000000", "stop", "3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t)
			require.Equal(t, missing, post(t, s, "sendSMS.do", params(tc.kv...)).body)
			require.Empty(t, s.Messages())
			require.Equal(t, float64(DefaultCredit), s.Credit())
		})
	}
}

func TestSendSMSValidBoundaries(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	for _, kv := range [][]string{
		{"emetteur", "ABCDEFGHIJK"},
		{"emetteur", "SHOP24"},
		{"emetteur", "{MYSHOP9}"},
		{"emetteur", "R&D_Co."},
		{"refClient", strings.Repeat("r", 40)},
		{"classe_msg", "4"},
		{"classe_msg", "9"},
		{"stop", "0"},
		{"nbr_msg", "1"},
	} {
		mustAccept(t, s, append([]string{"message", "x", "numero", "33600000000"}, kv...)...)
	}
}

func TestSendSMSRecipientLimitOfGET(t *testing.T) {
	t.Parallel()
	numbers := make([]string, 301)
	for i := range numbers {
		numbers[i] = fmt.Sprintf("336%08d", i)
	}
	p := params("message", "x", "numero", strings.Join(numbers, ","))
	s := newServer(t)
	require.Equal(t, "35 | Paramètre obligatoire manquant", get(t, s, "sendSMS.do", p).body)

	smsID := acceptedPattern.FindStringSubmatch(post(t, s, "sendSMS.do", p).body)[1]
	m, _ := s.Message(smsID)
	require.Len(t, m.Numbers, 301)
	require.Equal(t, 301.0, m.Cost)

	p.Set("numero", strings.Join(numbers[:300], ","))
	require.Regexp(t, acceptedPattern, get(t, s, "sendSMS.do", p).body)
}

func TestSendSMSDeduplicatesRecipients(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	id := mustAccept(t, s, "message", "x", "numero", "0612345678, 33612345678,,33698765432")
	m, _ := s.Message(id)
	require.Equal(t, []string{"33612345678", "33698765432"}, m.Numbers)
	require.Equal(t, 2.0, m.Cost)
}

// The message of classes 2 and 4 is ISO-8859-15, and the handset shows "?"
// for a character outside the reference's table.
func TestSendSMSCharacterTable(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, raw, text string
		class           string
	}{
		{"é as %E9", "Caf\xe9", "Café", ""},
		{"€ as %A4", "10 \xa4", "10 €", ""},
		{"€ as %80", "10 \x80", "10 €", ""},
		{"ü at %FC", "\xfc", "ü", ""},
		{"â is not in the table", "g\xe2teau", "g?teau", ""},
		{"ç is not in the table", "gar\xe7on", "gar?on", ""},
		{"œ (ISO-8859-15 0xBD) is not in the table", "c\xbdur", "c?ur", ""},
		{"backquote", "a`b", "a?b", ""},
		{"UTF-8 sent as GSM", "Caf\xc3\xa9", "Caf??", ""},
		{"newlines", "a\r\nb", "a\r\nb", ""},
		{"classe_msg=4 is ISO-8859-15 too", "Caf\xe9", "Café", "4"},
		{"classe_msg=9 is UTF-8", "Caf\xc3\xa9 \xe2\x98\xba \xf0\x9f\x98\x80", "Café ☺ 😀", "9"},
		{"classe_msg=9 invalid UTF-8", "Caf\xe9", "Caf\uFFFD", "9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t)
			id := mustAccept(t, s, "message", tc.raw, "numero", "33600000000", "classe_msg", tc.class)
			m, _ := s.Message(id)
			require.Equal(t, tc.text, m.Text)
			require.Equal(t, []byte(tc.raw), m.Raw)
			require.Equal(t, tc.class == "9", m.Unicode)
			// The raw bytes are recorded with the request, too.
			require.Equal(t, tc.raw, s.Requests()[0].Params.Get("message"))
		})
	}
}

func TestSendSMSSegmentsAndCost(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		message  string
		class    string
		segments int
	}{
		{"160 GSM", strings.Repeat("a", 160), "", 1},
		{"161 GSM", strings.Repeat("a", 161), "", 2},
		{"306 GSM", strings.Repeat("a", 306), "", 2},
		{"307 GSM", strings.Repeat("a", 307), "", 3},
		{"€ counts double", strings.Repeat("a", 159) + "\xa4", "", 2},
		{"{ counts double", strings.Repeat("a", 158) + "{", "", 1},
		{"70 unicode", strings.Repeat("\xe2\x98\xba", 70), "9", 1},
		{"71 unicode", strings.Repeat("\xe2\x98\xba", 71), "9", 2},
		{"134 unicode", strings.Repeat("a", 134), "9", 2},
		{"emoji count double", strings.Repeat("\xf0\x9f\x98\x80", 35), "9", 1},
		{"emoji count double, 36", strings.Repeat("\xf0\x9f\x98\x80", 36), "9", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t)
			id := mustAccept(t, s, "message", tc.message, "numero", "33600000000,33600000001,33600000002", "classe_msg", tc.class)
			m, _ := s.Message(id)
			require.Equal(t, tc.segments, m.Segments)
			require.Equal(t, float64(3*tc.segments), m.Cost)
			require.Equal(t, float64(DefaultCredit-3*tc.segments), s.Credit())
			require.False(t, m.Truncated)
		})
	}
}

func TestSendSMSInsufficientCredit(t *testing.T) {
	t.Parallel()
	s := newServer(t, WithCredit(3))
	p := params("message", strings.Repeat("a", 200), "numero", "33600000000,33600000001")
	require.Equal(t, "33 | Crédits insuffisants", post(t, s, "sendSMS.do", p).body)
	require.Empty(t, s.Messages())
	require.Equal(t, 3.0, s.Credit())

	s.SetCredit(4)
	require.Regexp(t, acceptedPattern, post(t, s, "sendSMS.do", p).body)
	require.Equal(t, 0.0, s.Credit())
}

// "Le message sera coupé s'il dépasse cette limite."
func TestSendSMSTruncatedBeyondNbrMsg(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, message, class, nbr, stop string
		text                            string
		segments                        int
	}{
		{"GSM 1", strings.Repeat("a", 200), "", "1", "", strings.Repeat("a", 160), 1},
		{"GSM 2", strings.Repeat("a", 400), "", "2", "", strings.Repeat("a", 306), 2},
		{"GSM default 5", strings.Repeat("a", 800), "", "", "", strings.Repeat("a", 765), 5},
		{"double-count character not split", strings.Repeat("a", 159) + "{b", "", "1", "", strings.Repeat("a", 159), 1},
		{"unicode 1", strings.Repeat("\xe2\x98\xba", 100), "9", "1", "", strings.Repeat("☺", 70), 1},
		{"unicode capped at 5", strings.Repeat("b", 400), "9", "9", "", strings.Repeat("b", 335), 5},
		{"emoji not split", strings.Repeat("a", 69) + "\xf0\x9f\x98\x80", "9", "1", "", strings.Repeat("a", 69), 1},
		{"stop=2 keeps room for its mention", strings.Repeat("a", 170), "", "1", "2", strings.Repeat("a", 149) + " STOP 36034", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t)
			id := mustAccept(t, s, "message", tc.message, "numero", "33600000000", "classe_msg", tc.class, "nbr_msg", tc.nbr, "stop", tc.stop)
			m, _ := s.Message(id)
			require.True(t, m.Truncated)
			require.Equal(t, tc.text, m.Text)
			require.Equal(t, tc.segments, m.Segments)
			require.Equal(t, []byte(tc.message), m.Raw)
		})
	}
}

// The STOP mention: stop=1 only up to 149 characters, stop=2 always.
func TestSendSMSStop(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		length   int
		stop     string
		mention  bool
		segments int
	}{
		{"no stop", 149, "", false, 1},
		{"stop=1 at 149", 149, "1", true, 1},
		{"stop=1 at 150", 150, "1", false, 1},
		{"stop=2 at 149", 149, "2", true, 1},
		{"stop=2 at 150", 150, "2", true, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t)
			text := strings.Repeat("a", tc.length)
			id := mustAccept(t, s, "message", text, "numero", "33600000000", "stop", tc.stop)
			m, _ := s.Message(id)
			want := text
			if tc.mention {
				want += " STOP 36034"
			}
			require.Equal(t, want, m.Text)
			require.Equal(t, tc.segments, m.Segments)
			require.False(t, m.Truncated)
		})
	}
}

func TestSendSMSToGroup(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.AddGroup("clients", "0612345678", "33698765432")
	id := mustAccept(t, s, "message", "Promo", "groupe", "clients")
	m, _ := s.Message(id)
	require.Equal(t, "clients", m.Group)
	require.Equal(t, []string{"33612345678", "33698765432"}, m.Numbers)
	require.Equal(t, 2.0, m.Cost)

	// Groups made by addContact.do work the same way.
	require.Equal(t, "0 | Contact ajouté", get(t, s, "addContact.do", params("nom", "Dupond", "mobile", "0611111111", "groupes", "vip,clients")).body)
	id = mustAccept(t, s, "message", "Promo", "groupe", "vip")
	m, _ = s.Message(id)
	require.Equal(t, []string{"33611111111"}, m.Numbers)
	g, ok := s.Group("clients")
	require.True(t, ok)
	require.Equal(t, []string{"33612345678", "33698765432", "33611111111"}, g)
}

func TestSendSMSScheduled(t *testing.T) {
	t.Parallel()
	loc := paris(t)
	now := time.Date(2026, 3, 28, 12, 0, 0, 0, loc)
	s := newServer(t, WithClock(fixedClock(now)))

	// The day before the change to summer time, sent for the day after:
	// date_envoi is local time in the server's zone.
	id := mustAccept(t, s, "message", "Rappel", "numero", "33600000000", "date_envoi", "29032026-10:30")
	m, _ := s.Message(id)
	require.True(t, m.SendAt.Equal(time.Date(2026, 3, 29, 8, 30, 0, 0, time.UTC)), m.SendAt)
	require.True(t, m.Scheduled())
	require.Equal(t, smsmode.StatusScheduled, m.Statuses["33600000000"])
	require.Equal(t, "10 | Envoi programmé", get(t, s, "smsStatus.do", params("smsID", id)).body)
	require.Equal(t, "33600000000 10", get(t, s, "compteRendu.do", params("smsID", id)).body)
	require.Equal(t, float64(DefaultCredit-1), s.Credit())

	// A date in the past, or the current minute, sends now.
	for _, d := range []string{"28032026-11:00", "28032026-12:00"} {
		id := mustAccept(t, s, "message", "Maintenant", "numero", "33600000000", "date_envoi", d)
		m, _ := s.Message(id)
		require.False(t, m.Scheduled(), d)
		require.Equal(t, "0 | Envoyé", get(t, s, "smsStatus.do", params("smsID", id)).body)
	}

	// Deleting the scheduled message refunds it; a sent one is not refunded.
	require.Equal(t, float64(DefaultCredit-3), s.Credit())
	require.Equal(t, "0 | SMS supprimé", get(t, s, "deleteSMS.do", params("smsID", id)).body)
	require.Equal(t, float64(DefaultCredit-2), s.Credit())
	m, _ = s.Message(id)
	require.True(t, m.Deleted)
	require.Equal(t, "61 | SMS n'existant pas ou plus", get(t, s, "compteRendu.do", params("smsID", id)).body)
	require.Equal(t, "61 | SMS non trouvé", get(t, s, "deleteSMS.do", params("smsID", id)).body)
}

// A scheduled message becomes sent once its date has come.
func TestSendSMSScheduledFallsDue(t *testing.T) {
	t.Parallel()
	loc := paris(t)
	clock := newClock(time.Date(2026, 12, 24, 18, 0, 0, 0, loc))
	s := newServer(t, WithClock(clock.Now))
	id := mustAccept(t, s, "message", "x", "numero", "33600000000", "date_envoi", "24122026-18:30")
	require.Equal(t, "10 | Envoi programmé", get(t, s, "smsStatus.do", params("smsID", id)).body)

	clock.Add(30 * time.Minute)
	require.Equal(t, "0 | Envoyé", get(t, s, "smsStatus.do", params("smsID", id)).body)
	require.Equal(t, "61 | SMS non trouvé", get(t, s, "deleteSMS.do", params("smsID", "nope")).body)
	require.Equal(t, "0 | SMS supprimé", get(t, s, "deleteSMS.do", params("smsID", id)).body)
	require.Equal(t, float64(DefaultCredit-1), s.Credit(), "a sent message is not refunded")
}

func TestSendSMSWithLocation(t *testing.T) {
	t.Parallel()
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	s := newServer(t, WithLocation(ny))
	require.Equal(t, ny, s.Location())
	require.Equal(t, ny, s.Config().Location)
	id := mustAccept(t, s, "message", "x", "numero", "33600000000", "date_envoi", "24122099-18:30")
	m, _ := s.Message(id)
	require.True(t, m.SendAt.Equal(time.Date(2099, 12, 24, 23, 30, 0, 0, time.UTC)), m.SendAt)
}

func TestSendVoiceMessage(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	r := post(t, s, "sendVoiceMessage.do", params("message", "Bonjour, votre colis est arriv\xe9", "numero", "0612345678,33698765432",
		"title", "Message de la soci\xe9t\xe9", "language", "fr-FR"))
	m := regexpVoice.FindStringSubmatch(r.body)
	require.NotNil(t, m, r.body)
	msg, _ := s.Message(m[1])
	require.Equal(t, "sendVoiceMessage.do", msg.Endpoint)
	require.Equal(t, "Bonjour, votre colis est arrivé", msg.Text)
	require.Equal(t, "Message de la société", msg.Title)
	require.Equal(t, "fr-FR", msg.Language)
	require.Equal(t, []string{"33612345678", "33698765432"}, msg.Numbers)
	require.Equal(t, 2.0, msg.Cost)

	// A UTF-8 voice message is understood too: the reference fixes no charset for it.
	r = post(t, s, "sendVoiceMessage.do", params("message", "Caf\xc3\xa9", "numero", "0612345678"))
	msg, _ = s.Message(regexpVoice.FindStringSubmatch(r.body)[1])
	require.Equal(t, "Café", msg.Text)

	numbers := strings.TrimSuffix(strings.Repeat("33600000000,", 301), ",")
	for _, tc := range []struct {
		name string
		kv   []string
	}{
		{"no message", []string{"numero", "33600000000"}},
		{"no numero", []string{"message", "x"}},
		{"161 characters", []string{"message", strings.Repeat("a", 161), "numero", "33600000000"}},
		{"language", []string{"message", "x", "numero", "33600000000", "language", "it-IT"}},
		{"date_envoi", []string{"message", "x", "numero", "33600000000", "date_envoi", "tomorrow"}},
		{"number", []string{"message", "x", "numero", "abc"}},
	} {
		require.Equal(t, "35 | Paramètre obligatoire manquant", post(t, s, "sendVoiceMessage.do", params(tc.kv...)).body, tc.name)
	}
	require.Equal(t, "35 | Paramètre obligatoire manquant", get(t, s, "sendVoiceMessage.do", params("message", "x", "numero", numbers)).body)
	require.Equal(t, "32 | Erreur d'authentification", post(t, s, "sendVoiceMessage.do", url.Values{"message": {"x"}, "numero": {"33600000000"}}).body)
	s.SetCredit(0)
	require.Equal(t, "33 | Crédits insuffisants", post(t, s, "sendVoiceMessage.do", params("message", "x", "numero", "33600000000")).body)
}

var regexpVoice = regexp.MustCompile(`^0 \| Accepté \(message accepté par le système et en cours de traitement\) \| ([A-Za-z0-9]{12})$`)
