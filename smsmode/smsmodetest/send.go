package smsmodetest

import (
	"bytes"
	"encoding/csv"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/smsq/smsq/smsmode"
)

// Limits of the reference.
const (
	maxGETRecipients = 300 // "Limité à 300 destinataires en HTTP GET"
	maxSender        = 11  // emetteur
	maxRefClient     = 40  // refClient (3.4+)
	maxVoiceLength   = 160 // voice message
	defaultMaxParts  = 5   // nbr_msg
	maxUnicodeParts  = 5   // "Un maximum de 5 SMS peut être concaténé"
	stopLimit        = 149 // stop=1 adds the mention up to this many characters
)

// voiceLanguages are the values of language (3.1+).
var voiceLanguages = map[string]bool{"fr-FR": true, "en-GB": true, "de-DE": true, "es-ES": true}

// sendOpts are the parameters shared by sendSMS.do and sendSMSBatch.do.
type sendOpts struct {
	class           int
	sendAt          time.Time
	maxParts        int
	stop            int
	sender          string
	ref             string
	notificationURL string
	replyURL        string
}

// parseSendOpts validates the optional send parameters; batch is stricter
// (no unicode) and ignores what the batch section does not list.
func (c *call) parseSendOpts(batch bool) (o sendOpts, ok bool) {
	switch c.get("classe_msg") {
	case "", "2":
		o.class = 2
	case "4":
		o.class = 4
	case "9":
		if batch { // the batch file is ISO-8859-15: it cannot carry unicode
			return o, false
		}
		o.class = 9
	default:
		return o, false
	}
	if o.sendAt, ok = parseDate(c.get("date_envoi"), c.s.loc); !ok {
		return o, false
	}
	if o.maxParts, ok = parseInt(c.get("nbr_msg"), defaultMaxParts); !ok || o.maxParts < 1 {
		return o, false
	}
	if !batch {
		switch c.get("stop") {
		case "", "0":
		case "1":
			o.stop = 1
		case "2":
			o.stop = 2
		default:
			return o, false
		}
		o.replyURL = c.get("notification_url_reponse")
	}
	o.sender = c.get("emetteur")
	if o.sender != "" && !validSender(o.sender, o.class) {
		return o, false
	}
	o.ref = decodeLoose(c.get("refClient"))
	if utf8.RuneCountInString(o.ref) > maxRefClient {
		return o, false
	}
	o.notificationURL = c.get("notification_url")
	return o, true
}

// validSender applies the reference's emetteur rules ("Maximum 11
// caractères, sans accent ni espace", "Numéro de téléphone non autorisé",
// not with classe_msg=4), read as a GSM network does: printable ASCII of the
// character table (no space, no accent, no backtick), at most 11 septets
// where { } [ ] \ ^ ~ | take two, and at least one letter (digits and
// punctuation alone are a number).
func validSender(s string, class int) bool {
	if class == 4 {
		return false
	}
	septets, letter := 0, false
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b <= ' ' || b >= 0x7f || b == '`' {
			return false
		}
		septets++
		switch b {
		case '{', '}', '[', ']', '\\', '^', '~', '|':
			septets++
		}
		if lower := b | 0x20; lower >= 'a' && lower <= 'z' {
			letter = true
		}
	}
	return letter && septets <= maxSender
}

// newMessage builds a message from its raw bytes under o, applying the
// character table, nbr_msg and the STOP mention for each of numbers.
func newMessage(endpoint string, raw string, o sendOpts, numbers []string) *message {
	m := &message{Message: Message{
		Endpoint:        endpoint,
		Raw:             []byte(raw),
		Class:           o.class,
		Unicode:         o.class == 9,
		Sender:          o.sender,
		RefClient:       o.ref,
		SendAt:          o.sendAt,
		MaxParts:        o.maxParts,
		Stop:            o.stop,
		NotificationURL: o.notificationURL,
		ReplyURL:        o.replyURL,
	}}
	var shown string
	if m.Unicode {
		shown = strings.ToValidUTF8(raw, "\uFFFD")
	} else {
		shown = decodeGSM(raw)
	}
	m.Numbers = numbers
	m.compose(shown)
	return m
}

// compose sets the text each recipient's handset shows, cut to MaxParts
// with the STOP mention of its country, and bills it: Text and Segments
// are the first recipient's, Cost the sum over the recipients.
func (m *message) compose(shown string) {
	m.variants = make(map[string]variant, 1)
	m.Cost = 0
	for _, n := range m.Numbers {
		mention := stopMentionFor(n)
		v, ok := m.variants[mention]
		if !ok {
			v.text, v.segments, v.truncated = compose(shown, m.Unicode, m.Stop, m.MaxParts, mention)
			m.variants[mention] = v
			m.Truncated = m.Truncated || v.truncated
		}
		m.Cost += float64(v.segments)
	}
	if len(m.Numbers) > 0 {
		first := m.variants[stopMentionFor(m.Numbers[0])]
		m.Text, m.Segments = first.text, first.segments
	}
}

// sendSMS is sendSMS.do, unicode included (classe_msg=9).
func (c *call) sendSMS() answer {
	if !c.authenticated() {
		return c.fail(smsmode.CodeAuthentication)
	}
	raw := c.get("message")
	numero, groupe := c.get("numero"), c.get("groupe")
	if raw == "" || (numero == "") == (groupe == "") {
		return c.fail(smsmode.CodeInvalidParameter)
	}
	var numbers []string
	if numero != "" {
		entries := splitList(numero)
		if c.method == http.MethodGet && len(entries) > maxGETRecipients {
			return c.fail(smsmode.CodeInvalidParameter)
		}
		var ok bool
		if numbers, ok = normalizeNumbers(entries); !ok || len(numbers) == 0 {
			return c.fail(smsmode.CodeInvalidParameter)
		}
	}
	o, ok := c.parseSendOpts(false)
	if !ok {
		return c.fail(smsmode.CodeInvalidParameter)
	}
	// The group's name travels in the request's charset, like the message:
	// ISO-8859-15, or UTF-8 with classe_msg=9.
	group := decodeISO(groupe)
	if o.class == 9 {
		group = strings.ToValidUTF8(groupe, "\uFFFD")
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if groupe != "" {
		members := s.groups[group]
		if len(members) == 0 {
			return c.fail(smsmode.CodeInvalidParameter)
		}
		numbers = append([]string(nil), members...)
	}
	if code, ok := s.failNumberLocked(numbers); ok {
		return c.fail(code)
	}
	m := newMessage(c.ep.name, raw, o, numbers)
	m.Group = group
	if m.Cost > s.credit {
		return c.fail(smsmode.CodeInsufficientCredit)
	}
	s.credit -= m.Cost
	s.acceptLocked([]*message{m}, "", c.now)
	return c.done(m.SMSID)
}

// sendVoice is sendVoiceMessage.do. A voice message is one call per
// recipient, billed one credit each (the reference gives no price).
func (c *call) sendVoice() answer {
	if !c.authenticated() {
		return c.fail(smsmode.CodeAuthentication)
	}
	raw, numero := c.get("message"), c.get("numero")
	if raw == "" || numero == "" {
		return c.fail(smsmode.CodeInvalidParameter)
	}
	entries := splitList(numero)
	if c.method == http.MethodGet && len(entries) > maxGETRecipients {
		return c.fail(smsmode.CodeInvalidParameter)
	}
	numbers, ok := normalizeNumbers(entries)
	if !ok || len(numbers) == 0 {
		return c.fail(smsmode.CodeInvalidParameter)
	}
	msg := decodeLoose(raw)
	lang := c.get("language")
	sendAt, ok := parseDate(c.get("date_envoi"), c.s.loc)
	if !ok || utf8.RuneCountInString(msg) > maxVoiceLength || (lang != "" && !voiceLanguages[lang]) {
		return c.fail(smsmode.CodeInvalidParameter)
	}
	m := &message{Message: Message{
		Endpoint: c.ep.name,
		Numbers:  numbers,
		Text:     msg,
		Raw:      []byte(raw),
		Class:    2,
		Title:    decodeLoose(c.get("title")),
		Language: lang,
		SendAt:   sendAt,
		MaxParts: 1,
		Segments: 1,
		Cost:     float64(len(numbers)),
	}}

	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if code, ok := s.failNumberLocked(numbers); ok {
		return c.fail(code)
	}
	if m.Cost > s.credit {
		return c.fail(smsmode.CodeInsufficientCredit)
	}
	s.credit -= m.Cost
	s.acceptLocked([]*message{m}, "", c.now)
	return c.done(m.SMSID)
}

// sendBatch is sendSMSBatch.do: a multipart upload whose "fichier" part is
// an ISO-8859-15 CSV file numero,message,emetteur[,refClient]. Every row
// becomes a message of one campaign; the file is accepted or refused whole.
func (c *call) sendBatch() answer {
	if !c.authenticated() {
		return c.fail(smsmode.CodeAuthentication)
	}
	o, ok := c.parseSendOpts(true)
	if !ok || len(c.fichier) == 0 {
		return c.fail(smsmode.CodeInvalidParameter)
	}
	rows, ok := parseBatch(c.fichier)
	if !ok {
		return c.fail(smsmode.CodeInvalidParameter)
	}
	msgs := make([]*message, 0, len(rows))
	var numbers []string
	cost := 0.0
	for _, r := range rows {
		n, ok := normalizeNumber(r.number)
		if !ok || r.message == "" {
			return c.fail(smsmode.CodeInvalidParameter)
		}
		ro := o
		if r.sender != "" {
			if !validSender(r.sender, o.class) {
				return c.fail(smsmode.CodeInvalidParameter)
			}
			ro.sender = r.sender
		}
		if r.ref != "" {
			if utf8.RuneCountInString(r.ref) > maxRefClient {
				return c.fail(smsmode.CodeInvalidParameter)
			}
			ro.ref = r.ref
		}
		m := newMessage(c.ep.name, r.message, ro, []string{n})
		cost += m.Cost
		msgs = append(msgs, m)
		numbers = append(numbers, n)
	}

	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if code, ok := s.failNumberLocked(numbers); ok {
		return c.fail(code)
	}
	if cost > s.credit {
		return c.fail(smsmode.CodeInsufficientCredit)
	}
	s.credit -= cost
	campaign := s.newIDLocked()
	s.acceptLocked(msgs, campaign, c.now)
	return c.done(campaign)
}

// batchRow is one CSV row; message keeps the file's ISO-8859-15 bytes.
type batchRow struct {
	number, message, sender, ref string
}

// parseBatch reads the batch file: ISO-8859-15, comma-separated, fields
// quoted or not, an optional header row (first field "numero"), 2 to 4
// columns. An empty file or a malformed row refuses the batch.
func parseBatch(file []byte) ([]batchRow, bool) {
	// Decode first so that csv sees valid UTF-8; ISO-8859-15 round-trips,
	// so each message's bytes are restored exactly below.
	r := csv.NewReader(strings.NewReader(decodeISO(string(bytes.TrimPrefix(file, []byte("\xef\xbb\xbf"))))))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.TrimLeadingSpace = true
	recs, err := r.ReadAll()
	if err != nil {
		return nil, false
	}
	rows := make([]batchRow, 0, len(recs))
	for i, rec := range recs {
		if i == 0 && strings.EqualFold(strings.TrimSpace(rec[0]), "numero") {
			continue
		}
		if len(rec) < 2 || len(rec) > 4 {
			return nil, false
		}
		row := batchRow{number: strings.TrimSpace(rec[0]), message: string(encodeISO(rec[1]))}
		if len(rec) > 2 {
			row.sender = strings.TrimSpace(rec[2])
		}
		if len(rec) > 3 {
			row.ref = rec[3]
		}
		rows = append(rows, row)
	}
	return rows, len(rows) > 0
}

// idChars are the characters of smsID, campagneID and responseID, opaque
// 12-character strings like the reference's "S7EpYZ5kmS87".
const idChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// newIDLocked returns an ID no message or campaign has.
func (s *Server) newIDLocked() string {
	for {
		var b [12]byte
		for i := range b {
			b[i] = idChars[rand.IntN(len(idChars))]
		}
		id := string(b[:])
		if _, dup := s.byID[id]; !dup && s.campaigns[id] == nil {
			return id
		}
	}
}

// acceptLocked records accepted messages (one campaign when campaign is not
// empty) and starts their automatic reports.
func (s *Server) acceptLocked(ms []*message, campaign string, now time.Time) {
	for _, m := range ms {
		m.SMSID = s.newIDLocked()
		m.CampaignID = campaign
		m.cbID = m.SMSID
		if campaign != "" {
			// Callbacks and responseList carry the ID the send returned.
			m.cbID = campaign
		}
		m.AcceptedAt = now
		m.scheduled = m.SendAt.After(now)
		st := smsmode.StatusSent
		if m.scheduled {
			st = smsmode.StatusScheduled
		}
		m.Statuses = make(map[string]smsmode.Status, len(m.Numbers))
		for _, n := range m.Numbers {
			m.Statuses[n] = st
		}
		s.msgs = append(s.msgs, m)
		s.byID[m.SMSID] = m
	}
	if campaign != "" {
		s.campaigns[campaign] = ms
	}
	s.startReportsLocked(ms, now)
	for s.msgLimit > 0 && len(s.msgs) > s.msgLimit {
		old := s.msgs[0]
		delete(s.byID, old.SMSID)
		if old.CampaignID != "" {
			delete(s.campaigns, old.CampaignID)
		}
		s.msgs[0] = nil // let the collector have it before append reallocates
		s.msgs = s.msgs[1:]
	}
}
