package smsmodetest

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var batchAccepted = regexp.MustCompile(`^0 \| Accepté - le message a été accepté par le système et est en cours de traitement \| ([A-Za-z0-9]{12})$`)

func TestSendSMSBatch(t *testing.T) {
	t.Parallel()
	// The reference's example (3.1+, with refClient), in ISO-8859-15.
	file := []byte("\"numero\",\"message\",\"emetteur\",\"refClient\"\r\n" +
		"\"0612345678\",\"Ceci est le corps du message 1, test fichier CSV \xe9\xa4\",\"RDV\",\"ref123\"\r\n" +
		"33698765432,\"Ceci est le corps du message 2, test fichier CSV\",\"\",\"ref456\"\r\n" +
		"33611111111,Message 3,TOTO\r\n")
	s := newServer(t)
	q := params("emetteur", "DEFAULT", "refClient", "batch-ref", "notification_url", "http://example.test/dr", "nbr_msg", "2")
	r := postBatch(t, s, q, file)
	m := batchAccepted.FindStringSubmatch(r.body)
	require.NotNil(t, m, r.body)
	campaign := m[1]

	rows := s.Campaign(campaign)
	require.Len(t, rows, 3)
	require.Equal(t, rows, s.Messages())
	for _, row := range rows {
		require.Equal(t, "sendSMSBatch.do", row.Endpoint)
		require.Equal(t, campaign, row.CampaignID)
		require.Regexp(t, idPattern, row.SMSID)
		require.NotEqual(t, campaign, row.SMSID)
		require.Equal(t, "http://example.test/dr", row.NotificationURL)
		require.Equal(t, 2, row.MaxParts)
		require.Equal(t, 1.0, row.Cost)
	}
	require.Equal(t, []string{"33612345678"}, rows[0].Numbers)
	require.Equal(t, "Ceci est le corps du message 1, test fichier CSV é€", rows[0].Text)
	require.Equal(t, []byte("Ceci est le corps du message 1, test fichier CSV \xe9\xa4"), rows[0].Raw)
	require.Equal(t, "RDV", rows[0].Sender)
	require.Equal(t, "ref123", rows[0].RefClient)
	require.Equal(t, "DEFAULT", rows[1].Sender, "an empty emetteur takes the request's")
	require.Equal(t, "ref456", rows[1].RefClient)
	require.Equal(t, "Message 3", rows[2].Text)
	require.Equal(t, "TOTO", rows[2].Sender)
	require.Equal(t, "batch-ref", rows[2].RefClient, "a row without refClient takes the request's")
	require.Equal(t, float64(DefaultCredit-3), s.Credit())

	// The campaign ID designates the whole batch in the reports.
	require.Equal(t, "33612345678 0 | 33698765432 0 | 33611111111 0", get(t, s, "compteRendu.do", params("smsID", campaign)).body)
	require.Equal(t, "33698765432 0", get(t, s, "compteRendu.do", params("smsID", rows[1].SMSID)).body)
	require.Equal(t, "0 | Envoyé", get(t, s, "smsStatus.do", params("smsID", campaign)).body)

	// The whole request, file included, is recorded.
	req := s.Requests()[0]
	require.Equal(t, string(file), req.Params.Get("fichier"))
	require.Equal(t, AccessToken, req.Params.Get("accessToken"))
}

func TestSendSMSBatchWithoutHeaderAndParamsInForm(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	file := []byte("0612345678,Bonjour\n0698765432,Salut\n")
	// Parameters may come as form fields beside the file, too.
	r := postBatch(t, s, url.Values{}, file, "accessToken", AccessToken, "classe_msg", "4", "date_envoi", "24122099-18:30")
	campaign := batchAccepted.FindStringSubmatch(r.body)[1]
	rows := s.Campaign(campaign)
	require.Len(t, rows, 2)
	require.Equal(t, 4, rows[0].Class)
	require.True(t, rows[1].Scheduled())

	require.Equal(t, "0 | SMS supprimé", get(t, s, "deleteSMS.do", params("smsID", campaign)).body)
	require.Equal(t, float64(DefaultCredit), s.Credit(), "a deleted scheduled batch is refunded")
	for _, row := range s.Campaign(campaign) {
		require.True(t, row.Deleted)
	}
}

func TestSendSMSBatchInvalid(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		q     []string
		file  []byte
		field string // part name of the file
	}{
		{"no file", nil, nil, ""},
		{"empty file", nil, []byte(""), "fichier"},
		{"header only", nil, []byte("numero,message,emetteur\n"), "fichier"},
		{"file in part \"file\"", nil, []byte("33600000000,x\n"), "file"},
		{"one column", nil, []byte("33600000000\n"), "fichier"},
		{"five columns", nil, []byte("33600000000,x,S,r,extra\n"), "fichier"},
		{"bad number", nil, []byte("33600000000,x\n+33600000001,y\n"), "fichier"},
		{"empty message", nil, []byte("33600000000,\"\"\n"), "fichier"},
		{"bad row sender", nil, []byte("33600000000,x,MY SENDER\n"), "fichier"},
		{"row sender with classe_msg 4", []string{"classe_msg", "4"}, []byte("33600000000,x,SHOP\n"), "fichier"},
		{"row refClient of 41", nil, []byte("33600000000,x,," + strings.Repeat("r", 41) + "\n"), "fichier"},
		{"classe_msg 9", []string{"classe_msg", "9"}, []byte("33600000000,x\n"), "fichier"},
		{"bad date", []string{"date_envoi", "x"}, []byte("33600000000,x\n"), "fichier"},
		{"bad quotes", nil, []byte("33600000000,\"x\"y\"\n"), "fichier"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t)
			var r response
			if tc.field == "fichier" || tc.field == "" {
				r = postBatch(t, s, params(tc.q...), tc.file)
			} else {
				r = postBatch(t, s, params(tc.q...), nil, tc.field, string(tc.file))
			}
			if tc.name == "bad quotes" { // LazyQuotes: a stray quote is data, as for most CSV readers
				require.Regexp(t, batchAccepted, r.body)
				return
			}
			require.Equal(t, "35 | Paramètre obligatoire manquant", r.body)
			require.Empty(t, s.Messages())
		})
	}

	s := newServer(t, WithCredit(1))
	require.Equal(t, "33 | Crédits insuffisants", postBatch(t, s, params(), []byte("33600000000,x\n33600000001,y\n")).body)
	require.Equal(t, "32 | Erreur d'authentification", postBatch(t, s, url.Values{}, []byte("33600000000,x\n")).body)
	require.Equal(t, "35 | Paramètre obligatoire manquant", get(t, s, "sendSMSBatch.do", params()).body)
	require.Equal(t, http.StatusOK, get(t, s, "sendSMSBatch.do", params()).status)
}

// TestSendSMSBatchReferenceShape is the 2.7 reference's example as its curl
// line sends it: credentials in the query string, the three-column file
// alone in part "fichier".
func TestSendSMSBatchReferenceShape(t *testing.T) {
	t.Parallel()
	file := []byte(`"numero","message","emetteur"` + "\n" +
		`"99999911","Ceci est le corps du message 1, test fichier CSV","RDV"` + "\n" +
		`88888888,"Ceci est le corps du message 2, test fichier CSV",""` + "\n" +
		`77777777,"Ceci est le corps du message 3, test fichier CSV","TOTO"` + "\n")
	s := newServer(t)
	r := postBatch(t, s, url.Values{"pseudo": {Pseudo}, "pass": {Pass}}, file)
	m := batchAccepted.FindStringSubmatch(r.body)
	require.NotNil(t, m, r.body)
	rows := s.Campaign(m[1])
	require.Len(t, rows, 3, "La requête ainsi définie permettra d'envoyer 3 SMS")
	require.Equal(t, []string{"99999911"}, rows[0].Numbers)
	require.Equal(t, "RDV", rows[0].Sender)
	require.Equal(t, "", rows[1].Sender)
	require.Equal(t, "Ceci est le corps du message 3, test fichier CSV", rows[2].Text)
	require.Equal(t, "TOTO", rows[2].Sender)
	req := s.Requests()[0]
	require.Equal(t, Pass, req.Params.Get("pass"), "read from the query string")
}
