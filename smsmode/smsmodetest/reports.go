package smsmodetest

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/smsq/smsq/smsmode"
)

// Paging limits of smsList.do and responseList.do.
const (
	defaultListOffset = 50
	maxListOffset     = 10000 // smsList.do (3.5)
)

// statusText is smsStatus.do's wording: the 2.7 table, completed by the
// later editions' annex. "–" of the reference is written "-", which
// ISO-8859-15 can carry.
var statusText = map[smsmode.Status]string{
	0:    "Envoyé",
	1:    "En cours",
	2:    "Non envoyé - erreur interne",
	10:   "Envoi programmé",
	11:   "Reçu",
	12:   "Partiellement délivré",
	13:   "Délivré",
	14:   "Délivré",
	15:   "Partiellement reçu",
	16:   "Ecouté",
	21:   "Non délivrable",
	22:   "Rejeté",
	33:   "Non envoyé - crédit insuffisant",
	34:   "Erreur routage",
	35:   "Erreur réception",
	36:   "Erreur message",
	37:   "Message expiré",
	38:   "Message trop long",
	39:   "Erreur réception",
	40:   "Modèle",
	50:   "Non délivré",
	100:  "Lu",
	101:  "Non lu",
	999:  "Indéfini",
	3501: "Erreur temporaire opérateur",
	3502: "Erreur temporaire absence",
	3503: "Erreur temporaire téléphone",
	3504: "Erreur temporaire portabilité",
	3521: "Erreur permanente opérateur",
	3522: "Erreur permanente absence",
	3523: "Erreur permanente téléphone",
	3524: "Erreur permanente anti spam",
	3525: "Erreur permanente contenu",
	3526: "Erreur permanente portabilité",
	3527: "Erreur permanente roaming",
	3560: "Erreur non routable",
	3599: "Erreur autre",
	3998: "Numéro invalide",
	3999: "Destinataire blacklisté",
}

// recipients finds the messages of the request's smsID, brings their
// statuses up to date and returns each recipient's number and status, in
// order; a failed look-up returns the answer to give instead.
//
// reported tells whether a delivery report was asked for (notification_url).
func (c *call) recipients() (numbers []string, statuses []smsmode.Status, reported bool, failure *answer) {
	fail := func(code smsmode.Code) ([]string, []smsmode.Status, bool, *answer) {
		a := c.fail(code)
		return nil, nil, false, &a
	}
	if !c.authenticated() {
		return fail(smsmode.CodeAuthentication)
	}
	id := c.get("smsID")
	if id == "" {
		return fail(smsmode.CodeInvalidParameter)
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	ms := s.lookupLocked(id)
	if len(ms) == 0 || !s.searchableLocked(ms[0], c.now) {
		return fail(smsmode.CodeNotFound)
	}
	for _, m := range ms {
		s.promoteLocked(m, c.now)
		reported = reported || m.NotificationURL != ""
		for _, n := range m.Numbers {
			numbers = append(numbers, n)
			statuses = append(statuses, m.Statuses[n])
		}
	}
	return numbers, statuses, reported, nil
}

// searchDays is how far back compteRendu.do and smsStatus.do look: "les
// SMS doivent avoir été envoyés dans les 30 derniers jours par rapport à la
// date du jour".
const searchDays = 30

// searchableLocked reports whether m (or its campaign, whose rows share a
// date) was sent on or after the day 30 days before today, in the server's
// zone; an older message is answered like an unknown one (61).
func (s *Server) searchableLocked(m *message, now time.Time) bool {
	sent := m.AcceptedAt
	if m.SendAt.After(sent) {
		sent = m.SendAt
	}
	y, mo, d := now.In(s.loc).Date()
	since := time.Date(y, mo, d-searchDays, 0, 0, 0, 0, s.loc)
	return !sent.Before(since)
}

// compteRendu is compteRendu.do: "33600000000 11 | 33611111111 13".
func (c *call) compteRendu() answer {
	numbers, statuses, _, failure := c.recipients()
	if failure != nil {
		return *failure
	}
	parts := make([]string, len(numbers))
	for i, n := range numbers {
		parts[i] = n + " " + strconv.Itoa(int(statuses[i]))
	}
	return textAnswer(strings.Join(parts, " | "))
}

// smsStatus is smsStatus.do: "0 | Envoyé". For several recipients it gives
// the campaign's status (see campaignStatus).
//
// The reference gives 11 (Reçu) and 13 (Délivré) "seulement si compte-rendu
// a été sélectionné, sinon Envoyé": the API's way of selecting a report is
// notification_url, so a message sent without one shows 0 for every
// delivery status (11, 13 and the annex's 12, 14, 15); failures still show.
func (c *call) smsStatus() answer {
	_, all, reported, failure := c.recipients()
	if failure != nil {
		return *failure
	}
	if !reported {
		for i, st := range all {
			if deliveryOnly(st) {
				all[i] = smsmode.StatusSent
			}
		}
	}
	st := campaignStatus(all)
	if st == smsmode.StatusReceptionError {
		// 35 is "Paramètre(s) incorrect(s)" on this endpoint, whose table
		// gives the reception error as 39.
		st = smsmode.StatusReceptionFailed
	}
	desc, ok := statusText[st]
	if !ok {
		desc = statusText[smsmode.StatusUndefined]
	}
	return textAnswer(strconv.Itoa(int(st)) + " | " + desc)
}

// deliveryOnly reports the statuses only a delivery report tells: received
// (11), partially delivered (12), delivered to the operator (13), delivered
// (14), partially received (15).
func deliveryOnly(st smsmode.Status) bool {
	switch st {
	case smsmode.StatusReceived, smsmode.StatusPartiallyDelivered, smsmode.StatusDeliveredToOperator,
		smsmode.StatusDelivered, smsmode.StatusPartiallyReceived:
		return true
	}
	return false
}

// campaignStatus sums up recipients' statuses (the reference does not say
// how): a status shared by all of them; else 15 (partially received) when
// some received it, 12 (partially delivered) when some got it delivered,
// 0 (sent) otherwise.
func campaignStatus(all []smsmode.Status) smsmode.Status {
	same, received, delivered := true, false, false
	for _, st := range all {
		same = same && st == all[0]
		received = received || st == smsmode.StatusReceived
		delivered = delivered || st == smsmode.StatusDeliveredToOperator || st == smsmode.StatusDelivered
	}
	switch {
	case same:
		return all[0]
	case received:
		return smsmode.StatusPartiallyReceived
	case delivered:
		return smsmode.StatusPartiallyDelivered
	}
	return smsmode.StatusSent
}

// creditBalance is credit.do: a bare decimal number such as 212.5 or
// 1000.0.
func (c *call) creditBalance() answer {
	if !c.authenticated() {
		return c.fail(smsmode.CodeAuthentication)
	}
	return textAnswer(formatBalance(c.s.Credit()))
}

// smsList is smsList.do: the most recent messages first, rows
//
//	smsID | dd/MM/yyyy HH:mm | text | number | cost | recipients |
//
// separated by a blank line (the format observed on the real API). A
// message to several numbers shows the first one.
func (c *call) smsList() answer {
	if !c.authenticated() {
		return c.fail(smsmode.CodeAuthentication)
	}
	start, ok1 := parseInt(c.get("start"), 0)
	offset, ok2 := parseInt(c.get("offset"), defaultListOffset)
	if !ok1 || !ok2 || offset > maxListOffset {
		return c.fail(smsmode.CodeInvalidParameter)
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	var rows []string
	for i := len(s.msgs) - 1; i >= 0 && len(rows) < offset; i-- {
		m := s.msgs[i]
		if m.Deleted {
			continue
		}
		if start > 0 {
			start--
			continue
		}
		s.promoteLocked(m, c.now)
		at := m.AcceptedAt
		if m.SendAt.After(at) {
			at = m.SendAt
		}
		// The reference shows a trailing pipe after the last field.
		rows = append(rows, strings.Join([]string{
			m.SMSID,
			at.In(s.loc).Format(smsmode.LayoutListDate),
			m.Text,
			m.Numbers[0],
			formatCredits(m.Cost),
			strconv.Itoa(len(m.Numbers)),
		}, " | ")+" |")
	}
	return textAnswer(strings.Join(rows, "\n\n"))
}

// deleteSMS is deleteSMS.do, by smsID (a campagneID deletes the whole
// batch) or by numero (the most recent message to that number). Deleting a
// message still scheduled refunds it.
func (c *call) deleteSMS() answer {
	if !c.authenticated() {
		return c.fail(smsmode.CodeAuthentication)
	}
	id, numero := c.get("smsID"), c.get("numero")
	if id == "" && numero == "" {
		return c.fail(smsmode.CodeInvalidParameter)
	}
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	var ms []*message
	if id != "" {
		ms = s.lookupLocked(id)
	} else {
		n, ok := normalizeNumber(numero)
		if !ok {
			return c.fail(smsmode.CodeInvalidParameter)
		}
		for i := len(s.msgs) - 1; i >= 0; i-- {
			if m := s.msgs[i]; !m.Deleted && slices.Contains(m.Numbers, n) {
				ms = []*message{m}
				break
			}
		}
	}
	if len(ms) == 0 {
		return c.fail(smsmode.CodeNotFound)
	}
	for _, m := range ms {
		s.promoteLocked(m, c.now)
		if m.scheduled {
			s.credit += m.Cost
			m.scheduled = false
		}
		m.Deleted = true
	}
	return c.done("")
}

// responseList is responseList.do: replies, most recent first, one per line
//
//	responseID | ddMMyyyy-HH:mm | from | text | to | smsID
//
// paged with start/offset (default 0/50), or selected with startDate and
// endDate (both, inclusive to the minute, and not with start/offset).
func (c *call) responseList() answer {
	if !c.authenticated() {
		return c.fail(smsmode.CodeAuthentication)
	}
	paging := c.get("start") != "" || c.get("offset") != ""
	dating := c.get("startDate") != "" || c.get("endDate") != ""
	start, ok1 := parseInt(c.get("start"), 0)
	offset, ok2 := parseInt(c.get("offset"), defaultListOffset)
	from, ok3 := parseDate(c.get("startDate"), c.s.loc)
	until, ok4 := parseDate(c.get("endDate"), c.s.loc)
	if !ok1 || !ok2 || !ok3 || !ok4 || paging && dating || dating && (from.IsZero() || until.IsZero()) {
		return c.fail(smsmode.CodeInvalidParameter)
	}
	until = until.Add(time.Minute) // the minute of endDate is included
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	var rows []string
	for i := len(s.replies) - 1; i >= 0; i-- {
		r := s.replies[i]
		if dating {
			if r.receivedAt.Before(from) || !r.receivedAt.Before(until) {
				continue
			}
		} else {
			if len(rows) == offset {
				break
			}
			if start > 0 {
				start--
				continue
			}
		}
		rows = append(rows, r.id+" | "+r.receivedAt.In(s.loc).Format(smsmode.LayoutSendDate)+" | "+
			r.from+" | "+r.text+" | "+r.to+" | "+r.smsID)
	}
	return textAnswer(strings.Join(rows, "\n"))
}
