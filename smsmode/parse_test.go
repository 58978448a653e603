package smsmode

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var paris = DefaultLocation()

func latin9(t *testing.T, s string) []byte {
	t.Helper()
	b, _, _, ok := encodeLatin9(s)
	require.True(t, ok, "test text must be ISO-8859-15")
	return []byte(b)
}

func wantCode(t *testing.T, err error, endpoint string, code Code, desc string) {
	t.Helper()
	var pe *Error
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, endpoint, pe.Endpoint)
	assert.Equal(t, code, pe.Code)
	if desc != "" {
		assert.Equal(t, desc, pe.Description)
	}
}

func wantProtocol(t *testing.T, err error) {
	t.Helper()
	var pe *ProtocolError
	require.ErrorAs(t, err, &pe, "got %v", err)
	assert.True(t, IsPermanent(err))
}

func TestDecodeBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, ct string
		raw      []byte
		want     string
	}{
		{"utf8", "text/plain; charset=UTF-8", []byte("0 | Accepté | abc"), "0 | Accepté | abc"},
		{"latin bytes unlabelled", "text/html", latin9(t, "0 | Accepté | abc"), "0 | Accepté | abc"},
		{"latin label", "text/plain;charset=ISO-8859-15", []byte("33 | Cr\xe9dits insuffisants"), "33 | Crédits insuffisants"},
		{"latin1 label", "text/plain; charset=iso-8859-1", []byte("0 | Envoy\xe9"), "0 | Envoyé"},
		{"euro latin9", "", []byte("\xa4"), "€"},
		{"euro cp1252", "", []byte("\x80"), "€"},
		{"oe", "", []byte("\xbd"), "œ"},
		{"bom", "", []byte("\xef\xbb\xbf212.5"), "212.5"},
		{"no content type", "", []byte("0 | Accepté"), "0 | Accepté"},
		{"bad content type", ";;;", []byte("x"), "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, decodeBody(tt.ct, tt.raw))
		})
	}
}

func TestEncodeLatin9(t *testing.T) {
	t.Parallel()
	got, _, _, ok := encodeLatin9("é€ŒœŠšŽžŸ àü")
	require.True(t, ok)
	assert.Equal(t, "\xe9\xa4\xbc\xbd\xa6\xa8\xb4\xb8\xbe\x20\xe0\xfc", got)
	for _, s := range []string{"☺", "¤", "½", "a\u2019b", "日本", "\xff"} {
		_, _, _, ok := encodeLatin9(s)
		assert.False(t, ok, "%q", s)
	}
	_, r, pos, ok := encodeLatin9("abc’d")
	assert.False(t, ok)
	assert.Equal(t, '’', r)
	assert.Equal(t, 3, pos)
	// Round trip of every Latin-9 byte.
	for b := 0xA0; b <= 0xFF; b++ {
		s := decodeLatin9([]byte{byte(b)})
		enc, _, _, ok := encodeLatin9(s)
		require.True(t, ok, "byte %x", b)
		assert.Equal(t, string([]byte{byte(b)}), enc)
	}
}

func TestParseSendResponse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body, id, desc string
	}{
		{"documented", "0 | Accepté | S7EpYZ5kmS87", "S7EpYZ5kmS87", "Accepté"},
		{"no spaces", "0|Accepted|abc123", "abc123", "Accepted"},
		{"loose spaces", "  0   |   Accepté  |   abc123  \r\n", "abc123", "Accepté"},
		{"long description", "0 | Accepté - le message a été accepté par le système et est en cours de traitement | 06000000", "06000000", "Accepté - le message a été accepté par le système et est en cours de traitement"},
		{"campagneID", "0 | Accepted | campagneID", "campagneID", "Accepted"},
		{"tabs", "0\t|\tAccepté\t|\tid-1", "id-1", "Accepté"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := parseSendResponse(epSendSMS, tt.body)
			require.NoError(t, err)
			assert.Equal(t, tt.id, r.SMSID)
			assert.Equal(t, tt.desc, r.Description)
		})
	}

	errs := []struct {
		body string
		code Code
		desc string
	}{
		{"31 | Erreur interne", 31, "Erreur interne"},
		{"32 | Erreur d'authentification", 32, "Erreur d'authentification"},
		{"33|Crédits insuffisants", 33, "Crédits insuffisants"},
		{"35  |  Paramètre obligatoire manquant", 35, "Paramètre obligatoire manquant"},
		{"50 | Temporairement inaccessible", 50, "Temporairement inaccessible"},
		{"50 |", 50, ""},
		{"1234 | inconnu", 1234, "inconnu"},
	}
	for _, tt := range errs {
		t.Run(tt.body, func(t *testing.T) {
			_, err := parseSendResponse(epSendSMS, tt.body)
			wantCode(t, err, epSendSMS, tt.code, tt.desc)
		})
	}

	for _, body := range []string{"", "   ", "0", "0 | Accepté", "0 | Accepté | ", "OK", "<html>502</html>", "0 | Accepté | a b", "abc | def | ghi"} {
		t.Run("protocol "+body, func(t *testing.T) {
			_, err := parseSendResponse(epSendSMS, body)
			wantProtocol(t, err)
			assert.True(t, IsAmbiguous(err), "an unreadable answer to a send is ambiguous")
		})
	}
}

func TestParseCodeResponse(t *testing.T) {
	t.Parallel()
	d, err := parseCodeResponse(epDeleteSMS, "0 | SMS supprimé")
	require.NoError(t, err)
	assert.Equal(t, "SMS supprimé", d)
	_, err = parseCodeResponse(epDeleteSMS, "61|SMS non trouvé")
	wantCode(t, err, epDeleteSMS, 61, "SMS non trouvé")
	_, err = parseCodeResponse(epCreateSubAccount, "41 | Identifiant déjà existant")
	wantCode(t, err, epCreateSubAccount, 41, "Identifiant déjà existant")
	_, err = parseCodeResponse(epAddContact, "")
	wantProtocol(t, err)
	assert.True(t, IsAmbiguous(err), "addContact.do acts: the contact may have been added")
	_, err = parseCredit("")
	wantProtocol(t, err)
	assert.False(t, IsAmbiguous(err), "credit.do only reads")
	_, err = parseCodeResponse(epAddContact, "contact added")
	wantProtocol(t, err)
}

func TestParseCompteRendu(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		want       []RecipientStatus
	}{
		{"documented", "33600000000 11 | 33611111111 13", []RecipientStatus{{"33600000000", 11}, {"33611111111", 13}}},
		{"no spaces", "33600000001 0|33600000002 2|33600000003 11", []RecipientStatus{{"33600000001", 0}, {"33600000002", 2}, {"33600000003", 11}}},
		{"extra spaces", "  33600000001   0  |   33600000002    2   ", []RecipientStatus{{"33600000001", 0}, {"33600000002", 2}}},
		{"trailing pipe", "33600000000 11 |", []RecipientStatus{{"33600000000", 11}}},
		{"newlines", "33600000000 11\n33611111111 3501\n", []RecipientStatus{{"33600000000", 11}, {"33611111111", 3501}}},
		{"plus", "+33600000000 11", []RecipientStatus{{"33600000000", 11}}},
		{"single", "33600000000 34", []RecipientStatus{{"33600000000", 34}}},
		{"empty", "", []RecipientStatus{}},
		{"blank", " \r\n ", []RecipientStatus{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseCompteRendu(tt.body)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	for _, tt := range []struct {
		body string
		code Code
	}{
		{"61 | SMS n'existant pas ou plus", 61},
		{"31|Erreur interne", 31},
		{"35 | Paramètre obligatoire manquant", 35},
		{"32 | Authentication error", 32},
	} {
		_, err := parseCompteRendu(tt.body)
		wantCode(t, err, epCompteRendu, tt.code, "")
	}
	for _, body := range []string{"33600000000", "33600000000 11 12", "abc 11", "33600000000 x", "0 | Envoyé", "<html>"} {
		_, err := parseCompteRendu(body)
		wantProtocol(t, err)
	}
}

func TestParseSMSStatus(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		body string
		st   Status
		desc string
	}{
		{"0 | Envoyé", StatusSent, "Envoyé"},
		{"11|Reçu", StatusReceived, "Reçu"},
		{"10 | Envoi programmé", StatusScheduled, "Envoi programmé"},
		{"3526 | Erreur permanente portabilité", StatusPermanentPortability, "Erreur permanente portabilité"},
		{"39 | Erreur réception", StatusReceptionFailed, "Erreur réception"},
		{"33 | Non envoyé - crédit insuffisant", StatusInsufficientCredit, ""},
		{"13", StatusDeliveredToOperator, ""},
	} {
		r, err := parseSMSStatus(tt.body)
		require.NoError(t, err, tt.body)
		assert.Equal(t, tt.st, r.Status)
		if tt.desc != "" {
			assert.Equal(t, tt.desc, r.Description)
		}
	}
	for _, c := range []Code{31, 32, 35, 61} {
		_, err := parseSMSStatus(c.String() + " | x")
		wantCode(t, err, epSMSStatus, c, "x")
	}
	for _, body := range []string{"", "Envoyé", "x | y"} {
		_, err := parseSMSStatus(body)
		wantProtocol(t, err)
	}
}

func TestParseCredit(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		body string
		want float64
	}{
		{"212.5", 212.5}, {"-212.5", -212.5}, {" 212.5\n", 212.5}, {"212,5", 212.5},
		{"0", 0}, {"1 234,5", 1234.5}, {"1,234.5", 1234.5}, {"+3", 3}, {"100000", 100000},
		{"100000.0", 100000}, {"-3.0", -3}, {"0.0", 0}, {"1000000000000000.0", 1e15},
	} {
		got, err := parseCredit(tt.body)
		require.NoError(t, err, tt.body)
		assert.InDelta(t, tt.want, got, 1e-9, tt.body)
	}
	_, err := parseCredit("32 | Erreur d'authentification")
	wantCode(t, err, epCredit, 32, "Erreur d'authentification")
	_, err = parseCredit("31|Internal error")
	wantCode(t, err, epCredit, 31, "Internal error")
	for _, body := range []string{"", "NaN", "Inf", "-", "1e5", "0x10", "12.", ".5", "1.2.3", "--1", "abc", "0 | 212.5"} {
		_, err := parseCredit(body)
		wantProtocol(t, err)
	}
}

func TestParseSMSList(t *testing.T) {
	t.Parallel()
	d := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, paris)
		require.NoError(t, err)
		return tm
	}
	body := "smsID1 | 23/01/2019 18:00 | text1 | 33600000001 | 1 | 1 |\n\n" +
		"smsID2|23/01/2019 18:05|texte | avec | pipes|33600000002|2.5|2|\n\n" +
		"smsID3 | 24012019-09:30 | multi\nligne\n\navec blanc | 33600000003 | 1,5 | 3 |\n" +
		"smsID4 | 24/01/2019 09:31:07 | sans pipe final | 33600000004 | 1 | 1\n"
	got, err := parseSMSList(body, paris)
	require.NoError(t, err)
	require.Len(t, got, 4)
	assert.Equal(t, SentSMS{SMSID: "smsID1", SentAt: d("2019-01-23 18:00"), Text: "text1", Number: "33600000001", Cost: 1, Recipients: 1}, got[0])
	assert.Equal(t, "texte | avec | pipes", got[1].Text)
	assert.Equal(t, 2.5, got[1].Cost)
	assert.Equal(t, 2, got[1].Recipients)
	assert.Equal(t, "multi\nligne\n\navec blanc", got[2].Text)
	assert.Equal(t, d("2019-01-24 09:30"), got[2].SentAt)
	assert.Equal(t, 1.5, got[2].Cost)
	assert.Equal(t, "sans pipe final", got[3].Text)
	assert.Equal(t, 7, got[3].SentAt.Second())

	// Single newlines between rows, CRLF, ISO-8859-15 body.
	raw := latin9(t, "a1 | 01/02/2020 10:00 | Crédit € | 336 | 1 | 1 |\r\na2 | 01/02/2020 10:01 | œuvre | 337 | 1 | 1 |\r\n")
	got, err = parseSMSList(decodeBody("text/plain", raw), paris)
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, "Crédit €", got[0].Text)
	assert.Equal(t, "œuvre", got[1].Text)

	got, err = parseSMSList("", paris)
	require.NoError(t, err)
	assert.Empty(t, got)

	_, err = parseSMSList("32 | Erreur d'authentification", paris)
	wantCode(t, err, epSMSList, 32, "Erreur d'authentification")
	_, err = parseSMSList("35|Paramètre incorrect", paris)
	wantCode(t, err, epSMSList, 35, "")
	// A two-digit smsID followed by a date is a row, not an error.
	got, err = parseSMSList("42 | 01/02/2020 10:00 | t | 336 | 1 | 1 |", paris)
	require.NoError(t, err)
	assert.Equal(t, "42", got[0].SMSID)

	for _, body := range []string{
		"garbage",
		"id | 01/02/2020 10:00 | t | 336 |",
		"id | notadate | t | 336 | 1 | 1 |",
		"id | 01/02/2020 10:00 | t | 336 | x | 1 |",
		"id | 01/02/2020 10:00 | t | 336 | 1 | x |",
	} {
		_, err := parseSMSList(body, paris)
		wantProtocol(t, err)
	}
}

func TestParseResponses(t *testing.T) {
	t.Parallel()
	body := "responseID1 | 23012019-18:00 | 33600000001 | text1 | 36034 | messageID1\n" +
		"responseID2|23012019-18:01|33600000002|oui | non|36034|messageID2\n" +
		"responseID3 | 23/01/2019 18:02 | 33600000003 | deux\nlignes | 36034 | \n"
	got, err := parseResponses(body, paris)
	require.NoError(t, err)
	require.Len(t, got, 3)
	want0 := Response{ID: "responseID1", ReceivedAt: time.Date(2019, 1, 23, 18, 0, 0, 0, paris), From: "33600000001", Text: "text1", To: "36034", SMSID: "messageID1"}
	assert.Equal(t, want0, got[0])
	assert.Equal(t, "oui | non", got[1].Text)
	assert.Equal(t, "messageID2", got[1].SMSID)
	assert.Equal(t, "deux\nlignes", got[2].Text)
	assert.Equal(t, "", got[2].SMSID)

	got, err = parseResponses("\n", paris)
	require.NoError(t, err)
	assert.Empty(t, got)

	_, err = parseResponses("32 | Erreur d'authentification", paris)
	wantCode(t, err, epResponseList, 32, "")
	_, err = parseResponses("35 | Paramètre(s) incorrect(s)\n", paris)
	wantCode(t, err, epResponseList, 35, "")
	for _, body := range []string{"x", "r | 23012019-18:00 | 336 | t | 36034", "r | bad | 336 | t | 36034 | m"} {
		_, err := parseResponses(body, paris)
		wantProtocol(t, err)
	}
}

func TestParseAuthorisation(t *testing.T) {
	t.Parallel()
	a, err := parseAuthorisation(`{"id":"id","accessToken":"Ab1CD2efg3Hi","creationDate":"21012019","state":"state","expiration":"22012019","account":"account"}`)
	require.NoError(t, err)
	assert.Equal(t, Authorisation{ID: "id", AccessToken: "Ab1CD2efg3Hi", CreationDate: "21012019", State: "state", Expiration: "22012019", Account: "account"}, *a)
	assert.NotContains(t, a.String(), "Ab1CD2efg3Hi")
	assert.NotContains(t, fmtV(a), "Ab1CD2efg3Hi")

	a, err = parseAuthorisation(`{"id":12,"accessToken":"tok","creationDate":1700000000,"state":true}`)
	require.NoError(t, err)
	assert.Equal(t, "12", a.ID)
	assert.Equal(t, "1700000000", a.CreationDate)
	assert.Equal(t, "true", a.State)

	_, err = parseAuthorisation(`32 | Erreur d'authentification`)
	wantCode(t, err, epCreateAuth, 32, "")
	_, err = parseAuthorisation(`{"message":"bad credentials"}`)
	wantProtocol(t, err)
	assert.Contains(t, err.Error(), "bad credentials")
	_, err = parseAuthorisation(`{"accessToken":`)
	wantProtocol(t, err)
	_, err = parseAuthorisation(`<html>`)
	wantProtocol(t, err)
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	assert.Equal(t, 30*time.Second, parseRetryAfter("30", now))
	assert.Equal(t, 90*time.Second, parseRetryAfter("Thu, 01 Jan 2026 12:01:30 GMT", now))
	assert.Zero(t, parseRetryAfter("", now))
	assert.Zero(t, parseRetryAfter("-1", now))
	assert.Zero(t, parseRetryAfter("soon", now))
}

func TestSanitize(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "a b c", sanitize("a\n\tb\x00\x01c", 10))
	assert.Equal(t, "abc…", sanitize("abcdef", 3))
	assert.Equal(t, "\uFFFDx", sanitize("\xffx", 10))
}

func TestErrorStrings(t *testing.T) {
	t.Parallel()
	e := &Error{Endpoint: "sendSMS.do", Code: 33, Description: "Crédits insuffisants"}
	assert.Equal(t, "smsmode: sendSMS.do: code 33 Crédits insuffisants", e.Error())
	assert.Equal(t, "smsmode: sendSMS.do: code 50 Temporairement inaccessible", (&Error{Endpoint: "sendSMS.do", Code: 50}).Error())
	assert.Equal(t, "smsmode: sendSMS.do: HTTP 502 Bad Gateway", (&HTTPError{Endpoint: "sendSMS.do", StatusCode: 502}).Error())
	assert.Equal(t, "smsmode: sendSMS.do: HTTP 429 Too Many Requests (retry after 30s)", (&HTTPError{Endpoint: "sendSMS.do", StatusCode: 429, RetryAfter: 30 * time.Second}).Error())
	assert.Equal(t, "smsmode: invalid emetteur: must not contain spaces", (&RequestError{Field: "emetteur", Reason: "must not contain spaces"}).Error())
	assert.Equal(t, "smsmode: invalid row 3 message: empty", (&RequestError{Field: "message", Row: 3, Reason: "empty"}).Error())
	assert.Equal(t, `smsmode: callback parameter "statut": not a number`, (&CallbackError{Field: "statut", Reason: "not a number"}).Error())
	assert.Equal(t, `smsmode: credit.do: unexpected response (not a number): "abc"`, (&ProtocolError{Endpoint: "credit.do", Reason: "not a number", Snippet: "abc"}).Error())
	te := &TransportError{Endpoint: "sendSMS.do", Method: "POST", URL: "https://api.smsmode.com/http/1.6/sendSMS.do", Err: errors.New("connection reset by peer")}
	assert.Equal(t, "smsmode: sendSMS.do: POST https://api.smsmode.com/http/1.6/sendSMS.do: connection reset by peer", te.Error())
}
