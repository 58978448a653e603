package smsmodetest

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/smsmode"
)

// acceptedVoice is sendVoiceMessage.do's answer to an accepted send.
var acceptedVoice = regexp.MustCompile(`^0 \| Accepté \(message accepté par le système et en cours de traitement\) \| ([A-Za-z0-9]{12})$`)

func TestCompteRendu(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	id := mustAccept(t, s, "message", "x", "numero", "0600000000,33611111111")
	require.Equal(t, "33600000000 0 | 33611111111 0", get(t, s, "compteRendu.do", params("smsID", id)).body)

	require.NoError(t, s.Deliver(id, "0600000000", smsmode.StatusReceived))
	require.NoError(t, s.Deliver(id, "33611111111", smsmode.StatusDeliveredToOperator))
	// The reference's example.
	require.Equal(t, "33600000000 11 | 33611111111 13", post(t, s, "compteRendu.do", params("smsID", id)).body)

	require.Equal(t, "61 | SMS n'existant pas ou plus", get(t, s, "compteRendu.do", params("smsID", "S7EpYZ5kmS87")).body)
	require.Equal(t, "35 | Paramètre obligatoire manquant", get(t, s, "compteRendu.do", params()).body)
	require.Equal(t, "32 | Erreur d'authentification", get(t, s, "compteRendu.do", params("accessToken", "x", "smsID", id)).body)
}

func TestSMSStatus(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	rc := newReceiver(t)
	// A delivery report was asked for: smsStatus.do shows 11 and 13.
	one := mustAccept(t, s, "message", "x", "numero", "33600000000", "notification_url", rc.URL)
	two := mustAccept(t, s, "message", "x", "numero", "33600000000,33611111111", "notification_url", rc.URL)
	for _, tc := range []struct {
		id     string
		number string
		status smsmode.Status
		want   string
	}{
		{one, "", 0, "0 | Envoyé"},
		{one, "33600000000", smsmode.StatusReceived, "11 | Reçu"},
		{one, "33600000000", smsmode.StatusDeliveredToOperator, "13 | Délivré"},
		{one, "33600000000", smsmode.StatusInternalError, "2 | Non envoyé - erreur interne"},
		{one, "33600000000", smsmode.StatusPermanentAntiSpam, "3524 | Erreur permanente anti spam"},
		{one, "33600000000", smsmode.StatusBlacklisted, "3999 | Destinataire blacklisté"},
		{one, "33600000000", smsmode.Status(4242), "4242 | Indéfini"},
		{two, "", 0, "0 | Envoyé"},
		{two, "33600000000", smsmode.StatusDeliveredToOperator, "12 | Partiellement délivré"},
		{two, "33611111111", smsmode.StatusReceived, "15 | Partiellement reçu"},
		{two, "33600000000", smsmode.StatusReceived, "11 | Reçu"},
	} {
		if tc.number != "" {
			require.NoError(t, s.Deliver(tc.id, tc.number, tc.status))
		}
		require.Equal(t, tc.want, get(t, s, "smsStatus.do", params("smsID", tc.id)).body)
	}
	require.Equal(t, "61 | smsID invalide", get(t, s, "smsStatus.do", params("smsID", "nope")).body)
	require.Equal(t, `35 | Paramètre(s) incorrect(s) ("pseudo", "pass", "smsID" obligatoires)`, get(t, s, "smsStatus.do", params()).body)
	require.Equal(t, `32 | Echec d'authentification ("pseudo" et/ou "mot de passe" inexistant)`,
		get(t, s, "smsStatus.do", params("accessToken", "", "pseudo", "x", "pass", "y", "smsID", one)).body)
}

// "11 Reçu (seulement si compte-rendu a été sélectionné, sinon Envoyé)",
// and 13 likewise: without notification_url the delivery states show as 0.
func TestSMSStatusWithoutDeliveryReport(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	one := mustAccept(t, s, "message", "x", "numero", "33600000000")
	two := mustAccept(t, s, "message", "x", "numero", "33600000000,33611111111")
	for _, tc := range []struct {
		id     string
		number string
		status smsmode.Status
		want   string
	}{
		{one, "33600000000", smsmode.StatusDeliveredToOperator, "0 | Envoyé"},
		{one, "33600000000", smsmode.StatusReceived, "0 | Envoyé"},
		{one, "33600000000", smsmode.StatusDelivered, "0 | Envoyé"},
		{two, "33600000000", smsmode.StatusReceived, "0 | Envoyé"},
		{two, "33611111111", smsmode.StatusDeliveredToOperator, "0 | Envoyé"},
		{two, "33611111111", smsmode.StatusReceptionError, "0 | Envoyé"},
		// 35 is a parameter error on smsStatus.do, whose table has 39.
		{two, "33600000000", smsmode.StatusReceptionError, "39 | Erreur réception"},
		{one, "33600000000", smsmode.StatusPermanentPhone, "3523 | Erreur permanente téléphone"},
	} {
		require.NoError(t, s.Deliver(tc.id, tc.number, tc.status))
		require.Equal(t, tc.want, get(t, s, "smsStatus.do", params("smsID", tc.id)).body, "%d", tc.status)
	}
	// compteRendu.do shows the statuses all the same.
	require.Equal(t, "33600000000 35 | 33611111111 35", get(t, s, "compteRendu.do", params("smsID", two)).body)
}

// A voice message is a call: it is listened (16), never received as an SMS.
func TestVoiceStatuses(t *testing.T) {
	t.Parallel()
	s := newServer(t, WithAutoDelivery(smsmode.StatusDeliveredToOperator, smsmode.StatusReceived))
	r := post(t, s, "sendVoiceMessage.do", params("message", "Bonjour", "numero", "33600000000,33611111111"))
	id := acceptedVoice.FindStringSubmatch(r.body)
	require.NotNil(t, id, r.body)
	eventually(t, func() bool {
		return get(t, s, "compteRendu.do", params("smsID", id[1])).body == "33600000000 16 | 33611111111 16"
	}, "automatic reports make a voice message listened")
	require.Equal(t, "16 | Ecouté", get(t, s, "smsStatus.do", params("smsID", id[1])).body, "16 needs no delivery report")

	require.ErrorContains(t, s.Deliver(id[1], "33600000000", smsmode.StatusReceived), "voice message")
	require.ErrorContains(t, s.Deliver(id[1], "33600000000", smsmode.StatusDeliveredToOperator), "voice message")
	require.NoError(t, s.Deliver(id[1], "33600000000", smsmode.StatusNotDelivered))
	require.Equal(t, "33600000000 50 | 33611111111 16", get(t, s, "compteRendu.do", params("smsID", id[1])).body)

	// And an SMS is never listened.
	s.SetAutoDelivery(smsmode.StatusListened, smsmode.StatusReceived)
	sms := mustAccept(t, s, "message", "x", "numero", "33600000000")
	eventually(t, func() bool { return get(t, s, "compteRendu.do", params("smsID", sms)).body == "33600000000 11" }, "16 skipped for an SMS")
	require.ErrorContains(t, s.Deliver(sms, "33600000000", smsmode.StatusListened), "voice messages")
}

func TestCredit(t *testing.T) {
	t.Parallel()
	s := newServer(t, WithCredit(212.5))
	require.Equal(t, "212.5", get(t, s, "credit.do", params()).body)
	s.SetCredit(-3) // post-paid accounts show a negative balance
	require.Equal(t, "-3.0", post(t, s, "credit.do", params()).body)
	// Always a decimal point, as in the reference's example: a client
	// written against the live API may look for one.
	for credit, want := range map[float64]string{100000: "100000.0", 0: "0.0", 0.25: "0.25", 1e15: "1000000000000000.0"} {
		s.SetCredit(credit)
		require.Equal(t, want, get(t, s, "credit.do", params()).body)
	}
	s.SetCredit(1000)
	require.Equal(t, "1000.0", get(t, s, "credit.do", params("accessToken", "", "pseudo", Pseudo, "pass", Pass)).body)
	require.Equal(t, "32 | Erreur d'authentification", get(t, s, "credit.do", params("accessToken", "bad")).body)
}

func TestSMSList(t *testing.T) {
	t.Parallel()
	loc := paris(t)
	clock := newClock(time.Date(2019, 1, 23, 18, 0, 0, 0, loc))
	s := newServer(t, WithClock(clock.Now))
	var ids []string
	for i := range 5 {
		ids = append(ids, mustAccept(t, s, "message", fmt.Sprintf("Message %d \xe9", i), "numero", "33600000000,3361111111"+fmt.Sprint(i)))
		clock.Add(time.Minute)
	}
	sched := mustAccept(t, s, "message", "Plus tard", "numero", "33600000000", "date_envoi", "24012019-09:15")

	row := func(id, date, text, number, cost, count string) string {
		return id + " | " + date + " | " + text + " | " + number + " | " + cost + " | " + count + " |"
	}
	r := get(t, s, "smsList.do", params())
	require.Equal(t, strings.Join([]string{
		row(sched, "24/01/2019 09:15", "Plus tard", "33600000000", "1", "1"),
		row(ids[4], "23/01/2019 18:04", "Message 4 é", "33600000000", "2", "2"),
		row(ids[3], "23/01/2019 18:03", "Message 3 é", "33600000000", "2", "2"),
		row(ids[2], "23/01/2019 18:02", "Message 2 é", "33600000000", "2", "2"),
		row(ids[1], "23/01/2019 18:01", "Message 1 é", "33600000000", "2", "2"),
		row(ids[0], "23/01/2019 18:00", "Message 0 é", "33600000000", "2", "2"),
	}, "\n\n"), r.body)

	r = get(t, s, "smsList.do", params("offset", "2"))
	require.Equal(t, row(sched, "24/01/2019 09:15", "Plus tard", "33600000000", "1", "1")+"\n\n"+
		row(ids[4], "23/01/2019 18:04", "Message 4 é", "33600000000", "2", "2"), r.body)

	require.Equal(t, "0 | SMS supprimé", get(t, s, "deleteSMS.do", params("smsID", ids[3])).body)
	r = get(t, s, "smsList.do", params("start", "1", "offset", "2"))
	require.Equal(t, row(ids[4], "23/01/2019 18:04", "Message 4 é", "33600000000", "2", "2")+"\n\n"+
		row(ids[2], "23/01/2019 18:02", "Message 2 é", "33600000000", "2", "2"), r.body, "deleted messages are not listed")

	require.Equal(t, "", get(t, s, "smsList.do", params("start", "100")).body)
	require.Regexp(t, `^`+ids[0], get(t, s, "smsList.do", params("start", "4", "offset", "10000")).body)
	for _, bad := range [][]string{{"offset", "10001"}, {"offset", "x"}, {"start", "-1"}} {
		require.Equal(t, `35 | Paramètre(s) incorrect(s) ("pseudo" et "pass" sont obligatoires)`, get(t, s, "smsList.do", params(bad...)).body)
	}
	require.Equal(t, "32 | Erreur d'authentification", get(t, s, "smsList.do", params("accessToken", "x")).body)
}

func TestDeleteSMS(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	first := mustAccept(t, s, "message", "1", "numero", "33600000000,33611111111")
	second := mustAccept(t, s, "message", "2", "numero", "33600000000")
	third := mustAccept(t, s, "message", "3", "numero", "33622222222")

	// By numero: the most recent message to that number, national form accepted.
	require.Equal(t, "0 | SMS supprimé", get(t, s, "deleteSMS.do", params("numero", "0600000000")).body)
	m, _ := s.Message(second)
	require.True(t, m.Deleted)
	require.Equal(t, "0 | SMS supprimé", post(t, s, "deleteSMS.do", params("numero", "33600000000")).body)
	m, _ = s.Message(first)
	require.True(t, m.Deleted)
	require.Equal(t, "61 | SMS non trouvé", get(t, s, "deleteSMS.do", params("numero", "33600000000")).body)

	require.Equal(t, "0 | SMS supprimé", get(t, s, "deleteSMS.do", params("smsID", third)).body)
	require.Equal(t, "61 | SMS non trouvé", get(t, s, "deleteSMS.do", params("smsID", third)).body)
	require.Equal(t, `35 | Paramètre(s) incorrect(s) ("pseudo", "pass", "numero" ou "smsID" sont obligatoires)`, get(t, s, "deleteSMS.do", params()).body)
	require.Equal(t, `35 | Paramètre(s) incorrect(s) ("pseudo", "pass", "numero" ou "smsID" sont obligatoires)`, get(t, s, "deleteSMS.do", params("numero", "x")).body)
	require.Equal(t, "32 | Erreur d'authentification", get(t, s, "deleteSMS.do", params("accessToken", "x", "smsID", first)).body)
	require.Error(t, s.Deliver(third, "33622222222", smsmode.StatusReceived), "a deleted message gets no report")
	require.Equal(t, float64(DefaultCredit-4), s.Credit(), "sent messages are not refunded")
}

func TestResponseList(t *testing.T) {
	t.Parallel()
	loc := paris(t)
	clock := newClock(time.Date(2014, 1, 1, 10, 0, 0, 0, loc))
	s := newServer(t, WithClock(clock.Now))
	id := mustAccept(t, s, "message", "Venez-vous ?", "numero", "33601020304,33605060708", "classe_msg", "4")
	var rids []string
	for i, from := range []string{"33601020304", "0605060708", "33601020304"} {
		rid, err := s.Reply(id, from, fmt.Sprintf("Réponse %d ☺", i))
		require.NoError(t, err)
		require.Regexp(t, idPattern, rid)
		rids = append(rids, rid)
		clock.Add(24 * time.Hour)
	}
	row := func(i int, date, from string) string {
		return rids[i] + " | " + date + " | " + from + " | " + fmt.Sprintf("Réponse %d ?", i) + " | 36034 | " + id
	}
	all := row(2, "03012014-10:00", "33601020304") + "\n" + row(1, "02012014-10:00", "33605060708") + "\n" + row(0, "01012014-10:00", "33601020304")
	require.Equal(t, all, get(t, s, "responseList.do", params()).body)
	require.Equal(t, row(1, "02012014-10:00", "33605060708"), get(t, s, "responseList.do", params("start", "1", "offset", "1")).body)
	require.Equal(t, "", get(t, s, "responseList.do", params("start", "3")).body)
	require.Equal(t, row(1, "02012014-10:00", "33605060708")+"\n"+row(0, "01012014-10:00", "33601020304"),
		get(t, s, "responseList.do", params("startDate", "01012014-00:00", "endDate", "02012014-10:00")).body, "endDate's minute is included")
	require.Equal(t, row(2, "03012014-10:00", "33601020304"),
		get(t, s, "responseList.do", params("startDate", "02012014-10:01", "endDate", "01022014-00:00")).body)

	const bad = "35 | Paramètre(s) incorrect(s) (pseudo et pass sont obligatoires)"
	for _, kv := range [][]string{
		{"startDate", "01012014-00:00"},
		{"endDate", "01012014-00:00"},
		{"startDate", "01012014-00:00", "endDate", "01022014-00:00", "start", "0"},
		{"startDate", "01012014-00:00", "endDate", "01022014-00:00", "offset", "10"},
		{"startDate", "2014-01-01", "endDate", "01022014-00:00"},
		{"offset", "x"},
	} {
		require.Equal(t, bad, get(t, s, "responseList.do", params(kv...)).body, kv)
	}
	require.Equal(t, "32 | Erreur d'authentification", get(t, s, "responseList.do", params("accessToken", "x")).body)
}
