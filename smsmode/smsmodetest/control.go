package smsmodetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/smsq/smsq/smsmode"
)

// ControlPrefix is the path of the control API (WithControlAPI), apart from
// the provider's /http/1.6/ and /http/2.0/.
const ControlPrefix = "/_fake/"

// WithControlAPI serves, under ControlPrefix, a small JSON API that drives
// the server over HTTP the way the Go methods do, for tests written in other
// languages against the smsmode-fake command:
//
//	GET    /_fake/messages             accepted messages, oldest first (?id=smsID or campagneID, ?number=)
//	POST   /_fake/replies              {"sms_id", "from", "text"}: a recipient answers (Reply)
//	POST   /_fake/deliveries           {"sms_id", "number", "status"}: a delivery report (Deliver)
//	POST   /_fake/faults               {"kind", "endpoint", "code", "status", "times", "number"}: script a fault
//	DELETE /_fake/faults               remove every fault (ClearFaults)
//	GET    /_fake/credit               {"credit": 1000}
//	PUT    /_fake/credit               {"credit": 5}: set the balance (SetCredit)
//	POST   /_fake/reset                forget the account's state (Reset)
//
// Fault kinds are the Go API's: "code" (FailNext), "http" (FailHTTP),
// "drop" (DropNext), "drop_after_accept" (DropAfterAccept),
// "accept_then_code" (AcceptThenFail), "accept_then_http"
// (AcceptThenFailHTTP) and "number" (FailNumber; code 0 removes it).
// "endpoint" is a provider endpoint ("sendSMS.do", "" for any), "times" the
// number of requests (default 1, negative until cleared).
//
// Errors are JSON {"error": "…"}: 400 for a malformed request, 404 for an
// unknown message or recipient, 422 for a reply to a message that cannot
// be answered or a status of the wrong kind, 502 when the callback the
// provider makes failed (the status or reply is recorded all the same).
// The control API has no authentication and is never recorded among
// Requests; it sees no credential and shows none.
func WithControlAPI() Option { return func(s *Server) { s.control = true } }

// controlHandler serves the control API of s.
func (s *Server) controlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+ControlPrefix+"{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, controlIndex)
	})
	mux.HandleFunc("GET "+ControlPrefix+"messages", s.ctlMessages)
	mux.HandleFunc("POST "+ControlPrefix+"replies", s.ctlReply)
	mux.HandleFunc("POST "+ControlPrefix+"deliveries", s.ctlDeliver)
	mux.HandleFunc("POST "+ControlPrefix+"faults", s.ctlAddFault)
	mux.HandleFunc("DELETE "+ControlPrefix+"faults", func(w http.ResponseWriter, _ *http.Request) {
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET "+ControlPrefix+"credit", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]float64{"credit": s.Credit()})
	})
	mux.HandleFunc("PUT "+ControlPrefix+"credit", s.ctlSetCredit)
	mux.HandleFunc("POST "+ControlPrefix+"reset", func(w http.ResponseWriter, _ *http.Request) {
		s.Reset()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc(ControlPrefix, func(w http.ResponseWriter, r *http.Request) {
		ctlError(w, http.StatusNotFound, "no such control route: "+r.Method+" "+r.URL.Path+" (GET "+ControlPrefix+" lists them)")
	})
	return mux
}

const controlIndex = `smsmode fake: control API
GET    /_fake/messages      accepted messages (?id=, ?number=)
POST   /_fake/replies       {"sms_id","from","text"}
POST   /_fake/deliveries    {"sms_id","number","status"}
POST   /_fake/faults        {"kind","endpoint","code","status","times","number"}
DELETE /_fake/faults
GET    /_fake/credit
PUT    /_fake/credit        {"credit"}
POST   /_fake/reset
`

// messageJSON is a Message as the control API shows it.
type messageJSON struct {
	SMSID           string            `json:"sms_id"`
	CampaignID      string            `json:"campaign_id,omitempty"`
	Endpoint        string            `json:"endpoint"`
	Numbers         []string          `json:"numbers"`
	Group           string            `json:"group,omitempty"`
	Text            string            `json:"text"`
	Texts           map[string]string `json:"texts,omitempty"` // per recipient, when the STOP mention differs
	Class           int               `json:"class"`
	Unicode         bool              `json:"unicode"`
	Sender          string            `json:"sender,omitempty"`
	RefClient       string            `json:"ref_client,omitempty"`
	SendAt          *time.Time        `json:"send_at,omitempty"`
	MaxParts        int               `json:"max_parts"`
	Stop            int               `json:"stop"`
	Truncated       bool              `json:"truncated"`
	NotificationURL string            `json:"notification_url,omitempty"`
	ReplyURL        string            `json:"reply_url,omitempty"`
	Title           string            `json:"title,omitempty"`
	Language        string            `json:"language,omitempty"`
	Segments        int               `json:"segments"`
	Cost            float64           `json:"cost"`
	Statuses        map[string]int    `json:"statuses"`
	Scheduled       bool              `json:"scheduled"`
	Deleted         bool              `json:"deleted"`
	AcceptedAt      time.Time         `json:"accepted_at"`
}

func newMessageJSON(m Message) messageJSON {
	j := messageJSON{
		SMSID: m.SMSID, CampaignID: m.CampaignID, Endpoint: m.Endpoint, Numbers: m.Numbers,
		Group: m.Group, Text: m.Text, Class: m.Class, Unicode: m.Unicode, Sender: m.Sender,
		RefClient: m.RefClient, MaxParts: m.MaxParts, Stop: m.Stop, Truncated: m.Truncated,
		NotificationURL: m.NotificationURL, ReplyURL: m.ReplyURL, Title: m.Title, Language: m.Language,
		Segments: m.Segments, Cost: m.Cost, Statuses: make(map[string]int, len(m.Statuses)),
		Scheduled: m.Scheduled(), Deleted: m.Deleted, AcceptedAt: m.AcceptedAt,
	}
	if !m.SendAt.IsZero() {
		at := m.SendAt
		j.SendAt = &at
	}
	for n, st := range m.Statuses {
		j.Statuses[n] = int(st)
	}
	for _, n := range m.Numbers {
		if t := m.TextFor(n); t != m.Text {
			j.Texts = make(map[string]string, len(m.Numbers))
			for _, n := range m.Numbers {
				j.Texts[n] = m.TextFor(n)
			}
			break
		}
	}
	return j
}

func (s *Server) ctlMessages(w http.ResponseWriter, r *http.Request) {
	id, number := r.URL.Query().Get("id"), r.URL.Query().Get("number")
	if n, ok := normalizeNumber(number); ok {
		number = n
	}
	out := []messageJSON{}
	for _, m := range s.Messages() {
		if id != "" && m.SMSID != id && m.CampaignID != id {
			continue
		}
		if number != "" && !slices.Contains(m.Numbers, number) {
			continue
		}
		out = append(out, newMessageJSON(m))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) ctlReply(w http.ResponseWriter, r *http.Request) {
	var req struct {
		SMSID string `json:"sms_id"`
		From  string `json:"from"`
		Text  string `json:"text"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	if req.SMSID == "" || req.From == "" || req.Text == "" {
		ctlError(w, http.StatusBadRequest, "sms_id, from and text are required")
		return
	}
	id, err := s.Reply(req.SMSID, req.From, req.Text)
	switch {
	case err == nil:
		writeJSON(w, http.StatusCreated, map[string]string{"response_id": id})
	case id != "": // recorded, but the callback failed
		writeJSON(w, http.StatusBadGateway, map[string]string{"response_id": id, "error": err.Error()})
	default:
		ctlFailure(w, err)
	}
}

func (s *Server) ctlDeliver(w http.ResponseWriter, r *http.Request) {
	var req struct {
		SMSID  string `json:"sms_id"`
		Number string `json:"number"`
		Status *int   `json:"status"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	if req.SMSID == "" || req.Number == "" || req.Status == nil {
		ctlError(w, http.StatusBadRequest, "sms_id, number and status are required")
		return
	}
	if err := s.Deliver(req.SMSID, req.Number, smsmode.Status(*req.Status)); err != nil {
		ctlFailure(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// faultKinds maps the control API's fault kinds to the Go API's.
var faultKinds = map[string]faultKind{
	"code":              faultCode,
	"http":              faultHTTP,
	"drop":              faultDrop,
	"drop_after_accept": faultDropAfter,
	"accept_then_code":  faultAcceptThenCode,
	"accept_then_http":  faultAcceptThenHTTP,
}

func (s *Server) ctlAddFault(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Kind     string `json:"kind"`
		Endpoint string `json:"endpoint"`
		Code     *int   `json:"code"`
		Status   int    `json:"status"`
		Times    *int   `json:"times"`
		Number   string `json:"number"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	if req.Kind == "number" {
		if req.Number == "" || req.Code == nil {
			ctlError(w, http.StatusBadRequest, `kind "number" needs number and code`)
			return
		}
		s.FailNumber(req.Number, smsmode.Code(*req.Code))
		w.WriteHeader(http.StatusNoContent)
		return
	}
	kind, ok := faultKinds[req.Kind]
	if !ok {
		ctlError(w, http.StatusBadRequest, fmt.Sprintf("unknown fault kind %q (want code, http, drop, drop_after_accept, accept_then_code, accept_then_http or number)", req.Kind))
		return
	}
	f := fault{kind: kind, endpoint: req.Endpoint, status: req.Status, times: 1}
	if req.Times != nil {
		f.times = *req.Times
	}
	switch kind {
	case faultCode, faultAcceptThenCode:
		if req.Code == nil {
			ctlError(w, http.StatusBadRequest, "this fault needs a code")
			return
		}
		f.code = smsmode.Code(*req.Code)
	case faultHTTP, faultAcceptThenHTTP:
		if req.Status < 100 || req.Status > 599 {
			ctlError(w, http.StatusBadRequest, "this fault needs an HTTP status (100 to 599)")
			return
		}
	}
	if err := s.tryAddFault(f); err != nil {
		ctlError(w, http.StatusBadRequest, err.Error())
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) ctlSetCredit(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Credit *float64 `json:"credit"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	if req.Credit == nil {
		ctlError(w, http.StatusBadRequest, "credit is required")
		return
	}
	s.SetCredit(*req.Credit)
	w.WriteHeader(http.StatusNoContent)
}

// readJSON decodes the request's JSON object into v, refusing unknown
// fields (a misspelt field would otherwise be silently ignored).
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		ctlError(w, http.StatusBadRequest, "malformed JSON: "+strings.TrimPrefix(err.Error(), "json: "))
		return false
	}
	return true
}

// ctlFailure answers an error of Deliver or Reply.
func ctlFailure(w http.ResponseWriter, err error) {
	var rf *refusal
	var cb *callbackError
	switch {
	case errors.As(err, &rf):
		ctlError(w, rf.status, err.Error())
	case errors.As(err, &cb):
		ctlError(w, http.StatusBadGateway, err.Error())
	default:
		ctlError(w, http.StatusInternalServerError, err.Error())
	}
}

func ctlError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil { // only plain values are written
		panic(err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
