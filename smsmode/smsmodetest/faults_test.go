package smsmodetest

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/smsmode"
)

func TestFailNext(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.FailNext("sendSMS.do", smsmode.CodeTemporarilyUnavailable, 2)
	p := params("message", "x", "numero", "33600000000")
	require.Equal(t, "50 | Temporairement inaccessible", post(t, s, "sendSMS.do", p).body)
	require.Equal(t, "1000.0", get(t, s, "credit.do", params()).body, "other endpoints are not affected")
	require.Equal(t, "50 | Temporairement inaccessible", get(t, s, "sendSMS.do", p).body)
	require.Regexp(t, acceptedPattern, post(t, s, "sendSMS.do", p).body)
	require.Len(t, s.Messages(), 1)
	require.Equal(t, float64(DefaultCredit-1), s.Credit())

	// Faults come before authentication, and each endpoint words a code its own way.
	s.FailNext("", smsmode.CodeInternalError, 3)
	require.Equal(t, "31 | Erreur interne", get(t, s, "credit.do", params("accessToken", "wrong")).body)
	require.Equal(t, "31 | Erreur interne lors de la requête", get(t, s, "compteRendu.do", params()).body)
	require.Equal(t, "31 | Erreur interne", get(t, s, "sendSMSBatch.do", params()).body)
	require.Equal(t, "35 | Paramètre obligatoire manquant", get(t, s, "compteRendu.do", params()).body)

	// Short names are accepted.
	s.FailNext("sendVoiceMessage", smsmode.CodeAuthentication, 1)
	require.Equal(t, "32 | Erreur d'authentification", post(t, s, "sendVoiceMessage.do", params("message", "x", "numero", "33600000000")).body)

	// createAuthorisation.do answers JSON with an HTTP error status.
	s.FailNext("createAuthorisation.do", smsmode.CodeTemporarilyUnavailable, 1)
	res, err := http.Get(strings.TrimSuffix(s.URL, "1.6/") + "2.0/createAuthorisation.do?" + params().Encode())
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
}

func TestFailNextUntilCleared(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.FailNext("", smsmode.CodeTemporarilyUnavailable, -1)
	for range 5 {
		require.Equal(t, "50 | Temporairement inaccessible", get(t, s, "credit.do", params()).body)
	}
	s.ClearFaults()
	require.Equal(t, "1000.0", get(t, s, "credit.do", params()).body)
}

func TestFaultsAreConsumedInOrder(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.FailNext("credit.do", smsmode.CodeTemporarilyUnavailable, 1)
	s.FailHTTP("", http.StatusBadGateway, 1)
	s.FailNext("credit.do", smsmode.CodeInternalError, 1)
	require.Equal(t, "50 | Temporairement inaccessible", get(t, s, "credit.do", params()).body)
	require.Equal(t, http.StatusBadGateway, get(t, s, "credit.do", params()).status)
	require.Equal(t, "31 | Erreur interne", get(t, s, "credit.do", params()).body)
	require.Equal(t, "1000.0", get(t, s, "credit.do", params()).body)
}

func TestFailNextUnknownEndpointPanics(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	require.PanicsWithValue(t, `smsmodetest: unknown endpoint "sendSms.do"`, func() { s.FailNext("sendSms.do", 50, 1) })
	require.Panics(t, func() { s.DropNext("nope", 1) })
}

func TestFailNumber(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.FailNumber("0699999999", smsmode.CodeInternalError)
	s.AddGroup("g", "33600000000", "33699999999")

	require.Equal(t, "31 | Erreur interne", post(t, s, "sendSMS.do", params("message", "x", "numero", "33600000000,33699999999")).body)
	require.Equal(t, "31 | Erreur interne", post(t, s, "sendSMS.do", params("message", "x", "groupe", "g")).body)
	require.Equal(t, "31 | Erreur interne", post(t, s, "sendVoiceMessage.do", params("message", "x", "numero", "0699999999")).body)
	require.Equal(t, "31 | Erreur interne", postBatch(t, s, params(), []byte("33600000000,x\n33699999999,y\n")).body)
	require.Regexp(t, acceptedPattern, post(t, s, "sendSMS.do", params("message", "x", "numero", "33600000000")).body)
	require.Len(t, s.Messages(), 1)

	s.FailNumber("33699999999", smsmode.CodeAccepted) // removes it
	require.Regexp(t, acceptedPattern, post(t, s, "sendSMS.do", params("message", "x", "numero", "33699999999")).body)
	s.FailNumber("33699999999", smsmode.CodeInsufficientCredit)
	s.ClearFaults()
	require.Regexp(t, acceptedPattern, post(t, s, "sendSMS.do", params("message", "x", "numero", "33699999999")).body)
}

func TestFailHTTP(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.FailHTTP("sendSMS.do", http.StatusBadGateway, 1)
	s.FailHTTP("sendSMS.do", http.StatusTooManyRequests, 1)
	p := params("message", "x", "numero", "33600000000")

	r := post(t, s, "sendSMS.do", p)
	require.Equal(t, http.StatusBadGateway, r.status)
	require.Equal(t, "502 Bad Gateway\n", r.body)
	r = post(t, s, "sendSMS.do", p)
	require.Equal(t, http.StatusTooManyRequests, r.status)
	require.Equal(t, "1", r.header.Get("Retry-After"))
	require.Empty(t, s.Messages())
	require.Regexp(t, acceptedPattern, post(t, s, "sendSMS.do", p).body)
}

func TestDropNext(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.DropNext("sendSMS.do", 1)
	_, err := http.PostForm(s.URL+"sendSMS.do", params("message", "x", "numero", "33600000000"))
	require.Error(t, err)
	require.Empty(t, s.Messages())
	require.Equal(t, float64(DefaultCredit), s.Credit())
	reqs := s.Requests()
	require.Len(t, reqs, 1)
	require.Equal(t, 0, reqs[0].Status, "no answer was written")

	require.Regexp(t, acceptedPattern, post(t, s, "sendSMS.do", params("message", "x", "numero", "33600000000")).body)
}

// DropAfterAccept is the ambiguous send: accepted and charged, yet the
// client only sees a broken connection.
func TestDropAfterAccept(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.DropAfterAccept("sendSMS.do", 1)
	_, err := http.PostForm(s.URL+"sendSMS.do", params("message", "x", "numero", "33600000000"))
	require.Error(t, err)
	msgs := s.Messages()
	require.Len(t, msgs, 1)
	require.Equal(t, float64(DefaultCredit-1), s.Credit())
	require.Equal(t, "33600000000 0", get(t, s, "compteRendu.do", params("smsID", msgs[0].SMSID)).body)
	require.Equal(t, 0, s.Requests()[0].Status)
}

func TestLatency(t *testing.T) {
	t.Parallel()
	s := newServer(t, WithLatency(30*time.Millisecond))
	start := time.Now()
	require.Equal(t, "1000.0", get(t, s, "credit.do", params()).body)
	require.GreaterOrEqual(t, time.Since(start), 30*time.Millisecond)

	// A client giving up ends the wait, and the request is not processed.
	s.SetLatency(time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"sendSMS.do", strings.NewReader(params("message", "x", "numero", "33600000000").Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	_, err = http.DefaultClient.Do(req)
	require.ErrorIs(t, err, context.DeadlineExceeded)

	// Close does not wait for the hour either.
	done := make(chan struct{})
	go func() {
		_, _ = http.Get(s.URL + "credit.do?" + params().Encode())
		close(done)
	}()
	eventually(t, func() bool { return s.RequestCount("credit.do") == 2 }, "second credit.do request")
	closed := make(chan struct{})
	go func() { s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close waited for the latency")
	}
	<-done
	require.Empty(t, s.Messages())
}

func TestClientErrorsAreNotFaults(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	r := get(t, s, "nothing.do", params())
	require.Equal(t, http.StatusNotFound, r.status)
	r = send(t, s, http.MethodPut, "credit.do", "", nil)
	require.Equal(t, http.StatusMethodNotAllowed, r.status)
	require.Equal(t, "GET, POST", r.header.Get("Allow"))
	reqs := s.Requests()
	require.Len(t, reqs, 2)
	require.Equal(t, "nothing.do", reqs[0].Endpoint)
	require.Equal(t, http.StatusNotFound, reqs[0].Status)
	require.Equal(t, "credit.do", reqs[1].Endpoint)

	_, err := http.Get(s.URL + "credit.do")
	require.False(t, errors.Is(err, context.Canceled))
}

func TestAcceptThenFail(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.AcceptThenFail("sendSMS.do", smsmode.CodeInternalError, 2)
	p := params("message", "x", "numero", "33600000000")
	require.Equal(t, "31 | Erreur interne", post(t, s, "sendSMS.do", p).body)
	require.Equal(t, "31 | Erreur interne", get(t, s, "sendSMS.do", p).body)
	require.Len(t, s.Messages(), 2, "both were accepted and recorded")
	require.Equal(t, float64(DefaultCredit-2), s.Credit(), "and charged")
	require.Regexp(t, acceptedPattern, post(t, s, "sendSMS.do", p).body, "the fault is consumed")

	// Any code can be scripted; each endpoint words it its own way.
	s.AcceptThenFail("compteRendu.do", smsmode.CodeInternalError, 1)
	require.Equal(t, "31 | Erreur interne lors de la requête", get(t, s, "compteRendu.do", params("smsID", s.Messages()[0].SMSID)).body)
}

func TestAcceptThenFailHTTP(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.AcceptThenFailHTTP("sendSMSBatch.do", http.StatusGatewayTimeout, 1)
	r := postBatch(t, s, params(), []byte("numero,message,emetteur\n33600000000,x,\n33600000001,y,\n"))
	require.Equal(t, http.StatusGatewayTimeout, r.status)
	require.Equal(t, "504 Gateway Timeout\n", r.body)
	require.Len(t, s.Messages(), 2, "the batch was accepted")
	require.Equal(t, float64(DefaultCredit-2), s.Credit())

	s.AcceptThenFailHTTP("", http.StatusBadGateway, 1)
	r = post(t, s, "sendVoiceMessage.do", params("message", "x", "numero", "33600000000"))
	require.Equal(t, http.StatusBadGateway, r.status)
	require.Len(t, s.Messages(), 3)
	require.Panics(t, func() { s.AcceptThenFailHTTP("nope.do", 502, 1) })
}

// TestAcceptThenFailThroughTheClient checks what the client makes of it:
// an error that IsAmbiguous reports, for a message the provider has.
func TestAcceptThenFailThroughTheClient(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	c := s.Client()
	ctx := context.Background()
	send := func() error {
		_, err := c.SendSMS(ctx, &smsmode.SMS{Numbers: []string{"33612345678"}, Message: "Bonjour"})
		return err
	}
	s.AcceptThenFail("sendSMS.do", smsmode.CodeInternalError, 1)
	err := send()
	var pe *smsmode.Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, smsmode.CodeInternalError, pe.Code)
	require.True(t, smsmode.IsAmbiguous(err))
	require.True(t, smsmode.IsInternal(err))

	for _, status := range []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout} {
		s.AcceptThenFailHTTP("sendSMS.do", status, 1)
		err = send()
		var he *smsmode.HTTPError
		require.ErrorAs(t, err, &he)
		require.Equal(t, status, he.StatusCode)
		require.True(t, smsmode.IsAmbiguous(err), "%d", status)
		require.True(t, smsmode.IsTemporary(err), "%d", status)
	}
	require.Len(t, s.Messages(), 5, "every one of them was accepted")

	// A refusal that is proven is not ambiguous, and nothing was accepted.
	s.FailNext("sendSMS.do", smsmode.CodeTemporarilyUnavailable, 1)
	err = send()
	require.False(t, smsmode.IsAmbiguous(err))
	s.FailHTTP("sendSMS.do", http.StatusTooManyRequests, 1)
	err = send()
	require.False(t, smsmode.IsAmbiguous(err))
	require.Len(t, s.Messages(), 5)
}
