package smsmodetest

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/smsq/smsq/smsmode"
)

const (
	prefix16 = "/http/1.6/"
	prefix20 = "/http/2.0/"

	// The provider answers text in ISO-8859-15 (the reference's charset for
	// SMS). Saying so in the header lets a careful client decode without
	// guessing; the status is 200 even for errors, as on the real API.
	textContentType = "text/html; charset=ISO-8859-15"
	jsonContentType = "application/json;charset=UTF-8"
)

// endpoint is one route of the API.
type endpoint struct {
	name   string
	v2     bool // under /http/2.0/ and answering JSON
	handle func(*call) answer
	desc   map[smsmode.Code]string // the reference's wording for this endpoint
}

// endpoints by name ("sendSMS.do").
var endpoints = byName([]*endpoint{
	{name: "sendSMS.do", handle: (*call).sendSMS, desc: sendDesc},
	{name: "sendVoiceMessage.do", handle: (*call).sendVoice, desc: voiceDesc},
	{name: "sendSMSBatch.do", handle: (*call).sendBatch, desc: sendDesc},
	{name: "compteRendu.do", handle: (*call).compteRendu, desc: map[smsmode.Code]string{
		31: "Erreur interne lors de la requête",
		35: "Paramètre obligatoire manquant",
		61: "SMS n'existant pas ou plus",
	}},
	{name: "credit.do", handle: (*call).creditBalance},
	{name: "smsStatus.do", handle: (*call).smsStatus, desc: map[smsmode.Code]string{
		32: `Echec d'authentification ("pseudo" et/ou "mot de passe" inexistant)`,
		35: `Paramètre(s) incorrect(s) ("pseudo", "pass", "smsID" obligatoires)`,
		61: "smsID invalide",
	}},
	{name: "smsList.do", handle: (*call).smsList, desc: map[smsmode.Code]string{
		35: `Paramètre(s) incorrect(s) ("pseudo" et "pass" sont obligatoires)`,
	}},
	{name: "deleteSMS.do", handle: (*call).deleteSMS, desc: map[smsmode.Code]string{
		0:  "SMS supprimé",
		35: `Paramètre(s) incorrect(s) ("pseudo", "pass", "numero" ou "smsID" sont obligatoires)`,
		61: "SMS non trouvé",
	}},
	{name: "responseList.do", handle: (*call).responseList, desc: map[smsmode.Code]string{
		35: "Paramètre(s) incorrect(s) (pseudo et pass sont obligatoires)",
	}},
	{name: "createSubAccount.do", handle: (*call).createSubAccount, desc: map[smsmode.Code]string{
		0:  "Création effectuée",
		35: "Paramètres incorrects",
		41: "Identifiant déjà existant",
	}},
	// The reference copies createSubAccount's table here ("Création
	// effectuée", "Identifiant déjà existant"); the fake says what happened.
	{name: "deleteSubAccount.do", handle: (*call).deleteSubAccount, desc: map[smsmode.Code]string{
		0:  "Suppression effectuée",
		35: "Paramètres incorrects",
		41: "Identifiant inexistant",
	}},
	{name: "creditTransfert.do", handle: (*call).creditTransfert, desc: map[smsmode.Code]string{
		0:  "Transfert effectué",
		35: "Paramètres incorrects",
		41: "Identifiant inexistant",
	}},
	{name: "addContact.do", handle: (*call).addContact, desc: map[smsmode.Code]string{
		0: "Contact ajouté",
	}},
	{name: "createAuthorisation.do", v2: true, handle: (*call).createAuthorisation},
})

func byName(list []*endpoint) map[string]*endpoint {
	m := make(map[string]*endpoint, len(list))
	for _, e := range list {
		m[e.name] = e
	}
	return m
}

// sendDesc is the table of sendSMS.do, shared by the unicode and batch sends.
var sendDesc = map[smsmode.Code]string{
	0: "Accepté - le message a été accepté par le système et est en cours de traitement",
}

// voiceDesc words acceptance as the voice section does.
var voiceDesc = map[smsmode.Code]string{
	0: "Accepté (message accepté par le système et en cours de traitement)",
}

// commonDesc is the wording of codes an endpoint's table does not list.
var commonDesc = map[smsmode.Code]string{
	0:  "Opération effectuée",
	31: "Erreur interne",
	32: "Erreur d'authentification",
	33: "Crédits insuffisants",
	35: "Paramètre obligatoire manquant",
	41: "Identifiant inexistant",
	50: "Temporairement inaccessible",
	61: "SMS non trouvé",
}

// route maps a path to its endpoint name.
func route(p string) (name string, ok bool) {
	if name, found := strings.CutPrefix(p, prefix16); found {
		if e := endpoints[name]; e != nil && !e.v2 {
			return name, true
		}
	} else if name, found := strings.CutPrefix(p, prefix20); found {
		if e := endpoints[name]; e != nil && e.v2 {
			return name, true
		}
	}
	return path.Base(p), false
}

// call is one request being processed.
type call struct {
	s       *Server
	ep      *endpoint
	method  string
	params  url.Values
	fichier []byte // the batch file part, if any
	now     time.Time
}

func (c *call) get(k string) string { return c.params.Get(k) }

// description returns the endpoint's wording for code.
func (c *call) description(code smsmode.Code) string {
	if d, ok := c.ep.desc[code]; ok {
		return d
	}
	if d, ok := commonDesc[code]; ok {
		return d
	}
	return "Erreur"
}

// fail answers an error code.
func (c *call) fail(code smsmode.Code) answer {
	if c.ep.v2 {
		return jsonError(code, c.description(code))
	}
	return textAnswer(strconv.Itoa(int(code)) + " | " + c.description(code))
}

// done answers code 0, with the ID of what was created if any.
func (c *call) done(id string) answer {
	line := "0 | " + c.description(smsmode.CodeAccepted)
	if id != "" {
		line += " | " + id
	}
	return textAnswer(line)
}

// authenticated checks accessToken, or pseudo (username on
// createAuthorisation) and pass.
func (c *call) authenticated() bool {
	tok, pseudo, pass := c.get("accessToken"), c.get("pseudo"), c.get("pass")
	if pseudo == "" && c.ep.v2 {
		pseudo = c.get("username")
	}
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if tok != "" && c.s.tokens[tok] {
		return true
	}
	want, ok := c.s.accounts[pseudo]
	return ok && pass != "" && pass == want
}

func textAnswer(s string) answer {
	return answer{status: http.StatusOK, ctype: textContentType, body: encodeISO(s)}
}

func jsonAnswer(status int, v any) answer {
	b, err := json.Marshal(v)
	if err != nil { // only plain structs are marshalled
		panic(err)
	}
	return answer{status: status, ctype: jsonContentType, body: b}
}

// jsonError is createAuthorisation's error: an HTTP error status with a JSON
// object that has no accessToken (the reference documents no error format;
// this is what clients of the real API have been seen to handle).
func jsonError(code smsmode.Code, desc string) answer {
	status := http.StatusBadRequest
	switch code {
	case smsmode.CodeAuthentication:
		status = http.StatusUnauthorized
	case smsmode.CodeInternalError:
		status = http.StatusInternalServerError
	case smsmode.CodeTemporarilyUnavailable:
		status = http.StatusServiceUnavailable
	}
	return jsonAnswer(status, struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}{int(code), desc})
}

// parseParams merges the query string and the form body, keeping the bytes
// of each value exactly as the client percent-encoded them. The form body is
// read only where a servlet container would: POST with an url-encoded or
// multipart content type. It returns the "fichier" part apart.
func parseParams(method, rawQuery, contentType string, body []byte) (url.Values, []byte) {
	v, _ := url.ParseQuery(rawQuery) // keeps the pairs that parse, like the provider
	if method != http.MethodPost || len(body) == 0 {
		return v, nil
	}
	mt, mp, _ := mime.ParseMediaType(contentType)
	switch mt {
	case "application/x-www-form-urlencoded":
		b, _ := url.ParseQuery(string(body))
		for k, vs := range b {
			v[k] = append(v[k], vs...)
		}
	case "multipart/form-data":
		var fichier []byte
		mr := multipart.NewReader(bytes.NewReader(body), mp["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			name := p.FormName()
			data, err := io.ReadAll(p)
			if err != nil {
				break
			}
			if name == "" {
				continue
			}
			v.Add(name, string(data))
			if name == "fichier" && fichier == nil {
				fichier = data
			}
		}
		return v, fichier
	}
	return v, nil
}

// encodeISO encodes s as ISO-8859-15; characters it lacks become "?".
func encodeISO(s string) []byte {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r < utf8.RuneSelf {
			out = append(out, byte(r))
			continue
		}
		b, ok := charmap.ISO8859_15.EncodeRune(r)
		if !ok {
			b = '?'
		}
		out = append(out, b)
	}
	return out
}

// decodeISO decodes ISO-8859-15 bytes.
func decodeISO(raw string) string {
	var b strings.Builder
	b.Grow(len(raw) + len(raw)/4)
	for i := 0; i < len(raw); i++ {
		b.WriteRune(charmap.ISO8859_15.DecodeByte(raw[i]))
	}
	return b.String()
}

// decodeLoose decodes a free-text parameter whose charset the reference
// does not fix (refClient, title, voice message, contact fields): UTF-8 when
// the bytes are valid UTF-8, ISO-8859-15 otherwise. Latin text in ISO-8859-15
// is practically never valid UTF-8, so the guess is safe.
func decodeLoose(raw string) string {
	if utf8.ValidString(raw) {
		return raw
	}
	return decodeISO(raw)
}

// normalizeNumber checks a recipient and returns its international digits.
// The reference accepts the French national form (0612345678) and the
// international one (33612345678), digits only; anything else (spaces, "+",
// "00") is refused so that a client sending them is caught by its tests.
func normalizeNumber(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", false
		}
	}
	if s[0] == '0' {
		if len(s) == 10 && s[1] != '0' {
			return "33" + s[1:], true
		}
		return "", false
	}
	// E.164 allows at most 15 digits; the reference's own batch example uses
	// 8-digit numbers, the shortest accepted here.
	if len(s) < 8 || len(s) > 15 {
		return "", false
	}
	return s, true
}

// splitList splits a comma-separated parameter, dropping empty entries.
func splitList(s string) []string {
	var out []string
	for _, e := range strings.Split(s, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// normalizeNumbers normalizes entries and drops duplicates, keeping the
// first occurrence's order.
func normalizeNumbers(entries []string) ([]string, bool) {
	out := make([]string, 0, len(entries))
	seen := make(map[string]bool, len(entries))
	for _, e := range entries {
		n, ok := normalizeNumber(e)
		if !ok {
			return nil, false
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out, true
}

// parseInt parses an optional non-negative integer parameter.
func parseInt(v string, def int) (int, bool) {
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// parseDate parses a ddMMyyyy-HH:mm date (date_envoi, startDate, endDate)
// in loc; "" gives the zero time.
func parseDate(v string, loc *time.Location) (time.Time, bool) {
	if v == "" {
		return time.Time{}, true
	}
	t, err := time.ParseInLocation(smsmode.LayoutSendDate, strings.TrimSpace(v), loc)
	return t, err == nil
}

// formatCredits prints an amount of credits in a list or a callback: 1,
// 2.5, -3.
func formatCredits(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// formatBalance prints the balance the way credit.do does: always with a
// decimal point, as the reference's example 212.5 (1000.0, -3.0), since
// clients written against the live API look for it.
func formatBalance(f float64) string {
	s := formatCredits(f)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}
