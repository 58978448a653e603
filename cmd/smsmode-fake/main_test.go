package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/smsmode/smsmodetest"
)

// start runs the command's server on a free port, as a test in another
// language would run the binary.
func start(t *testing.T, args ...string) (srv *smsmodetest.Server, control string, stderr string) {
	t.Helper()
	var buf bytes.Buffer
	srv, err := newServer(append([]string{"-addr", "127.0.0.1:0"}, args...), &buf)
	require.NoError(t, err)
	t.Cleanup(srv.Close)
	return srv, strings.TrimSuffix(srv.URL, "/http/1.6/") + "/_fake/", buf.String()
}

// call makes a JSON request to the control API.
func call(t *testing.T, method, u string, body any) (int, map[string]any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, u, r)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	var out map[string]any
	if len(raw) > 0 && raw[0] == '{' {
		require.NoError(t, json.Unmarshal(raw, &out))
	}
	return res.StatusCode, out
}

func messages(t *testing.T, control, query string) []map[string]any {
	t.Helper()
	res, err := http.Get(control + "messages" + query)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, "application/json", res.Header.Get("Content-Type"))
	var out []map[string]any
	require.NoError(t, json.NewDecoder(res.Body).Decode(&out))
	return out
}

// hook records the callbacks an application would receive.
type hook struct {
	*httptest.Server
	mu  sync.Mutex
	got []url.Values
}

func newHook(t *testing.T) *hook {
	h := &hook{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.got = append(h.got, r.URL.Query())
		h.mu.Unlock()
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hook) calls() []url.Values {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]url.Values(nil), h.got...)
}

func TestFlags(t *testing.T) {
	t.Parallel()
	srv, control, stderr := start(t, "-credit", "7", "-token", "MyOwnToken12", "-fail-number", "33699999999:33", "-auto-delivery=false")
	require.Contains(t, stderr, "serving "+srv.URL)
	require.Contains(t, stderr, "control API at "+control)
	require.NotContains(t, stderr, "MyOwnToken12", "the extra token is not printed")

	c, err := smsmode.NewClient(smsmode.Config{BaseURL: srv.URL, AccessToken: "MyOwnToken12"})
	require.NoError(t, err)
	ctx := context.Background()
	v, err := c.Credit(ctx)
	require.NoError(t, err)
	require.Equal(t, 7.0, v)
	_, err = c.SendSMS(ctx, &smsmode.SMS{Numbers: []string{"33699999999"}, Message: "x"})
	var pe *smsmode.Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, smsmode.CodeInsufficientCredit, pe.Code)

	for _, bad := range [][]string{{"-fail-number", "33699999999"}, {"-fail-number", ":31"}, {"-credit", "x"}, {"extra"}, {"-addr", "256.0.0.1:0"}} {
		var buf bytes.Buffer
		_, err := newServer(append([]string{"-addr", "127.0.0.1:0"}, bad...), &buf)
		require.Error(t, err, "%q", bad)
	}
	_, off, _ := start(t, "-control=false")
	res, err := http.Get(off + "messages")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusNotFound, res.StatusCode)
}

// TestControlOverHTTP drives a whole scenario the way a test in another
// language would: send through the provider's API, then produce a reply
// and a delivery report, script faults, read the messages, reset.
func TestControlOverHTTP(t *testing.T) {
	t.Parallel()
	srv, control, _ := start(t, "-auto-delivery=false", "-credit", "100")
	h := newHook(t)
	c := srv.Client()
	ctx := context.Background()

	res, err := c.SendSMS(ctx, &smsmode.SMS{
		Numbers: []string{"33612345678"}, Message: "Confirmez-vous ? OUI/NON", Class: smsmode.ClassReply,
		NotificationURL: h.URL + "/dr", ReplyURL: h.URL + "/mo", RefClient: "rdv-1",
	})
	require.NoError(t, err)

	list := messages(t, control, "")
	require.Len(t, list, 1)
	require.Equal(t, res.SMSID, list[0]["sms_id"])
	require.Equal(t, "Confirmez-vous ? OUI/NON", list[0]["text"])
	require.Equal(t, map[string]any{"33612345678": 0.0}, list[0]["statuses"])

	// A delivery report, then a reply, each reaching the application.
	status, body := call(t, http.MethodPost, control+"deliveries", map[string]any{"sms_id": res.SMSID, "number": "33612345678", "status": 11})
	require.Equal(t, http.StatusNoContent, status, "%v", body)
	status, body = call(t, http.MethodPost, control+"replies", map[string]any{"sms_id": res.SMSID, "from": "33612345678", "text": "OUI"})
	require.Equal(t, http.StatusCreated, status, "%v", body)
	require.NotEmpty(t, body["response_id"])
	calls := h.calls()
	require.Len(t, calls, 2)
	require.Equal(t, "11", calls[0].Get("statut"))
	require.Equal(t, res.SMSID, calls[0].Get("smsID"))
	require.Equal(t, "rdv-1", calls[0].Get("refClient"))
	require.Equal(t, "OUI", calls[1].Get("message"))
	require.Equal(t, "33612345678", calls[1].Get("emetteur"))
	require.Equal(t, body["response_id"], calls[1].Get("responseID"))
	replies, err := c.Responses(ctx, smsmode.ResponseQuery{})
	require.NoError(t, err)
	require.Len(t, replies, 1, "responseList.do lists the reply")
	require.Equal(t, 11.0, messages(t, control, "?id="+res.SMSID)[0]["statuses"].(map[string]any)["33612345678"])

	// A fault scripted over HTTP: accepted, then a gateway timeout.
	status, body = call(t, http.MethodPost, control+"faults", map[string]any{"kind": "accept_then_http", "endpoint": "sendSMS.do", "status": 504})
	require.Equal(t, http.StatusNoContent, status, "%v", body)
	_, err = c.SendSMS(ctx, &smsmode.SMS{Numbers: []string{"33612345678"}, Message: "again"})
	require.True(t, smsmode.IsAmbiguous(err), "%v", err)
	require.Len(t, messages(t, control, "?number=33612345678"), 2, "the provider has it")

	status, body = call(t, http.MethodGet, control+"credit", nil)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, 98.0, body["credit"])

	status, _ = call(t, http.MethodPost, control+"reset", nil)
	require.Equal(t, http.StatusNoContent, status)
	require.Empty(t, messages(t, control, ""))
	_, body = call(t, http.MethodGet, control+"credit", nil)
	require.Equal(t, 100.0, body["credit"], "back to -credit")
}

// TestAutoDeliveryOfVoice checks the default -auto-delivery with a voice
// message: it ends listened (16), not received (11).
func TestAutoDeliveryOfVoice(t *testing.T) {
	t.Parallel()
	srv, control, _ := start(t)
	res, err := srv.Client().SendVoice(context.Background(), &smsmode.Voice{Numbers: []string{"33612345678"}, Message: "Bonjour"})
	require.NoError(t, err)
	listened := func() bool { // runs in another goroutine: no require in here
		r, err := http.Get(control + "messages?id=" + res.SMSID)
		if err != nil {
			return false
		}
		defer r.Body.Close()
		var m []struct {
			Statuses map[string]int `json:"statuses"`
		}
		return json.NewDecoder(r.Body).Decode(&m) == nil && len(m) == 1 && m[0].Statuses["33612345678"] == 16
	}
	require.Eventually(t, listened, 5*time.Second, 10*time.Millisecond)
}
