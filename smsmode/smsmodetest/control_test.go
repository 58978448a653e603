package smsmodetest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/smsmode"
)

// ctl calls the control API of s; body is marshalled to JSON unless it is
// a string, sent as is.
func ctl(t *testing.T, s *Server, method, path string, body any) (int, []byte) {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		require.NoError(t, err)
		r = bytes.NewReader(j)
	}
	base := strings.TrimSuffix(s.URL, "/http/1.6/")
	req, err := http.NewRequest(method, base+path, r)
	require.NoError(t, err)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		require.True(t, json.Valid(out), "%s %s: %q", method, path, out)
	}
	return res.StatusCode, out
}

func ctlMessages(t *testing.T, s *Server, query string) []messageJSON {
	t.Helper()
	status, body := ctl(t, s, http.MethodGet, "/_fake/messages"+query, nil)
	require.Equal(t, http.StatusOK, status, "%s", body)
	var out []messageJSON
	require.NoError(t, json.Unmarshal(body, &out))
	return out
}

func ctlErr(t *testing.T, body []byte) string {
	t.Helper()
	var e struct{ Error string }
	require.NoError(t, json.Unmarshal(body, &e), "%s", body)
	require.NotEmpty(t, e.Error)
	return e.Error
}

func TestControlAPIOnlyWhenAsked(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	status, _ := ctl(t, s, http.MethodGet, "/_fake/messages", nil)
	require.Equal(t, http.StatusNotFound, status)
}

func TestControlMessages(t *testing.T) {
	t.Parallel()
	s := newServer(t, WithControlAPI())
	c := s.Client()
	ctx := context.Background()
	one, err := c.SendSMS(ctx, &smsmode.SMS{Numbers: []string{"33612345678", "447911123456"}, Message: "Soldes ☺", Class: smsmode.ClassUnicode, Stop: smsmode.StopIfFree, RefClient: "r-1"})
	require.NoError(t, err)
	camp, err := c.SendBatch(ctx, &smsmode.Batch{Rows: []smsmode.BatchRow{{Number: "33600000001", Message: "a"}, {Number: "33600000002", Message: "b"}}})
	require.NoError(t, err)
	before := s.RequestCount("")

	all := ctlMessages(t, s, "")
	require.Len(t, all, 3)
	m := all[0]
	require.Equal(t, one.SMSID, m.SMSID)
	require.Equal(t, "sendSMS.do", m.Endpoint)
	require.Equal(t, []string{"33612345678", "447911123456"}, m.Numbers)
	require.Equal(t, "Soldes ☺ STOP 36034", m.Text)
	require.Equal(t, map[string]string{"33612345678": "Soldes ☺ STOP 36034", "447911123456": "Soldes ☺ no-sms.eu"}, m.Texts)
	require.Equal(t, 9, m.Class)
	require.True(t, m.Unicode)
	require.Equal(t, "r-1", m.RefClient)
	require.Equal(t, map[string]int{"33612345678": 0, "447911123456": 0}, m.Statuses)
	require.Equal(t, 2.0, m.Cost)
	require.Nil(t, m.SendAt)

	rows := ctlMessages(t, s, "?id="+camp.SMSID)
	require.Len(t, rows, 2)
	require.Equal(t, camp.SMSID, rows[0].CampaignID)
	require.Equal(t, "sendSMSBatch.do", rows[1].Endpoint)
	require.Len(t, ctlMessages(t, s, "?id="+rows[1].SMSID), 1)
	require.Len(t, ctlMessages(t, s, "?number=0600000002"), 1, "national numbers are accepted")
	require.Empty(t, ctlMessages(t, s, "?id=nope"))

	_, raw := ctl(t, s, http.MethodGet, "/_fake/messages", nil)
	require.NotContains(t, string(raw), AccessToken, "no credential")
	require.Equal(t, before, s.RequestCount(""), "control calls are not provider requests")

	status, index := ctl(t, s, http.MethodGet, "/_fake/", nil)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, string(index), "POST   /_fake/replies")
	status, body := ctl(t, s, http.MethodGet, "/_fake/nothing", nil)
	require.Equal(t, http.StatusNotFound, status)
	require.Contains(t, ctlErr(t, body), "no such control route")
	status, body = ctl(t, s, http.MethodDelete, "/_fake/messages", nil)
	require.Equal(t, http.StatusNotFound, status)
	require.Contains(t, ctlErr(t, body), "DELETE /_fake/messages")
}

func TestControlReplies(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	s := newServer(t, WithControlAPI())
	c := s.Client()
	ctx := context.Background()
	res, err := c.SendSMS(ctx, &smsmode.SMS{Numbers: []string{"33612345678"}, Message: "Venez-vous ? OUI/NON", Class: smsmode.ClassReply, ReplyURL: rc.URL + "/mo", RefClient: "rdv-9"})
	require.NoError(t, err)

	status, body := ctl(t, s, http.MethodPost, "/_fake/replies", map[string]string{"sms_id": res.SMSID, "from": "0612345678", "text": "OUI, à 10 h ☺"})
	require.Equal(t, http.StatusCreated, status, "%s", body)
	var created struct {
		ResponseID string `json:"response_id"`
	}
	require.NoError(t, json.Unmarshal(body, &created))
	require.Regexp(t, idPattern, created.ResponseID)

	// The reply callback was made, and responseList.do lists it.
	got := rc.got()
	require.Len(t, got, 1)
	require.Contains(t, got[0], "/mo?numero=36034&message=OUI%2C+%C3%A0+10+h+%E2%98%BA&emetteur=33612345678&")
	require.Contains(t, got[0], "&smsID="+res.SMSID+"&refClient=rdv-9&responseID="+created.ResponseID)
	replies, err := c.Responses(ctx, smsmode.ResponseQuery{})
	require.NoError(t, err)
	require.Len(t, replies, 1)
	require.Equal(t, created.ResponseID, replies[0].ID)
	require.Equal(t, "33612345678", replies[0].From)

	plain, err := c.SendSMS(ctx, &smsmode.SMS{Numbers: []string{"33612345678"}, Message: "x"})
	require.NoError(t, err)
	for _, tc := range []struct {
		name   string
		body   any
		status int
		in     string
	}{
		{"unknown message", map[string]string{"sms_id": "nope", "from": "33612345678", "text": "x"}, http.StatusNotFound, "no live message"},
		{"not a recipient", map[string]string{"sms_id": res.SMSID, "from": "33699999999", "text": "x"}, http.StatusNotFound, "no live message"},
		{"not classe_msg=4", map[string]string{"sms_id": plain.SMSID, "from": "33612345678", "text": "x"}, http.StatusUnprocessableEntity, "classe_msg=4"},
		{"missing text", map[string]string{"sms_id": res.SMSID, "from": "33612345678"}, http.StatusBadRequest, "required"},
		{"unknown field", `{"sms_id":"x","from":"y","text":"z","txt":"w"}`, http.StatusBadRequest, "unknown field"},
		{"not JSON", `sms_id=x`, http.StatusBadRequest, "malformed JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := ctl(t, s, http.MethodPost, "/_fake/replies", tc.body)
			require.Equal(t, tc.status, status, "%s", body)
			require.Contains(t, ctlErr(t, body), tc.in)
		})
	}

	// The reply is recorded even when the application's callback fails.
	rc.setStatus(http.StatusInternalServerError)
	status, body = ctl(t, s, http.MethodPost, "/_fake/replies", map[string]string{"sms_id": res.SMSID, "from": "33612345678", "text": "NON"})
	require.Equal(t, http.StatusBadGateway, status)
	require.Contains(t, ctlErr(t, body), "HTTP 500")
	require.Contains(t, string(body), `"response_id"`)
	replies, err = c.Responses(ctx, smsmode.ResponseQuery{})
	require.NoError(t, err)
	require.Len(t, replies, 2)
}

func TestControlDeliveries(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	s := newServer(t, WithControlAPI())
	c := s.Client()
	ctx := context.Background()
	res, err := c.SendSMS(ctx, &smsmode.SMS{Numbers: []string{"33612345678", "33698765432"}, Message: "x", NotificationURL: rc.URL + "/dr", RefClient: "t-1"})
	require.NoError(t, err)

	status, body := ctl(t, s, http.MethodPost, "/_fake/deliveries", map[string]any{"sms_id": res.SMSID, "number": "0612345678", "status": 11})
	require.Equal(t, http.StatusNoContent, status, "%s", body)
	got := rc.got()
	require.Len(t, got, 1)
	require.Contains(t, got[0], "/dr?numero=33612345678&date_reception=")
	require.Contains(t, got[0], "&statut=11&smsID="+res.SMSID+"&refClient=t-1&mcc_mnc=20801&cost=1")
	rs, err := c.DeliveryReport(ctx, res.SMSID)
	require.NoError(t, err)
	require.Equal(t, []smsmode.RecipientStatus{{Number: "33612345678", Status: 11}, {Number: "33698765432", Status: 0}}, rs)
	st, err := c.SMSStatus(ctx, res.SMSID)
	require.NoError(t, err)
	require.Equal(t, smsmode.StatusPartiallyReceived, st.Status)

	voice, err := c.SendVoice(ctx, &smsmode.Voice{Numbers: []string{"33612345678"}, Message: "Bonjour"})
	require.NoError(t, err)
	for _, tc := range []struct {
		name   string
		body   any
		status int
		in     string
	}{
		{"unknown message", map[string]any{"sms_id": "nope", "number": "33612345678", "status": 11}, http.StatusNotFound, "no live message"},
		{"SMS status for a voice message", map[string]any{"sms_id": voice.SMSID, "number": "33612345678", "status": 11}, http.StatusUnprocessableEntity, "voice message"},
		{"voice status for an SMS", map[string]any{"sms_id": res.SMSID, "number": "33612345678", "status": 16}, http.StatusUnprocessableEntity, "voice messages"},
		{"missing status", map[string]any{"sms_id": res.SMSID, "number": "33612345678"}, http.StatusBadRequest, "required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := ctl(t, s, http.MethodPost, "/_fake/deliveries", tc.body)
			require.Equal(t, tc.status, status, "%s", body)
			require.Contains(t, ctlErr(t, body), tc.in)
		})
	}
	status, _ = ctl(t, s, http.MethodPost, "/_fake/deliveries", map[string]any{"sms_id": voice.SMSID, "number": "33612345678", "status": 16})
	require.Equal(t, http.StatusNoContent, status)
	st, err = c.SMSStatus(ctx, voice.SMSID)
	require.NoError(t, err)
	require.Equal(t, smsmode.StatusListened, st.Status)

	rc.setStatus(http.StatusServiceUnavailable)
	status, body = ctl(t, s, http.MethodPost, "/_fake/deliveries", map[string]any{"sms_id": res.SMSID, "number": "33698765432", "status": 13})
	require.Equal(t, http.StatusBadGateway, status)
	require.Contains(t, ctlErr(t, body), "HTTP 503")
}

func TestControlFaults(t *testing.T) {
	t.Parallel()
	s := newServer(t, WithControlAPI())
	c := s.Client()
	ctx := context.Background()
	send := func() error {
		_, err := c.SendSMS(ctx, &smsmode.SMS{Numbers: []string{"33612345678"}, Message: "x"})
		return err
	}
	fault := func(f map[string]any) {
		t.Helper()
		status, body := ctl(t, s, http.MethodPost, "/_fake/faults", f)
		require.Equal(t, http.StatusNoContent, status, "%s", body)
	}

	fault(map[string]any{"kind": "code", "endpoint": "sendSMS.do", "code": 50, "times": 2})
	for range 2 {
		var pe *smsmode.Error
		require.ErrorAs(t, send(), &pe)
		require.Equal(t, smsmode.CodeTemporarilyUnavailable, pe.Code)
	}
	require.NoError(t, send(), "consumed")

	fault(map[string]any{"kind": "http", "endpoint": "sendSMS", "status": 502})
	var he *smsmode.HTTPError
	require.ErrorAs(t, send(), &he)
	require.Equal(t, 502, he.StatusCode)

	n := len(s.Messages())
	fault(map[string]any{"kind": "drop", "endpoint": "sendSMS.do"})
	var te *smsmode.TransportError
	require.ErrorAs(t, send(), &te)
	require.Len(t, s.Messages(), n, "dropped before processing")

	for _, f := range []map[string]any{
		{"kind": "drop_after_accept", "endpoint": "sendSMS.do"},
		{"kind": "accept_then_code", "endpoint": "sendSMS.do", "code": 31},
		{"kind": "accept_then_http", "endpoint": "sendSMS.do", "status": 504},
	} {
		fault(f)
		err := send()
		require.True(t, smsmode.IsAmbiguous(err), "%v: %v", f, err)
		n++
		require.Len(t, s.Messages(), n, "%v: accepted before the failure", f)
	}

	fault(map[string]any{"kind": "number", "number": "0612345678", "code": 33})
	var pe *smsmode.Error
	require.ErrorAs(t, send(), &pe)
	require.Equal(t, smsmode.CodeInsufficientCredit, pe.Code)
	fault(map[string]any{"kind": "number", "number": "0612345678", "code": 0})
	require.NoError(t, send(), "code 0 removes a failing number")

	fault(map[string]any{"kind": "code", "code": 32, "times": -1})
	for range 3 {
		_, err := c.Credit(ctx)
		require.ErrorAs(t, err, &pe)
	}
	status, _ := ctl(t, s, http.MethodDelete, "/_fake/faults", nil)
	require.Equal(t, http.StatusNoContent, status)
	_, err := c.Credit(ctx)
	require.NoError(t, err)

	for _, tc := range []struct {
		name string
		body any
		in   string
	}{
		{"unknown kind", map[string]any{"kind": "explode"}, "unknown fault kind"},
		{"unknown endpoint", map[string]any{"kind": "code", "endpoint": "sendSms.do", "code": 50}, "unknown endpoint"},
		{"code missing", map[string]any{"kind": "accept_then_code", "endpoint": "sendSMS.do"}, "needs a code"},
		{"status missing", map[string]any{"kind": "http", "endpoint": "sendSMS.do"}, "HTTP status"},
		{"number missing", map[string]any{"kind": "number", "code": 31}, "needs number and code"},
		{"misspelt field", map[string]any{"kind": "code", "code": 50, "time": 2}, "unknown field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := ctl(t, s, http.MethodPost, "/_fake/faults", tc.body)
			require.Equal(t, http.StatusBadRequest, status)
			require.Contains(t, ctlErr(t, body), tc.in)
		})
	}
}

func TestControlCreditAndReset(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	s := newServer(t, WithControlAPI(), WithCredit(50))
	c := s.Client()
	ctx := context.Background()

	status, body := ctl(t, s, http.MethodGet, "/_fake/credit", nil)
	require.Equal(t, http.StatusOK, status)
	require.JSONEq(t, `{"credit": 50}`, string(body))
	status, _ = ctl(t, s, http.MethodPut, "/_fake/credit", map[string]any{"credit": 1})
	require.Equal(t, http.StatusNoContent, status)
	_, err := c.SendSMS(ctx, &smsmode.SMS{Numbers: []string{"33612345678", "33698765432"}, Message: "x"})
	var pe *smsmode.Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, smsmode.CodeInsufficientCredit, pe.Code)
	status, body = ctl(t, s, http.MethodPut, "/_fake/credit", map[string]any{})
	require.Equal(t, http.StatusBadRequest, status, "%s", body)

	// State to forget.
	s.SetCredit(40)
	s.AddGroup("g", "33612345678")
	_, err = c.SendSMS(ctx, &smsmode.SMS{Group: "g", Message: "x", NotificationURL: rc.URL, SendAt: s.now().Add(24 * 60 * 60 * 1e9)})
	require.NoError(t, err)
	s.FailNext("credit.do", smsmode.CodeInternalError, -1)
	require.NotEmpty(t, s.Messages())

	status, _ = ctl(t, s, http.MethodPost, "/_fake/reset", nil)
	require.Equal(t, http.StatusNoContent, status)
	require.Empty(t, s.Messages())
	require.Empty(t, s.Requests())
	require.Zero(t, s.RequestCount(""))
	require.Equal(t, 50.0, s.Credit(), "back to the initial balance")
	_, ok := s.Group("g")
	require.False(t, ok)
	v, err := c.Credit(ctx)
	require.NoError(t, err, "faults are gone")
	require.Equal(t, 50.0, v)
	require.Empty(t, ctlMessages(t, s, ""))
	s.mu.Lock()
	require.Empty(t, s.timers, "the scheduled message's reports are cancelled")
	s.mu.Unlock()
	_, err = c.SendSMS(ctx, &smsmode.SMS{Numbers: []string{"33612345678"}, Message: "x"})
	require.NoError(t, err, "the credentials still work")
}
