package smsmodetest

import (
	"bytes"
	"maps"
	"net/url"
	"slices"
	"time"

	"github.com/smsq/smsq/smsmode"
)

// Message is an accepted send, as the provider stored it.
type Message struct {
	SMSID      string // opaque 12-character ID the send returned (each batch row has its own)
	CampaignID string // campagneID of a batch, shared by its rows; empty otherwise
	Endpoint   string // "sendSMS.do", "sendVoiceMessage.do" or "sendSMSBatch.do"

	Numbers []string // recipients, international digits, without duplicates
	Group   string   // groupe, when the recipients came from a group

	// Text is what the first recipient's handset shows (or the voice
	// reads): decoded from ISO-8859-15 for classes 2 and 4, characters
	// outside the reference's table becoming "?"; from UTF-8 for
	// classe_msg=9; cut to MaxParts; with the STOP mention when one was
	// added ("STOP 36034" in France, "no-sms.eu" abroad; see TextFor).
	Text    string
	Raw     []byte // the message parameter's bytes as received
	Class   int    // classe_msg: 2, 4 or 9
	Unicode bool   // classe_msg=9

	Sender    string    // emetteur
	RefClient string    // refClient (the batch row's when it had one)
	SendAt    time.Time // date_envoi as parsed in the server's location; zero when absent
	MaxParts  int       // nbr_msg (default 5)
	Stop      int       // stop: 0, 1 or 2
	// Truncated reports that the text did not fit MaxParts segments (STOP
	// mention included) and was cut, as the reference says the provider does.
	Truncated bool

	NotificationURL string // notification_url
	ReplyURL        string // notification_url_reponse

	Title, Language string // voice

	// Segments is what each recipient is billed, STOP mention included:
	// the first recipient's when the mention differs by country (see
	// TextFor).
	Segments int
	Cost     float64 // credits debited: the segments of every recipient

	// Statuses is each recipient's delivery status: 0 (sent) or 10
	// (scheduled) at acceptance, then what Deliver or automatic reports set.
	Statuses map[string]smsmode.Status
	// Deleted reports a deleteSMS.do; a deleted message is no longer
	// visible through the API.
	Deleted    bool
	AcceptedAt time.Time

	// variants holds the text and segments of each STOP mention the
	// recipients get; it is set once, at acceptance, and never changed.
	variants map[string]variant
}

// variant is a message's text for the recipients of one STOP mention.
type variant struct {
	text      string
	segments  int
	truncated bool
}

// TextFor returns what the handset of number (international digits, one of
// Numbers) shows. It differs from Text only with the stop parameter, when
// the recipients are in several countries: the STOP mention is "STOP 36034"
// for French numbers (33…) and "no-sms.eu" for the others.
func (m Message) TextFor(number string) string {
	if v, ok := m.variants[stopMentionFor(number)]; ok {
		return v.text
	}
	return m.Text
}

// segmentsFor returns the segments billed to number.
func (m Message) segmentsFor(number string) int {
	if v, ok := m.variants[stopMentionFor(number)]; ok {
		return v.segments
	}
	return m.Segments
}

// Scheduled reports whether the message waits for its date_envoi.
func (m Message) Scheduled() bool {
	for _, st := range m.Statuses {
		if st == smsmode.StatusScheduled {
			return true
		}
	}
	return false
}

// message is the server's record of a Message.
type message struct {
	Message
	cbID      string // smsID of callbacks and responseList: the campaign's for batch rows
	scheduled bool   // waiting for SendAt
}

func (m *message) clone() Message {
	c := m.Message
	c.Numbers = slices.Clone(m.Numbers)
	c.Raw = bytes.Clone(m.Raw)
	c.Statuses = maps.Clone(m.Statuses)
	return c
}

// promoteLocked makes a scheduled message sent once its date has come: the
// provider sends it then.
func (s *Server) promoteLocked(m *message, now time.Time) {
	if !m.scheduled || now.Before(m.SendAt) {
		return
	}
	s.sendScheduledLocked(m)
}

func (s *Server) sendScheduledLocked(m *message) {
	m.scheduled = false
	for n, st := range m.Statuses {
		if st == smsmode.StatusScheduled {
			m.Statuses[n] = smsmode.StatusSent
		}
	}
}

// Messages returns the accepted messages in acceptance order, deleted ones
// included (see Message.Deleted).
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	out := make([]Message, len(s.msgs))
	for i, m := range s.msgs {
		s.promoteLocked(m, now)
		out[i] = m.clone()
	}
	return out
}

// Message returns the message whose SMSID is smsID.
func (s *Server) Message(smsID string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.byID[smsID]
	if !ok {
		return Message{}, false
	}
	s.promoteLocked(m, s.now())
	return m.clone(), true
}

// Campaign returns the rows of the batch whose campagneID is id.
func (s *Server) Campaign(id string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	var out []Message
	for _, m := range s.campaigns[id] {
		s.promoteLocked(m, now)
		out = append(out, m.clone())
	}
	return out
}

// lookupLocked returns the live (not deleted) messages an ID the API
// returned designates: one message for an smsID, the rows for a campagneID.
func (s *Server) lookupLocked(id string) []*message {
	if m, ok := s.byID[id]; ok {
		if m.Deleted {
			return nil
		}
		return []*message{m}
	}
	var out []*message
	for _, m := range s.campaigns[id] {
		if !m.Deleted {
			out = append(out, m)
		}
	}
	return out
}

// recipientLocked returns the live message of id sent to number.
func (s *Server) recipientLocked(id, number string) *message {
	for _, m := range s.lookupLocked(id) {
		if _, ok := m.Statuses[number]; ok {
			return m
		}
	}
	return nil
}

// SubAccount is an account made with createSubAccount.do.
type SubAccount struct {
	Pseudo, Pass string
	Reference    string
	Credit       float64    // credits received with creditTransfert.do
	Params       url.Values // the creation request's parameters (nom, prenom, …)
}

// SubAccounts returns the sub-accounts in creation order.
func (s *Server) SubAccounts() []SubAccount {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]SubAccount, 0, len(s.subOrder))
	for _, p := range s.subOrder {
		a := *s.subAccounts[p]
		a.Params = cloneValues(a.Params)
		out = append(out, a)
	}
	return out
}

// Contact is a contact added with addContact.do.
type Contact struct {
	LastName, FirstName string // nom, prenom
	Mobile              string // international digits
	Groups              []string
	Company, Other      string // societe, other
	BirthDate           string // date, as given
}

// Contacts returns the contacts in the order they were added.
func (s *Server) Contacts() []Contact {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Contact, len(s.contacts))
	for i, c := range s.contacts {
		c.Groups = slices.Clone(c.Groups)
		out[i] = c
	}
	return out
}
