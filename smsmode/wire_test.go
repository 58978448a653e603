package smsmode_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/charmap"

	"github.com/smsq/smsq/smsmode"
)

const (
	testToken  = "Ab1CD2efg3Hi"
	testPseudo = "jean"
	testPass   = "s3cr3t-P4ss"
)

// recorded is one request as the server saw it.
type recorded struct {
	Method, Path, RawQuery, ContentType string
	Header                              http.Header
	Body                                []byte
	Form                                url.Values // parsed urlencoded body, or multipart fields
	Files                               map[string]recordedFile
}

type recordedFile struct {
	Filename, ContentType string
	Data                  []byte
}

// recorder is an httptest server that records requests and answers with a
// scripted body.
type recorder struct {
	*httptest.Server
	mu      sync.Mutex
	reqs    []recorded
	status  int
	body    []byte
	ctype   string
	header  http.Header
	respond func(w http.ResponseWriter, r *recorded) bool // optional override
	baseURL string
}

func newRecorder(t *testing.T) *recorder {
	t.Helper()
	rec := &recorder{status: 200, body: []byte("0 | Accepté | S7EpYZ5kmS87"), ctype: "text/plain; charset=UTF-8"}
	rec.Server = httptest.NewServer(http.HandlerFunc(rec.handle))
	t.Cleanup(rec.Close)
	rec.baseURL = rec.URL + "/http/1.6/"
	return rec
}

func (rec *recorder) handle(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	got := recorded{
		Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery,
		ContentType: r.Header.Get("Content-Type"), Header: r.Header.Clone(), Body: body,
		Form: url.Values{}, Files: map[string]recordedFile{},
	}
	mt, params, _ := mime.ParseMediaType(got.ContentType)
	switch mt {
	case "application/x-www-form-urlencoded":
		got.Form, _ = url.ParseQuery(string(body))
	case "multipart/form-data":
		mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			data, _ := io.ReadAll(p)
			if p.FileName() != "" {
				got.Files[p.FormName()] = recordedFile{p.FileName(), p.Header.Get("Content-Type"), data}
			} else {
				got.Form.Add(p.FormName(), string(data))
			}
		}
	}
	rec.mu.Lock()
	rec.reqs = append(rec.reqs, got)
	status, respBody, ctype, hdr, respond := rec.status, rec.body, rec.ctype, rec.header, rec.respond
	rec.mu.Unlock()
	if respond != nil && respond(w, &got) {
		return
	}
	for k, v := range hdr {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", ctype)
	w.WriteHeader(status)
	_, _ = w.Write(respBody)
}

func (rec *recorder) answer(status int, ctype string, body []byte) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.status, rec.ctype, rec.body = status, ctype, body
}

func (rec *recorder) last(t *testing.T) recorded {
	t.Helper()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	require.NotEmpty(t, rec.reqs, "no request recorded")
	return rec.reqs[len(rec.reqs)-1]
}

func (rec *recorder) count() int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return len(rec.reqs)
}

func (rec *recorder) client(t *testing.T, mutate ...func(*smsmode.Config)) *smsmode.Client {
	t.Helper()
	cfg := smsmode.Config{BaseURL: rec.baseURL, AccessToken: testToken, Timeout: 5 * time.Second}
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := smsmode.NewClient(cfg)
	require.NoError(t, err)
	return c
}

// assertNoCredentialInURL checks the invariant of every request.
func assertNoCredentialInURL(t *testing.T, r recorded) {
	t.Helper()
	assert.Equal(t, "POST", r.Method)
	assert.Empty(t, r.RawQuery, "nothing may go in the URL")
	for _, s := range []string{testToken, testPass, "accessToken", "pass="} {
		assert.NotContains(t, r.Path, s)
	}
}

func TestWireSendSMSGSM(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	c := rec.client(t)
	res, err := c.SendSMS(context.Background(), &smsmode.SMS{
		Numbers: []string{"33612345678", "+33698765432"},
		Message: "Café à 10€ {ok}",
	})
	require.NoError(t, err)
	assert.Equal(t, "S7EpYZ5kmS87", res.SMSID)
	assert.Equal(t, "Accepté", res.Description)

	r := rec.last(t)
	assertNoCredentialInURL(t, r)
	assert.Equal(t, "/http/1.6/sendSMS.do", r.Path)
	assert.Equal(t, "application/x-www-form-urlencoded", r.ContentType)
	raw := string(r.Body)
	assert.Contains(t, raw, "message=Caf%E9+%E0+10%A4+%7Bok%7D", "GSM text goes as ISO-8859-15 bytes")
	assert.Contains(t, raw, "accessToken="+testToken)
	assert.Equal(t, "33612345678,33698765432", r.Form.Get("numero"))
	for _, absent := range []string{"classe_msg", "date_envoi", "refClient", "emetteur", "nbr_msg", "notification_url", "notification_url_reponse", "stop", "groupe", "pseudo", "pass"} {
		_, ok := r.Form[absent]
		assert.False(t, ok, "%s must be omitted when unset", absent)
	}
	assert.Contains(t, r.Header.Get("User-Agent"), "smsq")
}

func TestWireSendSMSUnicode(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	c := rec.client(t)
	_, err := c.SendSMS(context.Background(), &smsmode.SMS{
		Numbers: []string{"33612345678"},
		Message: "Salut 😀 ☺ é",
		Class:   smsmode.ClassUnicode,
		Sender:  "PERSO",
	})
	require.NoError(t, err)
	r := rec.last(t)
	raw := string(r.Body)
	assert.Contains(t, raw, "message=Salut+%F0%9F%98%80+%E2%98%BA+%C3%A9")
	assert.Contains(t, raw, "classe_msg=9")
	assert.Equal(t, "Salut 😀 ☺ é", r.Form.Get("message"))
	assert.Equal(t, "PERSO", r.Form.Get("emetteur"))
}

func TestWireSendSMSAllParameters(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	c := rec.client(t)
	winter := time.Date(2026, 12, 24, 17, 30, 0, 0, time.UTC) // 18:30 in Paris
	_, err := c.SendSMS(context.Background(), &smsmode.SMS{
		Numbers:         []string{"0612345678"},
		Message:         "Bonjour",
		Class:           smsmode.ClassPro,
		SendAt:          winter,
		RefClient:       "order-42",
		Sender:          "MYSHOP",
		MaxParts:        3,
		NotificationURL: "https://example.com/dr?x=1&y=2",
		ReplyURL:        "https://example.com/mo",
		Stop:            smsmode.StopAlways,
	})
	require.NoError(t, err)
	f := rec.last(t).Form
	assert.Equal(t, "0612345678", f.Get("numero"))
	assert.Equal(t, "2", f.Get("classe_msg"))
	assert.Equal(t, "24122026-18:30", f.Get("date_envoi"))
	assert.Equal(t, "order-42", f.Get("refClient"))
	assert.Equal(t, "MYSHOP", f.Get("emetteur"))
	assert.Equal(t, "3", f.Get("nbr_msg"))
	assert.Equal(t, "https://example.com/dr?x=1&y=2", f.Get("notification_url"))
	assert.Equal(t, "https://example.com/mo", f.Get("notification_url_reponse"))
	assert.Equal(t, "2", f.Get("stop"))

	// Summer time, and a group with the reply class.
	summer := time.Date(2026, 7, 14, 8, 5, 59, 0, time.UTC) // 10:05 in Paris
	_, err = c.SendSMS(context.Background(), &smsmode.SMS{Group: "Clients fidèles", Message: "Hi", Class: smsmode.ClassReply, SendAt: summer})
	require.NoError(t, err)
	r := rec.last(t)
	assert.Equal(t, "14072026-10:05", r.Form.Get("date_envoi"))
	assert.Equal(t, "4", r.Form.Get("classe_msg"))
	assert.Contains(t, string(r.Body), "groupe=Clients+fid%E8les", "groupe follows the request charset")
	_, ok := r.Form["numero"]
	assert.False(t, ok)

	// Another location.
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	c2 := rec.client(t, func(cfg *smsmode.Config) { cfg.Location = ny })
	_, err = c2.SendSMS(context.Background(), &smsmode.SMS{Numbers: []string{"33612345678"}, Message: "x", SendAt: winter})
	require.NoError(t, err)
	assert.Equal(t, "24122026-12:30", rec.last(t).Form.Get("date_envoi"))
}

func TestWireManyRecipientsOnePOST(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	c := rec.client(t)
	nums := make([]string, 350)
	for i := range nums {
		nums[i] = "336" + strconv.Itoa(10000000+i)
	}
	_, err := c.SendSMS(context.Background(), &smsmode.SMS{Numbers: nums, Message: "Promo"})
	require.NoError(t, err)
	require.Equal(t, 1, rec.count())
	r := rec.last(t)
	assertNoCredentialInURL(t, r)
	assert.Len(t, strings.Split(r.Form.Get("numero"), ","), 350)
}

func TestWirePseudoPass(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	c := rec.client(t, func(cfg *smsmode.Config) { cfg.AccessToken, cfg.Pseudo, cfg.Pass = "", testPseudo, testPass })
	_, err := c.Credit(context.Background())
	require.Error(t, err) // the recorder answers a send body
	r := rec.last(t)
	assertNoCredentialInURL(t, r)
	assert.Equal(t, "/http/1.6/credit.do", r.Path)
	assert.Equal(t, testPseudo, r.Form.Get("pseudo"))
	assert.Equal(t, testPass, r.Form.Get("pass"))
	_, ok := r.Form["accessToken"]
	assert.False(t, ok)
	assert.NotContains(t, err.Error(), testPass)
}

func TestWireVoice(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	c := rec.client(t)
	_, err := c.SendVoice(context.Background(), &smsmode.Voice{
		Numbers:  []string{"33612345678"},
		Message:  "Votre rendez-vous est confirmé. Œuvre à 5€.",
		Title:    "Message de la société",
		Language: "fr-FR",
		SendAt:   time.Date(2026, 1, 2, 9, 0, 0, 0, smsmode.DefaultLocation()),
	})
	require.NoError(t, err)
	r := rec.last(t)
	assertNoCredentialInURL(t, r)
	assert.Equal(t, "/http/1.6/sendVoiceMessage.do", r.Path)
	raw := string(r.Body)
	assert.Contains(t, raw, "message=Votre+rendez-vous+est+confirm%E9.+%BCuvre+%E0+5%A4.")
	assert.Contains(t, raw, "title=Message+de+la+soci%E9t%E9")
	assert.Equal(t, "fr-FR", r.Form.Get("language"))
	assert.Equal(t, "02012026-09:00", r.Form.Get("date_envoi"))

	_, err = c.SendVoice(context.Background(), &smsmode.Voice{Numbers: []string{"33612345678"}, Message: "smile ☺"})
	assertRequestError(t, err, "message")
	_, err = c.SendVoice(context.Background(), &smsmode.Voice{Numbers: []string{"33612345678"}, Message: "x", Language: "it-IT"})
	assertRequestError(t, err, "language")
	_, err = c.SendVoice(context.Background(), &smsmode.Voice{Message: "x"})
	assertRequestError(t, err, "numero")
	_, err = c.SendVoice(context.Background(), &smsmode.Voice{Numbers: []string{"33612345678"}, Message: strings.Repeat("a", smsmode.MaxVoiceLength+1)})
	assertRequestError(t, err, "message")
	assert.Contains(t, err.Error(), "at most 160 characters")
	assert.Equal(t, 1, rec.count(), "refused requests are not sent")
	_, err = c.SendVoice(context.Background(), &smsmode.Voice{Numbers: []string{"33612345678"}, Message: strings.Repeat("é", smsmode.MaxVoiceLength)})
	require.NoError(t, err)
}

func TestWireBatch(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	rec.answer(200, "text/plain; charset=ISO-8859-15", []byte("0 | Accept\xe9 | campagne-77"))
	c := rec.client(t)
	res, err := c.SendBatch(context.Background(), &smsmode.Batch{
		Rows: []smsmode.BatchRow{
			{Number: "33612345678", Message: "Bonjour Hélène, votre commande à 12€", Sender: "RDV", RefClient: "ref123"},
			{Number: "+33698765432", Message: "Ligne 1\nLigne 2, \"citée\""},
			{Number: "0611111111", Message: "Simple", Sender: "", RefClient: "réf-é"},
		},
		Class:           smsmode.ClassPro,
		SendAt:          time.Date(2026, 12, 24, 18, 30, 0, 0, smsmode.DefaultLocation()),
		RefClient:       "batch-1",
		Sender:          "MYSHOP",
		MaxParts:        2,
		NotificationURL: "https://example.com/dr",
	})
	require.NoError(t, err)
	assert.Equal(t, "campagne-77", res.SMSID)
	assert.Equal(t, "Accepté", res.Description)

	r := rec.last(t)
	// The reference's shape: the file alone in the body, every other
	// parameter, credentials included, in the query string.
	assert.Equal(t, "POST", r.Method)
	assert.Equal(t, "/http/1.6/sendSMSBatch.do", r.Path)
	mt, _, _ := mime.ParseMediaType(r.ContentType)
	assert.Equal(t, "multipart/form-data", mt)
	assert.Empty(t, r.Form, "no form field beside the file")
	assert.Len(t, r.Files, 1)
	q, err := url.ParseQuery(r.RawQuery)
	require.NoError(t, err)
	assert.Equal(t, url.Values{
		"accessToken":      {testToken},
		"classe_msg":       {"2"},
		"date_envoi":       {"24122026-18:30"},
		"refClient":        {"batch-1"},
		"emetteur":         {"MYSHOP"},
		"nbr_msg":          {"2"},
		"notification_url": {"https://example.com/dr"},
	}, q)

	f, ok := r.Files["fichier"]
	require.True(t, ok, "the CSV goes in part \"fichier\"")
	assert.Equal(t, "batch.csv", f.Filename)
	assert.Equal(t, "text/csv", f.ContentType)
	assert.Contains(t, string(f.Data), "H\xe9l\xe8ne", "the file is ISO-8859-15")
	assert.Contains(t, string(f.Data), "12\xa4")
	decoded, err := charmap.ISO8859_15.NewDecoder().Bytes(f.Data)
	require.NoError(t, err)
	rows, err := csv.NewReader(bytes.NewReader(decoded)).ReadAll()
	require.NoError(t, err)
	assert.Equal(t, [][]string{
		{"numero", "message", "emetteur", "refClient"},
		{"33612345678", "Bonjour Hélène, votre commande à 12€", "RDV", "ref123"},
		{"33698765432", "Ligne 1\nLigne 2, \"citée\"", "", ""},
		{"0611111111", "Simple", "", "réf-é"},
	}, rows)
}

func TestWireBatchRefusesRows(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	c := rec.client(t)
	ok := smsmode.BatchRow{Number: "33612345678", Message: "ok"}
	tests := []struct {
		name  string
		b     *smsmode.Batch
		field string
		row   int
	}{
		{"nil", nil, "fichier", 0},
		{"no rows", &smsmode.Batch{}, "fichier", 0},
		{"emoji", &smsmode.Batch{Rows: []smsmode.BatchRow{ok, ok, {Number: "33612345678", Message: "hi 😀"}}}, "message", 3},
		{"empty message", &smsmode.Batch{Rows: []smsmode.BatchRow{{Number: "33612345678"}}}, "message", 1},
		{"bad number", &smsmode.Batch{Rows: []smsmode.BatchRow{ok, {Number: "06 12", Message: "x"}}}, "numero", 2},
		{"bad sender", &smsmode.Batch{Rows: []smsmode.BatchRow{{Number: "33612345678", Message: "x", Sender: "TOO LONG NAME"}}}, "emetteur", 1},
		{"sender with reply", &smsmode.Batch{Class: smsmode.ClassReply, Rows: []smsmode.BatchRow{{Number: "33612345678", Message: "x", Sender: "SHOP"}}}, "emetteur", 1},
		{"ref too long", &smsmode.Batch{Rows: []smsmode.BatchRow{{Number: "33612345678", Message: "x", RefClient: strings.Repeat("r", 41)}}}, "refClient", 1},
		{"ref not latin9", &smsmode.Batch{Rows: []smsmode.BatchRow{{Number: "33612345678", Message: "x", RefClient: "ref☺"}}}, "refClient", 1},
		{"unicode class", &smsmode.Batch{Class: smsmode.ClassUnicode, Rows: []smsmode.BatchRow{ok}}, "classe_msg", 0},
		{"too long", &smsmode.Batch{MaxParts: 1, Rows: []smsmode.BatchRow{ok, {Number: "33612345678", Message: strings.Repeat("a", 161)}}}, "message", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.SendBatch(context.Background(), tt.b)
			re := assertRequestError(t, err, tt.field)
			assert.Equal(t, tt.row, re.Row)
			if tt.row > 0 {
				assert.Contains(t, err.Error(), "row "+strconv.Itoa(tt.row))
			}
		})
	}
	assert.Zero(t, rec.count())
}

func assertRequestError(t *testing.T, err error, field string) *smsmode.RequestError {
	t.Helper()
	var re *smsmode.RequestError
	require.ErrorAs(t, err, &re, "got %v", err)
	assert.Equal(t, field, re.Field, "%v", err)
	assert.True(t, smsmode.IsPermanent(err))
	assert.False(t, smsmode.IsTemporary(err))
	assert.False(t, smsmode.IsAmbiguous(err))
	return re
}

func TestWireSendValidation(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	c := rec.client(t)
	n := []string{"33612345678"}
	tests := []struct {
		name  string
		m     *smsmode.SMS
		field string
		in    string
	}{
		{"nil", nil, "message", ""},
		{"no recipient", &smsmode.SMS{Message: "x"}, "numero", ""},
		{"both", &smsmode.SMS{Numbers: n, Group: "g", Message: "x"}, "numero", "exclusive"},
		{"empty message", &smsmode.SMS{Numbers: n}, "message", "empty"},
		{"emoji in GSM", &smsmode.SMS{Numbers: n, Message: "Merci 😀"}, "message", "U+1F600"},
		{"curly quote", &smsmode.SMS{Numbers: n, Message: "l’heure"}, "message", "GSM table"},
		{"bad utf8 unicode", &smsmode.SMS{Numbers: n, Message: "\xff", Class: smsmode.ClassUnicode}, "message", "UTF-8"},
		{"sender", &smsmode.SMS{Numbers: n, Message: "x", Sender: "0612345678"}, "emetteur", "phone number"},
		{"sender with reply", &smsmode.SMS{Numbers: n, Message: "x", Sender: "SHOP", Class: smsmode.ClassReply}, "emetteur", "classe_msg=4"},
		{"refClient", &smsmode.SMS{Numbers: n, Message: "x", RefClient: strings.Repeat("x", 41)}, "refClient", "40"},
		{"refClient charset", &smsmode.SMS{Numbers: n, Message: "x", RefClient: "☺"}, "refClient", "ISO-8859-15"},
		{"number", &smsmode.SMS{Numbers: []string{"33612345678", "06-12"}, Message: "x"}, "numero", "entry 2"},
		{"class", &smsmode.SMS{Numbers: n, Message: "x", Class: 3}, "classe_msg", ""},
		{"stop", &smsmode.SMS{Numbers: n, Message: "x", Stop: 3}, "stop", ""},
		{"nbr_msg", &smsmode.SMS{Numbers: n, Message: "x", MaxParts: -1}, "nbr_msg", ""},
		{"too long default", &smsmode.SMS{Numbers: n, Message: strings.Repeat("a", 766)}, "message", "needs 6"},
		{"too long max", &smsmode.SMS{Numbers: n, Message: strings.Repeat("a", 161), MaxParts: 1}, "message", "nbr_msg allows 1"},
		{"too long unicode", &smsmode.SMS{Numbers: n, Message: strings.Repeat("☺", 71), MaxParts: 1, Class: smsmode.ClassUnicode}, "message", "needs 2"},
		{"unicode nbr_msg above 5", &smsmode.SMS{Numbers: n, Message: strings.Repeat("☺", 400), MaxParts: 8, Class: smsmode.ClassUnicode}, "nbr_msg", "at most 5"},
		{"unicode beyond 5 parts", &smsmode.SMS{Numbers: n, Message: strings.Repeat("☺", 336), Class: smsmode.ClassUnicode}, "message", "needs 6"},
		{"relative notification_url", &smsmode.SMS{Numbers: n, Message: "x", NotificationURL: "/dr"}, "notification_url", "absolute"},
		{"notification_url_reponse scheme", &smsmode.SMS{Numbers: n, Message: "x", ReplyURL: "ftp://x/mo"}, "notification_url_reponse", "absolute"},
		{"sender phone number with dots", &smsmode.SMS{Numbers: n, Message: "x", Sender: "06.12.34.56"}, "emetteur", "phone number"},
		{"sender of 12 septets", &smsmode.SMS{Numbers: n, Message: "x", Sender: "[MYSHOP-10]"}, "emetteur", "septets"},
		{"straddling € past nbr_msg", &smsmode.SMS{Numbers: n, Message: strings.Repeat("a", 152) + "€" + strings.Repeat("a", 152), MaxParts: 2}, "message", "needs 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.SendSMS(context.Background(), tt.m)
			assertRequestError(t, err, tt.field)
			assert.Contains(t, err.Error(), tt.in)
		})
	}
	assert.Zero(t, rec.count(), "nothing is sent for an invalid request")

	// Limits that pass.
	_, err := c.SendSMS(context.Background(), &smsmode.SMS{Numbers: n, Message: strings.Repeat("a", 765)})
	require.NoError(t, err)
	_, err = c.SendSMS(context.Background(), &smsmode.SMS{Numbers: n, Message: strings.Repeat("a", 160), MaxParts: 1})
	require.NoError(t, err)
}

func TestWireOtherEndpoints(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	c := rec.client(t)
	ctx := context.Background()
	paris := smsmode.DefaultLocation()

	type call struct {
		name     string
		body     string
		do       func() error
		path     string
		want     map[string]string
		raw      string // substring of the raw body
		absent   []string
		validate func(t *testing.T)
	}
	var (
		reports []smsmode.RecipientStatus
		status  *smsmode.SMSStatusResult
		credit  float64
		list    []smsmode.SentSMS
		resps   []smsmode.Response
	)
	calls := []call{
		{name: "compteRendu", body: "33600000000 11 | 33611111111 13", path: "compteRendu.do",
			do:   func() (err error) { reports, err = c.DeliveryReport(ctx, "S7EpYZ5kmS87"); return },
			want: map[string]string{"smsID": "S7EpYZ5kmS87"},
			validate: func(t *testing.T) {
				assert.Equal(t, []smsmode.RecipientStatus{{Number: "33600000000", Status: 11}, {Number: "33611111111", Status: 13}}, reports)
			}},
		{name: "smsStatus", body: "0 | Envoy\xe9", path: "smsStatus.do",
			do:   func() (err error) { status, err = c.SMSStatus(ctx, "abc"); return },
			want: map[string]string{"smsID": "abc"},
			validate: func(t *testing.T) {
				assert.Equal(t, &smsmode.SMSStatusResult{Status: smsmode.StatusSent, Description: "Envoyé"}, status)
			}},
		{name: "credit", body: "-212.5", path: "credit.do",
			do:       func() (err error) { credit, err = c.Credit(ctx); return },
			validate: func(t *testing.T) { assert.Equal(t, -212.5, credit) }},
		{name: "smsList", body: "id1 | 23/01/2019 18:00 | Cr\xe9dit | 33600000001 | 1 | 1 |\n\n", path: "smsList.do",
			do:   func() (err error) { list, err = c.SMSList(ctx, smsmode.ListOptions{Start: 50, Offset: 150}); return },
			want: map[string]string{"start": "50", "offset": "150"},
			validate: func(t *testing.T) {
				require.Len(t, list, 1)
				assert.Equal(t, "Crédit", list[0].Text)
				assert.Equal(t, time.Date(2019, 1, 23, 18, 0, 0, 0, paris), list[0].SentAt)
			}},
		{name: "smsList defaults", body: "", path: "smsList.do",
			do:     func() (err error) { list, err = c.SMSList(ctx, smsmode.ListOptions{}); return },
			absent: []string{"start", "offset"}},
		{name: "deleteSMS", body: "0 | SMS supprimé", path: "deleteSMS.do",
			do:   func() error { return c.DeleteSMS(ctx, "06000000") },
			want: map[string]string{"smsID": "06000000"}, absent: []string{"numero"}},
		{name: "deleteSMS by number", body: "0 | SMS supprimé", path: "deleteSMS.do",
			do:   func() error { return c.DeleteSMSByNumber(ctx, "+33612345678") },
			want: map[string]string{"numero": "33612345678"}, absent: []string{"smsID"}},
		{name: "responseList page", body: "r1 | 23012019-18:00 | 33600000001 | oui | 36034 | m1", path: "responseList.do",
			do: func() (err error) {
				resps, err = c.Responses(ctx, smsmode.ResponseQuery{Start: 50, Offset: 150})
				return
			},
			want: map[string]string{"start": "50", "offset": "150"}, absent: []string{"startDate", "endDate"},
			validate: func(t *testing.T) {
				require.Len(t, resps, 1)
				assert.Equal(t, smsmode.Response{ID: "r1", ReceivedAt: time.Date(2019, 1, 23, 18, 0, 0, 0, paris), From: "33600000001", Text: "oui", To: "36034", SMSID: "m1"}, resps[0])
			}},
		{name: "responseList dates", body: "", path: "responseList.do",
			do: func() (err error) {
				resps, err = c.Responses(ctx, smsmode.ResponseQuery{From: time.Date(2014, 1, 1, 0, 0, 0, 0, paris), Until: time.Date(2014, 2, 1, 0, 0, 0, 0, paris)})
				return
			},
			want: map[string]string{"startDate": "01012014-00:00", "endDate": "01022014-00:00"}, absent: []string{"start", "offset"}},
		{name: "createSubAccount", body: "0 | Création effectuée", path: "createSubAccount.do",
			do: func() error {
				return c.CreateSubAccount(ctx, smsmode.SubAccount{
					Pseudo: "bbbbb", Pass: "yyyyyy", Reference: "ref", LastName: "Dupond", FirstName: "Jérôme",
					Company: "ACME", Address: "1 rue", City: "Marseille", PostalCode: "13003", Mobile: "0612345678",
					Phone: "0491000000", Fax: "0491000001", Email: "a@b.c", BirthDate: "01011980",
				})
			},
			want: map[string]string{"newPseudo": "bbbbb", "newPass": "yyyyyy", "reference": "ref", "nom": "Dupond",
				"societe": "ACME", "adresse": "1 rue", "ville": "Marseille", "codePostal": "13003", "mobile": "0612345678",
				"telephone": "0491000000", "fax": "0491000001", "email": "a@b.c", "date": "01011980"},
			raw: "prenom=J%E9r%F4me"},
		{name: "deleteSubAccount", body: "0 | Suppression effectuée", path: "deleteSubAccount.do",
			do:   func() error { return c.DeleteSubAccount(ctx, "sousCompte") },
			want: map[string]string{"pseudoToDelete": "sousCompte"}},
		{name: "creditTransfert", body: "0 | Transfert effectué", path: "creditTransfert.do",
			do: func() error {
				return c.TransferCredit(ctx, smsmode.CreditTransfer{Target: "bbbb", Amount: 12, Reference: "blablabla"})
			},
			want: map[string]string{"targetPseudo": "bbbb", "creditAmount": "12", "reference": "blablabla"}},
		{name: "addContact", body: "0 | Contact ajouté", path: "addContact.do",
			do: func() error {
				return c.AddContact(ctx, smsmode.Contact{LastName: "Dupond", FirstName: "jacques", Mobile: "0612345678",
					Groups: []string{"Groupe1", "Groupe2"}, Company: "ACME", Other: "x", BirthDate: "01011980"})
			},
			want: map[string]string{"nom": "Dupond", "prenom": "jacques", "mobile": "0612345678", "groupes": "Groupe1,Groupe2",
				"societe": "ACME", "other": "x", "date": "01011980"}},
	}
	for _, tt := range calls {
		t.Run(tt.name, func(t *testing.T) {
			rec.answer(200, "text/plain", []byte(tt.body))
			require.NoError(t, tt.do())
			r := rec.last(t)
			assertNoCredentialInURL(t, r)
			assert.Equal(t, "/http/1.6/"+tt.path, r.Path)
			assert.Equal(t, testToken, r.Form.Get("accessToken"))
			for k, v := range tt.want {
				assert.Equal(t, v, r.Form.Get(k), k)
			}
			for _, k := range tt.absent {
				_, ok := r.Form[k]
				assert.False(t, ok, "%s must be absent", k)
			}
			if tt.raw != "" {
				assert.Contains(t, string(r.Body), tt.raw)
			}
			if tt.validate != nil {
				tt.validate(t)
			}
		})
	}

	before := rec.count()
	for name, err := range map[string]error{
		"deliveryReport id": func() error { _, err := c.DeliveryReport(ctx, ""); return err }(),
		"smsStatus id":      func() error { _, err := c.SMSStatus(ctx, " "); return err }(),
		"delete id":         c.DeleteSMS(ctx, ""),
		"delete number":     c.DeleteSMSByNumber(ctx, "abc"),
		"list offset":       func() error { _, err := c.SMSList(ctx, smsmode.ListOptions{Offset: 10001}); return err }(),
		"list start":        func() error { _, err := c.SMSList(ctx, smsmode.ListOptions{Start: -1}); return err }(),
		"responses half":    func() error { _, err := c.Responses(ctx, smsmode.ResponseQuery{From: time.Now()}); return err }(),
		"responses mixed": func() error {
			_, err := c.Responses(ctx, smsmode.ResponseQuery{From: time.Now(), Until: time.Now(), Offset: 5})
			return err
		}(),
		"responses reversed": func() error {
			_, err := c.Responses(ctx, smsmode.ResponseQuery{From: time.Now(), Until: time.Now().Add(-time.Hour)})
			return err
		}(),
		"sub pseudo":      c.CreateSubAccount(ctx, smsmode.SubAccount{Pass: "x"}),
		"sub pseudo long": c.CreateSubAccount(ctx, smsmode.SubAccount{Pseudo: strings.Repeat("p", 51), Pass: "x"}),
		"sub pass":        c.CreateSubAccount(ctx, smsmode.SubAccount{Pseudo: "x"}),
		"sub delete":      c.DeleteSubAccount(ctx, ""),
		"transfer target": c.TransferCredit(ctx, smsmode.CreditTransfer{Amount: 1}),
		"transfer amount": c.TransferCredit(ctx, smsmode.CreditTransfer{Target: "x"}),
		"contact name":    c.AddContact(ctx, smsmode.Contact{Mobile: "0612345678"}),
		"contact mobile":  c.AddContact(ctx, smsmode.Contact{LastName: "x"}),
		"contact group":   c.AddContact(ctx, smsmode.Contact{LastName: "x", Mobile: "0612345678", Groups: []string{"a,b"}}),
	} {
		var re *smsmode.RequestError
		assert.ErrorAs(t, err, &re, name)
	}
	assert.Equal(t, before, rec.count(), "invalid requests are not sent")
}

func TestWireCreateAuthorisation(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	rec.answer(200, "application/json", []byte(`{"id":"id1","accessToken":"NEWTOKEN1234","creationDate":"21012019","state":"ACTIVE","expiration":"22012019","account":"jean"}`))
	c := rec.client(t)
	a, err := c.CreateAuthorisation(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "NEWTOKEN1234", a.AccessToken)
	assert.Equal(t, "jean", a.Account)
	r := rec.last(t)
	assertNoCredentialInURL(t, r)
	assert.Equal(t, "/http/2.0/createAuthorisation.do", r.Path)
	assert.Equal(t, testToken, r.Form.Get("accessToken"))

	c2 := rec.client(t, func(cfg *smsmode.Config) { cfg.AccessToken, cfg.Pseudo, cfg.Pass = "", testPseudo, testPass })
	_, err = c2.CreateAuthorisation(context.Background())
	require.NoError(t, err)
	r = rec.last(t)
	assertNoCredentialInURL(t, r)
	assert.Equal(t, testPseudo, r.Form.Get("username"))
	assert.Equal(t, testPseudo, r.Form.Get("pseudo"))
	assert.Equal(t, testPass, r.Form.Get("pass"))

	rec.answer(401, "application/json", []byte(`{"code":401,"message":"Bad credentials for `+testPass+`"}`))
	_, err = c2.CreateAuthorisation(context.Background())
	var he *smsmode.HTTPError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, 401, he.StatusCode)
	assert.Equal(t, "createAuthorisation.do", he.Endpoint)
	assert.Contains(t, he.Description, "Bad credentials")
	assert.NotContains(t, err.Error(), testPass)
	assert.True(t, smsmode.IsPermanent(err))

	// A base URL without its trailing slash resolves the same.
	c3 := rec.client(t, func(cfg *smsmode.Config) { cfg.BaseURL = strings.TrimSuffix(rec.baseURL, "/") })
	_, _ = c3.CreateAuthorisation(context.Background())
	assert.Equal(t, "/http/2.0/createAuthorisation.do", rec.last(t).Path)
	_, _ = c3.Credit(context.Background())
	assert.Equal(t, "/http/1.6/credit.do", rec.last(t).Path)
}

func TestWireLatinResponses(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	c := rec.client(t)
	n := []string{"33612345678"}
	// Unlabelled ISO-8859-15 bytes.
	rec.answer(200, "text/html", []byte("33 | Cr\xe9dits insuffisants"))
	_, err := c.SendSMS(context.Background(), &smsmode.SMS{Numbers: n, Message: "x"})
	assert.EqualError(t, err, "smsmode: sendSMS.do: code 33 Crédits insuffisants")
	// Labelled.
	rec.answer(200, "text/plain; charset=iso-8859-1", []byte("0 | Accept\xe9 | id\xe9"))
	res, err := c.SendSMS(context.Background(), &smsmode.SMS{Numbers: n, Message: "x"})
	require.NoError(t, err)
	assert.Equal(t, "Accepté", res.Description)
	assert.Equal(t, "idé", res.SMSID)
}
