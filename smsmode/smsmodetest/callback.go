package smsmodetest

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/smsq/smsq/smsmode"
)

// mccMNCFrance is the operator code given in callbacks for French numbers
// (20801, Orange France, the reference's example).
const mccMNCFrance = "20801"

// startReportsLocked starts the automatic reports of ms, accepted together:
// now for an immediate send, at date_envoi for a scheduled one.
func (s *Server) startReportsLocked(ms []*message, now time.Time) {
	statuses := s.autoDelivery // replaced, never modified: safe to share
	if len(statuses) == 0 || s.cbClosed || len(ms) == 0 {
		return
	}
	if !ms[0].scheduled { // a campaign's rows share date_envoi
		s.cbWG.Add(1)
		go s.report(ms, statuses)
		return
	}
	var t *time.Timer
	t = time.AfterFunc(ms[0].SendAt.Sub(now), func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		// t is set: AfterFunc returned under the same lock. A timer that
		// Reset or Close removed has nothing left to do.
		if _, live := s.timers[t]; !live || s.cbClosed {
			return
		}
		delete(s.timers, t)
		var due []*message
		for _, m := range ms {
			if !m.Deleted && m.scheduled {
				s.sendScheduledLocked(m)
				due = append(due, m)
			}
		}
		if len(due) > 0 {
			s.cbWG.Add(1)
			go s.report(due, statuses)
		}
	})
	s.timers[t] = struct{}{}
}

// report sets statuses, in order, for every recipient of ms and calls
// their notification_url. It stops at a message deleted meanwhile, and at
// a Reset. A voice message follows voice statuses (see voiceStatus).
func (s *Server) report(ms []*message, statuses []smsmode.Status) {
	defer s.cbWG.Done()
	s.mu.Lock()
	gen := s.gen
	s.mu.Unlock()
	for _, m := range ms {
	recipients:
		for _, n := range m.Numbers { // Numbers never changes after acceptance
			for _, st := range statuses {
				st, ok := statusFor(m, st)
				if !ok {
					continue
				}
				s.mu.Lock()
				if m.Deleted || s.gen != gen {
					s.mu.Unlock()
					break recipients
				}
				m.Statuses[n] = st
				u := s.deliveryURLLocked(m, n, st)
				s.mu.Unlock()
				if u != "" {
					_ = s.call(CallbackDelivery, u) // recorded in Callbacks
				}
			}
		}
	}
}

// Deliver sets the status of one recipient (international or French
// national digits) of a message, designated by its smsID or, for a batch,
// by its campagneID, and calls the message's notification_url the way the
// provider does. It returns an error when there is no such live recipient,
// when the status is not one of the message's kind (16, listened, is for
// voice messages only; 11 to 15, the SMS delivery states, for SMS only),
// when the callback fails or answers a non-2xx status, or after Close. A
// message without notification_url only has its status set.
func (s *Server) Deliver(smsID, number string, status smsmode.Status) error {
	if n, ok := normalizeNumber(number); ok {
		number = n
	}
	s.mu.Lock()
	if s.cbClosed {
		s.mu.Unlock()
		return errClosed
	}
	m := s.recipientLocked(smsID, number)
	if m == nil {
		s.mu.Unlock()
		return refuse(http.StatusNotFound, "smsmodetest: no live message %q to %s", smsID, number)
	}
	if err := fitsKind(m, status); err != nil {
		s.mu.Unlock()
		return err
	}
	s.promoteLocked(m, s.now())
	m.Statuses[number] = status
	u := s.deliveryURLLocked(m, number, status)
	if u == "" {
		s.mu.Unlock()
		return nil
	}
	s.cbWG.Add(1)
	s.mu.Unlock()
	defer s.cbWG.Done()
	return s.call(CallbackDelivery, u)
}

// statusFor returns the status an automatic report sets on m for st, and
// false when it does not apply: a voice message is listened (16) where an
// SMS is received (11) or delivered (14), and has no operator delivery
// states (12, 13, 15); an SMS is never listened. Failures apply to both.
func statusFor(m *message, st smsmode.Status) (smsmode.Status, bool) {
	voice := m.Endpoint == "sendVoiceMessage.do"
	switch {
	case voice && (st == smsmode.StatusReceived || st == smsmode.StatusDelivered):
		return smsmode.StatusListened, true
	case voice && deliveryOnly(st), !voice && st == smsmode.StatusListened:
		return 0, false
	}
	return st, true
}

// fitsKind refuses a status of the other kind of message (see statusFor).
func fitsKind(m *message, st smsmode.Status) error {
	voice := m.Endpoint == "sendVoiceMessage.do"
	switch {
	case voice && deliveryOnly(st):
		return refuse(http.StatusUnprocessableEntity, "smsmodetest: %s is a voice message: status %d (%s) is for SMS; a call is listened (16) or fails", m.SMSID, int(st), st)
	case !voice && st == smsmode.StatusListened:
		return refuse(http.StatusUnprocessableEntity, "smsmodetest: %s is an SMS: status 16 (listened) is for voice messages", m.SMSID)
	}
	return nil
}

// deliveryURLLocked builds the delivery report callback, parameters in the
// reference's order:
//
//	numero=33612345678&date_reception=2010-03-25+09%3A52%3A17&statut=11&smsID=…&refClient=…&mcc_mnc=20801&cost=1
//
// It returns "" when the message has no notification_url.
func (s *Server) deliveryURLLocked(m *message, number string, st smsmode.Status) string {
	if m.NotificationURL == "" {
		return ""
	}
	var q strings.Builder
	q.WriteString("numero=" + url.QueryEscape(number))
	q.WriteString("&date_reception=" + url.QueryEscape(s.now().In(s.loc).Format(smsmode.LayoutDeliveryDate)))
	q.WriteString("&statut=" + strconv.Itoa(int(st)))
	q.WriteString("&smsID=" + url.QueryEscape(m.cbID))
	if m.RefClient != "" {
		q.WriteString("&refClient=" + url.QueryEscape(m.RefClient))
	}
	if strings.HasPrefix(number, "33") {
		q.WriteString("&mcc_mnc=" + mccMNCFrance)
	}
	q.WriteString("&cost=" + formatCredits(float64(m.segmentsFor(number))))
	return withQuery(m.NotificationURL, q.String())
}

// reply is a received answer to a classe_msg=4 message.
type reply struct {
	id         string
	receivedAt time.Time
	from, text string
	to         string
	smsID      string
}

// Reply simulates the recipient from (international or French national
// digits) answering text to a classe_msg=4 message designated by its smsID
// (or campagneID). The reply is listed by responseList.do and, when the
// message had a notification_url_reponse, sent to it the way the provider
// does. It returns the reply's responseID; the error reports an unknown
// message or recipient, a message not sent with classe_msg=4 (nobody can
// answer it), a failed or non-2xx callback, or a closed server.
func (s *Server) Reply(smsID, from, text string) (responseID string, err error) {
	if n, ok := normalizeNumber(from); ok {
		from = n
	}
	s.mu.Lock()
	if s.cbClosed {
		s.mu.Unlock()
		return "", errClosed
	}
	m := s.recipientLocked(smsID, from)
	if m == nil {
		s.mu.Unlock()
		return "", refuse(http.StatusNotFound, "smsmodetest: no live message %q to %s", smsID, from)
	}
	if m.Class != 4 {
		s.mu.Unlock()
		return "", refuse(http.StatusUnprocessableEntity, "smsmodetest: message %q has classe_msg=%d: only classe_msg=4 can be answered", smsID, m.Class)
	}
	r := &reply{id: s.newIDLocked(), receivedAt: s.now(), from: from, text: text, to: ShortCode, smsID: m.cbID}
	s.replies = append(s.replies, r)
	if m.ReplyURL == "" {
		s.mu.Unlock()
		return r.id, nil
	}
	var q strings.Builder
	q.WriteString("numero=" + ShortCode)
	q.WriteString("&message=" + url.QueryEscape(text)) // UTF-8
	q.WriteString("&emetteur=" + url.QueryEscape(from))
	q.WriteString("&date_reception=" + r.receivedAt.In(s.loc).Format(smsmode.LayoutReplyDate))
	q.WriteString("&smsID=" + url.QueryEscape(m.cbID))
	if m.RefClient != "" {
		q.WriteString("&refClient=" + url.QueryEscape(m.RefClient))
	}
	q.WriteString("&responseID=" + r.id)
	u := withQuery(m.ReplyURL, q.String())
	s.cbWG.Add(1)
	s.mu.Unlock()
	defer s.cbWG.Done()
	return r.id, s.call(CallbackReply, u)
}

// refusal is an error of Deliver or Reply that refuses the call, with the
// HTTP status the control API answers for it.
type refusal struct {
	status int
	msg    string
}

func (e *refusal) Error() string { return e.msg }

func refuse(status int, format string, args ...any) error {
	return &refusal{status: status, msg: fmt.Sprintf(format, args...)}
}

// callbackError is a callback that failed or answered a non-2xx status.
type callbackError struct{ err error }

func (e *callbackError) Error() string { return e.err.Error() }
func (e *callbackError) Unwrap() error { return e.err }

// withQuery appends query to a notification URL that may have one already.
func withQuery(base, query string) string {
	switch {
	case !strings.Contains(base, "?"):
		return base + "?" + query
	case strings.HasSuffix(base, "?"), strings.HasSuffix(base, "&"):
		return base + query
	}
	return base + "&" + query
}

// call makes one callback (HTTP GET, as the reference says) and records it.
func (s *Server) call(kind, u string) error {
	// Bound concurrent callbacks: a load test accepting thousands of
	// messages with automatic reports would otherwise open as many
	// connections to the application at once.
	s.cbSlots <- struct{}{}
	defer func() { <-s.cbSlots }()
	cb := Callback{Kind: kind, URL: u, Time: s.now()}
	err := func() error {
		req, err := http.NewRequest(http.MethodGet, u, nil)
		if err != nil {
			return err
		}
		req.Header.Set("User-Agent", "smsmodetest")
		resp, err := s.cbClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		// Drain a little so the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		cb.StatusCode = resp.StatusCode
		return nil
	}()
	if err != nil {
		cb.Err = err.Error()
	} else if cb.StatusCode < 200 || cb.StatusCode > 299 {
		err = errors.New("HTTP " + strconv.Itoa(cb.StatusCode))
	}
	if err != nil {
		err = &callbackError{fmt.Errorf("smsmodetest: %s callback %s: %w", kind, u, err)}
	}
	s.mu.Lock()
	s.callbacks.add(cb)
	s.mu.Unlock()
	return err
}
