package smsmode_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/smsmode"
)

// errorSink collects every error of a test to check, at the end, that none
// of them carries a credential.
type errorSink struct {
	mu   sync.Mutex
	errs []error
}

func (s *errorSink) add(err error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errs = append(s.errs, err)
	return err
}

func (s *errorSink) assertClean(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, err := range s.errs {
		if err == nil {
			continue
		}
		for _, text := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
			assert.NotContains(t, text, testToken, "token leaked: %s", text)
			assert.NotContains(t, text, testPass, "password leaked: %s", text)
		}
	}
}

func sendOnce(c *smsmode.Client) error {
	_, err := c.SendSMS(context.Background(), &smsmode.SMS{Numbers: []string{"33612345678"}, Message: "Bonjour"})
	return err
}

func TestClassifyProviderCodes(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	sink := &errorSink{}
	for _, tt := range []struct {
		body                                   string
		temporary, internal, permanent, ambigu bool
	}{
		{"50 | Temporairement inaccessible", true, false, false, false},
		{"31 | Erreur interne", false, true, false, true},
		{"32 | Erreur d'authentification", false, false, true, false},
		{"33 | Crédits insuffisants", false, false, true, false},
		{"35 | Paramètre obligatoire manquant", false, false, true, false},
		{"41 | Identifiant déjà existant", false, false, true, false},
		{"61 | SMS non trouvé", false, false, true, false},
		{"77 | Nouveau code", false, false, true, false},
	} {
		for _, auth := range []string{"token", "pseudo"} {
			rec.answer(200, "text/plain", []byte(tt.body))
			c := rec.client(t)
			if auth == "pseudo" {
				c = rec.client(t, func(cfg *smsmode.Config) { cfg.AccessToken, cfg.Pseudo, cfg.Pass = "", testPseudo, testPass })
			}
			err := sink.add(sendOnce(c))
			var pe *smsmode.Error
			require.ErrorAs(t, err, &pe, tt.body)
			assert.Equal(t, tt.temporary, smsmode.IsTemporary(err), "temporary %s", tt.body)
			assert.Equal(t, tt.internal, smsmode.IsInternal(err), "internal %s", tt.body)
			assert.Equal(t, tt.permanent, smsmode.IsPermanent(err), "permanent %s", tt.body)
			assert.Equal(t, tt.ambigu, smsmode.IsAmbiguous(err), "ambiguous %s", tt.body)
			// Wrapping does not change the answer.
			wrapped := fmt.Errorf("task 42: %w", err)
			assert.Equal(t, tt.temporary, smsmode.IsTemporary(wrapped))
			assert.Equal(t, tt.internal, smsmode.IsInternal(wrapped))
			assert.Equal(t, tt.permanent, smsmode.IsPermanent(wrapped))
			assert.Equal(t, tt.ambigu, smsmode.IsAmbiguous(wrapped))
		}
	}
	rec.answer(200, "text/plain", []byte("33 | Crédits insuffisants"))
	assert.EqualError(t, sendOnce(rec.client(t)), "smsmode: sendSMS.do: code 33 Crédits insuffisants")
	sink.assertClean(t)
}

func TestClassifyHTTPStatus(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	sink := &errorSink{}
	c := rec.client(t)
	for _, tt := range []struct {
		status                          int
		temporary, permanent, ambiguous bool
	}{
		// A 5xx may come from a proxy after the provider accepted the send.
		{500, true, false, true}, {502, true, false, true}, {503, true, false, true}, {504, true, false, true},
		// A 4xx says the request was not acted on.
		{429, true, false, false}, {408, true, false, false},
		{400, false, true, false}, {401, false, true, false}, {403, false, true, false}, {404, false, true, false},
	} {
		rec.answer(tt.status, "text/html", []byte("<html><body><h1>Error</h1> echo accessToken="+testToken+"</body></html>"))
		err := sink.add(sendOnce(c))
		var he *smsmode.HTTPError
		require.ErrorAs(t, err, &he, "%d", tt.status)
		assert.Equal(t, tt.status, he.StatusCode)
		assert.Equal(t, "sendSMS.do", he.Endpoint)
		assert.Equal(t, tt.temporary, smsmode.IsTemporary(err), "%d", tt.status)
		assert.Equal(t, tt.permanent, smsmode.IsPermanent(err), "%d", tt.status)
		assert.Equal(t, tt.ambiguous, smsmode.IsAmbiguous(err), "%d", tt.status)
		assert.False(t, smsmode.IsInternal(err))
	}

	rec.mu.Lock()
	rec.header = http.Header{"Retry-After": {"30"}}
	rec.mu.Unlock()
	rec.answer(429, "text/plain", []byte("slow down"))
	err := sink.add(sendOnce(c))
	var he *smsmode.HTTPError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, 30*time.Second, he.RetryAfter)
	assert.Equal(t, "smsmode: sendSMS.do: HTTP 429 Too Many Requests: slow down (retry after 30s)", err.Error())
	sink.assertClean(t)
}

func TestRedirectNotFollowed(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	rec.mu.Lock()
	rec.header = http.Header{"Location": {rec.URL + "/elsewhere"}}
	rec.mu.Unlock()
	rec.answer(301, "text/plain", nil)
	err := sendOnce(rec.client(t))
	var he *smsmode.HTTPError
	require.ErrorAs(t, err, &he)
	assert.Equal(t, 301, he.StatusCode)
	assert.True(t, smsmode.IsPermanent(err))
	assert.True(t, smsmode.IsAmbiguous(err), "a server may redirect after processing a POST")
	assert.Equal(t, 1, rec.count(), "a redirected POST would lose its body: not followed")
}

func TestTransportConnectionRefused(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	c, err := smsmode.NewClient(smsmode.Config{BaseURL: "http://" + addr + "/http/1.6/", AccessToken: testToken, Timeout: 2 * time.Second})
	require.NoError(t, err)
	err = sendOnce(c)
	var te *smsmode.TransportError
	require.ErrorAs(t, err, &te)
	assert.True(t, smsmode.IsTemporary(err))
	assert.False(t, smsmode.IsAmbiguous(err), "nothing was written: safe to retry")
	assert.False(t, smsmode.IsPermanent(err))
	assert.False(t, te.Written)
	var opErr *net.OpError
	assert.ErrorAs(t, err, &opErr, "unwraps to the cause")
	assert.Contains(t, err.Error(), "smsmode: sendSMS.do: POST http://"+addr+"/http/1.6/sendSMS.do: ")
	assert.NotContains(t, err.Error(), testToken)
	assert.NotContains(t, err.Error(), "?")
}

// readThen returns a server whose handler reads the whole request and then
// does something nasty.
func readThen(t *testing.T, after func(w http.ResponseWriter, r *http.Request)) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var got atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		got.Add(1)
		after(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

func TestTransportClosedAfterRequest(t *testing.T) {
	t.Parallel()
	srv, got := readThen(t, func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	})
	c, err := smsmode.NewClient(smsmode.Config{BaseURL: srv.URL + "/http/1.6/", AccessToken: testToken, Timeout: 2 * time.Second})
	require.NoError(t, err)
	err = sendOnce(c)
	var te *smsmode.TransportError
	require.ErrorAs(t, err, &te, "got %v", err)
	assert.Equal(t, int32(1), got.Load(), "a POST is not retried by the transport")
	assert.True(t, te.Written)
	assert.True(t, smsmode.IsTemporary(err))
	assert.True(t, smsmode.IsAmbiguous(err), "the provider read the request: it may have sent the SMS")
	assert.NotContains(t, err.Error(), testToken)
}

func TestTransportHangsPastTimeout(t *testing.T) {
	t.Parallel()
	srv, _ := readThen(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	c, err := smsmode.NewClient(smsmode.Config{BaseURL: srv.URL + "/http/1.6/", AccessToken: testToken, Timeout: 200 * time.Millisecond})
	require.NoError(t, err)
	start := time.Now()
	err = sendOnce(c)
	assert.Less(t, time.Since(start), 2*time.Second, "Config.Timeout bounds the request")
	var te *smsmode.TransportError
	require.ErrorAs(t, err, &te, "got %v", err)
	assert.True(t, te.Timeout())
	assert.True(t, errors.Is(err, context.DeadlineExceeded))
	assert.True(t, smsmode.IsTemporary(err))
	assert.True(t, smsmode.IsAmbiguous(err))
	assert.False(t, smsmode.IsPermanent(err))
	assert.NotContains(t, err.Error(), testToken)

	// The caller's deadline is honoured as well.
	c2, err := smsmode.NewClient(smsmode.Config{BaseURL: srv.URL + "/http/1.6/", AccessToken: testToken, Timeout: time.Minute})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	_, err = c2.SendSMS(ctx, &smsmode.SMS{Numbers: []string{"33612345678"}, Message: "x"})
	assert.True(t, errors.Is(err, context.DeadlineExceeded), "got %v", err)
	assert.True(t, smsmode.IsAmbiguous(err))
}

func TestTransportCancelledBeforeSending(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := rec.client(t).SendSMS(ctx, &smsmode.SMS{Numbers: []string{"33612345678"}, Message: "x"})
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.Canceled))
	assert.False(t, smsmode.IsAmbiguous(err), "nothing was written")
	assert.Zero(t, rec.count())
}

func TestProtocolErrors(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	sink := &errorSink{}
	c := rec.client(t)

	rec.answer(200, "text/plain", []byte("<html>maintenance "+testToken+"</html>"))
	err := sink.add(sendOnce(c))
	var pe *smsmode.ProtocolError
	require.ErrorAs(t, err, &pe)
	assert.True(t, smsmode.IsPermanent(err))
	assert.False(t, smsmode.IsTemporary(err))
	assert.True(t, smsmode.IsAmbiguous(err), "a send's unreadable answer: it may have been accepted")
	assert.Contains(t, pe.Snippet, "maintenance")

	_, err = c.Credit(context.Background())
	sink.add(err)
	require.ErrorAs(t, err, &pe)
	assert.False(t, smsmode.IsAmbiguous(err), "not a send")

	// 1 MiB limit.
	rec.answer(200, "text/plain", bytes.Repeat([]byte("a"), smsmode.MaxResponseSize+10))
	_, err = c.SMSList(context.Background(), smsmode.ListOptions{})
	sink.add(err)
	require.ErrorAs(t, err, &pe)
	assert.Contains(t, pe.Reason, "1 MiB")

	// A provider text echoing a credential is scrubbed.
	rec.answer(200, "text/plain", []byte("32 | Erreur d'authentification ("+testToken+")"))
	err = sink.add(sendOnce(c))
	var ae *smsmode.Error
	require.ErrorAs(t, err, &ae)
	assert.Contains(t, ae.Description, "[REDACTED]")

	c2 := rec.client(t, func(cfg *smsmode.Config) { cfg.AccessToken, cfg.Pseudo, cfg.Pass = "", testPseudo, testPass })
	rec.answer(500, "text/plain", []byte("pass="+testPass))
	sink.add(sendOnce(c2))
	rec.answer(200, "text/plain", []byte("nonsense with pass="+testPass))
	sink.add(sendOnce(c2))
	sink.assertClean(t)
}

func TestConfigRedaction(t *testing.T) {
	t.Parallel()
	cfg := smsmode.Config{AccessToken: testToken, Pseudo: testPseudo, Pass: testPass}
	for _, s := range []string{
		cfg.String(), fmt.Sprint(cfg), fmt.Sprintf("%v", &cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", cfg),
	} {
		assert.NotContains(t, s, testToken)
		assert.NotContains(t, s, testPass)
		assert.Contains(t, s, "[REDACTED]")
	}
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("config", "smsmode", cfg)
	c, err := smsmode.NewClient(cfg)
	require.NoError(t, err)
	log.Info("client", "client", c)
	assert.NotContains(t, buf.String(), testToken)
	assert.NotContains(t, buf.String(), testPass)
	assert.Contains(t, buf.String(), `"auth":"accessToken"`)
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), fmt.Sprintf("%v", *c)} {
		assert.NotContains(t, s, testToken)
		assert.NotContains(t, s, testPass)
	}
	sub := smsmode.SubAccount{Pseudo: "x", Pass: testPass}
	assert.NotContains(t, fmt.Sprintf("%v %+v %#v", sub, sub, sub), testPass)
}

func TestNewClientValidation(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		cfg  smsmode.Config
		in   string
	}{
		{"no credentials", smsmode.Config{}, "no credentials"},
		{"pseudo only", smsmode.Config{Pseudo: "x"}, "together"},
		{"pass only", smsmode.Config{Pass: testPass}, "together"},
		{"query", smsmode.Config{AccessToken: testToken, BaseURL: "https://api.smsmode.com/http/1.6/?accessToken=" + testToken}, "query"},
		{"userinfo", smsmode.Config{AccessToken: testToken, BaseURL: "https://u:" + testPass + "@api.smsmode.com/http/1.6/"}, "user info"},
		{"relative", smsmode.Config{AccessToken: testToken, BaseURL: "/http/1.6/"}, "absolute"},
		{"scheme", smsmode.Config{AccessToken: testToken, BaseURL: "ftp://x/"}, "absolute"},
		{"garbage", smsmode.Config{AccessToken: testToken, BaseURL: "http://[::1"}, "BaseURL"},
		{"timeout", smsmode.Config{AccessToken: testToken, Timeout: -time.Second}, "Timeout"},
	} {
		_, err := smsmode.NewClient(tt.cfg)
		require.Error(t, err, tt.name)
		assert.Contains(t, err.Error(), tt.in, tt.name)
		assert.NotContains(t, err.Error(), testToken, tt.name)
		assert.NotContains(t, err.Error(), testPass, tt.name)
	}
	c, err := smsmode.NewClient(smsmode.Config{AccessToken: testToken})
	require.NoError(t, err)
	assert.Equal(t, smsmode.DefaultBaseURL, c.BaseURL())
	assert.Equal(t, "Europe/Paris", c.Location().String())
	assert.Equal(t, "24122026-18:30", c.FormatSendDate(time.Date(2026, 12, 24, 17, 30, 0, 0, time.UTC)))
}

// TestConnectionReuse checks the default transport: a hundred sends in
// flight, twice, open at most a hundred connections in all.
func TestConnectionReuse(t *testing.T) {
	t.Parallel()
	var opened atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		time.Sleep(20 * time.Millisecond)
		_, _ = io.WriteString(w, "0 | Accepté | id")
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c, err := smsmode.NewClient(smsmode.Config{BaseURL: srv.URL + "/http/1.6/", AccessToken: testToken})
	require.NoError(t, err)
	for round := 0; round < 2; round++ {
		var wg sync.WaitGroup
		for i := 0; i < 100; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				assert.NoError(t, sendOnce(c))
			}()
		}
		wg.Wait()
	}
	assert.LessOrEqual(t, opened.Load(), int32(100), "connections of the first round are reused by the second")
	t.Logf("200 sends, 100 concurrent: %d connections", opened.Load())
}

func TestErrorTypesText(t *testing.T) {
	t.Parallel()
	// Permanent request errors never look temporary, whatever they wrap.
	err := fmt.Errorf("wrapped: %w", &smsmode.RequestError{Field: "message", Reason: "x", Err: context.DeadlineExceeded})
	assert.False(t, smsmode.IsTemporary(err))
	assert.True(t, smsmode.IsPermanent(err))
	// Plain timeouts from elsewhere are temporary.
	assert.True(t, smsmode.IsTemporary(context.DeadlineExceeded))
	assert.False(t, smsmode.IsTemporary(nil))
	assert.False(t, smsmode.IsPermanent(nil))
	assert.False(t, smsmode.IsAmbiguous(nil))
	assert.False(t, smsmode.IsTemporary(errors.New("x")))
	assert.False(t, smsmode.IsPermanent(errors.New("x")))
	assert.True(t, strings.HasPrefix((&smsmode.TransportError{Endpoint: "credit.do", Method: "POST", URL: "u"}).Error(), "smsmode: credit.do"))
}

// TestIsAmbiguousTable is the table of IsAmbiguous's documentation, row by
// row: only an answer that proves a refusal is not ambiguous.
func TestIsAmbiguousTable(t *testing.T) {
	t.Parallel()
	const send = "sendSMS.do"
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"refused before sending", &smsmode.RequestError{Field: "message", Reason: "empty"}, false},
		{"refused before sending, wrapping a timeout", &smsmode.RequestError{Field: "message", Err: context.DeadlineExceeded}, false},
		{"not written (dial error)", &smsmode.TransportError{Endpoint: send, Err: errors.New("connection refused")}, false},
		{"written, then cut", &smsmode.TransportError{Endpoint: send, Written: true, Err: io.ErrUnexpectedEOF}, true},
		{"written, then timeout", &smsmode.TransportError{Endpoint: send, Written: true, Err: context.DeadlineExceeded}, true},
		{"HTTP 400", &smsmode.HTTPError{Endpoint: send, StatusCode: 400}, false},
		{"HTTP 401", &smsmode.HTTPError{Endpoint: send, StatusCode: 401}, false},
		{"HTTP 408", &smsmode.HTTPError{Endpoint: send, StatusCode: 408}, false},
		{"HTTP 413", &smsmode.HTTPError{Endpoint: "sendSMSBatch.do", StatusCode: 413}, false},
		{"HTTP 429", &smsmode.HTTPError{Endpoint: send, StatusCode: 429}, false},
		{"HTTP 500", &smsmode.HTTPError{Endpoint: send, StatusCode: 500}, true},
		{"HTTP 502 from a proxy", &smsmode.HTTPError{Endpoint: send, StatusCode: 502}, true},
		{"HTTP 503", &smsmode.HTTPError{Endpoint: send, StatusCode: 503}, true},
		{"HTTP 504 from a load balancer", &smsmode.HTTPError{Endpoint: "sendVoiceMessage.do", StatusCode: 504}, true},
		{"HTTP 302", &smsmode.HTTPError{Endpoint: send, StatusCode: 302}, true},
		{"code 31", &smsmode.Error{Endpoint: send, Code: smsmode.CodeInternalError}, true},
		{"code 31 on a batch", &smsmode.Error{Endpoint: "sendSMSBatch.do", Code: smsmode.CodeInternalError}, true},
		{"code 32", &smsmode.Error{Endpoint: send, Code: smsmode.CodeAuthentication}, false},
		{"code 33", &smsmode.Error{Endpoint: send, Code: smsmode.CodeInsufficientCredit}, false},
		{"code 35", &smsmode.Error{Endpoint: send, Code: smsmode.CodeInvalidParameter}, false},
		{"code 50", &smsmode.Error{Endpoint: send, Code: smsmode.CodeTemporarilyUnavailable}, false},
		{"code 61", &smsmode.Error{Endpoint: "deleteSMS.do", Code: smsmode.CodeNotFound}, false},
		{"unknown code", &smsmode.Error{Endpoint: send, Code: 77}, false},
		{"unreadable answer to a send", &smsmode.ProtocolError{Endpoint: send, Reason: "no return code"}, true},
		{"accepted without an smsID", &smsmode.ProtocolError{Endpoint: send, Reason: "accepted without an ID"}, true},
		{"callback", &smsmode.CallbackError{}, false},
		{"nil", nil, false},
		{"another package's error", errors.New("boom"), false},
		{"a bare deadline", context.DeadlineExceeded, false},
		// Acting endpoints other than sends follow the same rules.
		{"code 31 on creditTransfert", &smsmode.Error{Endpoint: "creditTransfert.do", Code: smsmode.CodeInternalError}, true},
		{"HTTP 502 on deleteSMS", &smsmode.HTTPError{Endpoint: "deleteSMS.do", StatusCode: 502}, true},
		{"unreadable createSubAccount", &smsmode.ProtocolError{Endpoint: "createSubAccount.do"}, true},
		{"unknown endpoint is assumed to act", &smsmode.HTTPError{StatusCode: 502}, true},
		// Read-only endpoints change nothing: never ambiguous.
		{"code 31 on compteRendu", &smsmode.Error{Endpoint: "compteRendu.do", Code: smsmode.CodeInternalError}, false},
		{"HTTP 502 on credit", &smsmode.HTTPError{Endpoint: "credit.do", StatusCode: 502}, false},
		{"cut smsList", &smsmode.TransportError{Endpoint: "smsList.do", Written: true}, false},
		{"unreadable smsStatus", &smsmode.ProtocolError{Endpoint: "smsStatus.do"}, false},
		{"unreadable responseList", &smsmode.ProtocolError{Endpoint: "responseList.do"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, smsmode.IsAmbiguous(tt.err))
			require.Equal(t, tt.want, smsmode.IsAmbiguous(fmt.Errorf("task 7: %w", tt.err)), "through wrapping")
		})
	}
}

// TestAmbiguousIsNotRetryable keeps the two questions apart: code 50 is
// worth retrying and proves a refusal; a 504 is worth retrying and does not.
func TestAmbiguousIsNotRetryable(t *testing.T) {
	t.Parallel()
	c50 := &smsmode.Error{Endpoint: "sendSMS.do", Code: smsmode.CodeTemporarilyUnavailable}
	require.True(t, smsmode.IsTemporary(c50))
	require.False(t, smsmode.IsAmbiguous(c50))
	h504 := &smsmode.HTTPError{Endpoint: "sendSMS.do", StatusCode: 504}
	require.True(t, smsmode.IsTemporary(h504))
	require.True(t, smsmode.IsAmbiguous(h504))
	c31 := &smsmode.Error{Endpoint: "sendSMS.do", Code: smsmode.CodeInternalError}
	require.True(t, smsmode.IsInternal(c31))
	require.False(t, smsmode.IsTemporary(c31))
	require.True(t, smsmode.IsAmbiguous(c31))
	pe := &smsmode.ProtocolError{Endpoint: "sendSMS.do"}
	require.True(t, smsmode.IsPermanent(pe))
	require.True(t, smsmode.IsAmbiguous(pe))
}
