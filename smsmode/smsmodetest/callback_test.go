package smsmodetest

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/smsmode"
)

// receiver is an application endpoint receiving callbacks.
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	queries []string // raw queries, in arrival order
	methods []string
	status  int
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	rc := &receiver{status: http.StatusOK}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.queries = append(rc.queries, r.URL.Path+"?"+r.URL.RawQuery)
		rc.methods = append(rc.methods, r.Method)
		w.WriteHeader(rc.status)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) got() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]string(nil), rc.queries...)
}

func (rc *receiver) setStatus(code int) {
	rc.mu.Lock()
	rc.status = code
	rc.mu.Unlock()
}

func TestDeliver(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	loc := paris(t)
	s := newServer(t, WithClock(fixedClock(time.Date(2010, 3, 25, 9, 52, 17, 0, loc))))
	id := mustAccept(t, s, "message", "Bonjour test", "numero", "0600000000,447700900123",
		"notification_url", rc.URL+"/dr?tenant=a", "refClient", "12azer34 é")

	require.NoError(t, s.Deliver(id, "0600000000", smsmode.StatusReceived))
	require.NoError(t, s.Deliver(id, "447700900123", smsmode.StatusDeliveredToOperator))
	require.Equal(t, []string{
		// The reference's example, parameters in its order.
		"/dr?tenant=a&numero=33600000000&date_reception=2010-03-25+09%3A52%3A17&statut=11&smsID=" + id + "&refClient=12azer34+%C3%A9&mcc_mnc=20801&cost=1",
		// No French operator for a British number.
		"/dr?tenant=a&numero=447700900123&date_reception=2010-03-25+09%3A52%3A17&statut=13&smsID=" + id + "&refClient=12azer34+%C3%A9&cost=1",
	}, rc.got())
	rc.mu.Lock()
	require.Equal(t, []string{http.MethodGet, http.MethodGet}, rc.methods, "the reference's callbacks are GET requests")
	rc.mu.Unlock()
	require.Equal(t, "33600000000 11 | 447700900123 13", get(t, s, "compteRendu.do", params("smsID", id)).body)

	cbs := s.Callbacks()
	require.Len(t, cbs, 2)
	require.Equal(t, CallbackDelivery, cbs[0].Kind)
	require.Equal(t, rc.URL+rc.got()[0], cbs[0].URL)
	require.Equal(t, http.StatusOK, cbs[0].StatusCode)
	require.Empty(t, cbs[0].Err)

	// The client's own parser understands it.
	u, err := url.Parse(cbs[0].URL)
	require.NoError(t, err)
	dr, err := smsmode.ParseDeliveryReport(u.Query(), loc)
	require.NoError(t, err)
	require.Equal(t, "33600000000", dr.Number)
	require.Equal(t, smsmode.StatusReceived, dr.Status)
	require.True(t, dr.ReceivedAt.Equal(time.Date(2010, 3, 25, 9, 52, 17, 0, loc)))
	require.Equal(t, id, dr.SMSID)
	require.Equal(t, "12azer34 é", dr.RefClient)
	require.Equal(t, "20801", dr.MCCMNC)
	require.Equal(t, "1", dr.Cost)
}

func TestDeliverErrors(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	s := newServer(t)
	id := mustAccept(t, s, "message", "x", "numero", "33600000000", "notification_url", rc.URL+"/dr")

	rc.setStatus(http.StatusInternalServerError)
	err := s.Deliver(id, "33600000000", smsmode.StatusReceived)
	require.ErrorContains(t, err, "HTTP 500")
	m, _ := s.Message(id)
	require.Equal(t, smsmode.StatusReceived, m.Statuses["33600000000"], "the status is set even when the callback fails")
	cb := s.Callbacks()[0]
	require.Equal(t, http.StatusInternalServerError, cb.StatusCode)
	require.Empty(t, cb.Err)

	require.Error(t, s.Deliver(id, "33611111111", smsmode.StatusReceived), "not a recipient")
	require.Error(t, s.Deliver("nope", "33600000000", smsmode.StatusReceived))

	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	id = mustAccept(t, s, "message", "x", "numero", "33600000000", "notification_url", dead.URL+"/dr")
	require.Error(t, s.Deliver(id, "33600000000", smsmode.StatusReceived))
	require.NotEmpty(t, s.Callbacks()[1].Err)
	require.Zero(t, s.Callbacks()[1].StatusCode)

	// Without notification_url, only the status changes.
	id = mustAccept(t, s, "message", "x", "numero", "33600000000")
	require.NoError(t, s.Deliver(id, "33600000000", smsmode.StatusReceived))
	require.Len(t, s.Callbacks(), 2)
}

func TestDeliverBatchUsesCampaignID(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	s := newServer(t)
	r := postBatch(t, s, params("notification_url", rc.URL+"/dr"), []byte("33600000000,x,,r1\n33611111111,\"y, z\",,r2\n"))
	campaign := batchAccepted.FindStringSubmatch(r.body)[1]
	require.NoError(t, s.Deliver(campaign, "33611111111", smsmode.StatusReceived))
	q, err := url.ParseQuery(rc.got()[0][len("/dr?"):])
	require.NoError(t, err)
	require.Equal(t, campaign, q.Get("smsID"), "the ID the send returned")
	require.Equal(t, "r2", q.Get("refClient"))

	row := s.Campaign(campaign)[0]
	require.NoError(t, s.Deliver(row.SMSID, "33600000000", smsmode.StatusReceived), "a row's own ID works too")
	require.Equal(t, "33600000000 11 | 33611111111 11", get(t, s, "compteRendu.do", params("smsID", campaign)).body)
}

func TestReply(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	loc := paris(t)
	s := newServer(t, WithClock(fixedClock(time.Date(2013, 1, 1, 12, 22, 33, 0, loc))))
	id := mustAccept(t, s, "message", "Venez-vous ?", "numero", "0601020304", "classe_msg", "4",
		"notification_url_reponse", rc.URL+"/mo", "refClient", "monclient123")
	rid, err := s.Reply(id, "0601020304", "Oui 👍 é")
	require.NoError(t, err)
	require.Regexp(t, idPattern, rid)
	require.Equal(t, []string{
		"/mo?numero=36034&message=Oui+%F0%9F%91%8D+%C3%A9&emetteur=33601020304&date_reception=01012013-122233&smsID=" + id +
			"&refClient=monclient123&responseID=" + rid,
	}, rc.got())
	cb := s.Callbacks()[0]
	require.Equal(t, CallbackReply, cb.Kind)
	require.Equal(t, http.StatusOK, cb.StatusCode)

	u, err := url.Parse(cb.URL)
	require.NoError(t, err)
	mo, err := smsmode.ParseReply(u.Query(), loc)
	require.NoError(t, err)
	require.Equal(t, "Oui 👍 é", mo.Message)
	require.Equal(t, "33601020304", mo.From)
	require.Equal(t, ShortCode, mo.To)
	require.Equal(t, id, mo.SMSID)
	require.Equal(t, "monclient123", mo.RefClient)
	require.Equal(t, rid, mo.ResponseID)
	require.True(t, mo.ReceivedAt.Equal(time.Date(2013, 1, 1, 12, 22, 33, 0, loc)))

	// responseList.do encodes ISO-8859-15: the emoji becomes "?".
	require.Equal(t, rid+" | 01012013-12:22 | 33601020304 | Oui ? é | 36034 | "+id, get(t, s, "responseList.do", params()).body)

	_, err = s.Reply(id, "33699999999", "x")
	require.Error(t, err, "not a recipient")
	_, err = s.Reply("nope", "33601020304", "x")
	require.Error(t, err)
	plain := mustAccept(t, s, "message", "x", "numero", "33601020304", "notification_url_reponse", rc.URL+"/mo")
	_, err = s.Reply(plain, "33601020304", "x")
	require.ErrorContains(t, err, "classe_msg=4")

	// Without notification_url_reponse the reply is only listed.
	quiet := mustAccept(t, s, "message", "x", "numero", "33601020304", "classe_msg", "4")
	_, err = s.Reply(quiet, "33601020304", "Non")
	require.NoError(t, err)
	require.Len(t, rc.got(), 1)
}

func TestAutoDelivery(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	s := NewServer(WithAutoDelivery(smsmode.StatusDeliveredToOperator, smsmode.StatusReceived))
	id := mustAccept(t, s, "message", "x", "numero", "33600000000,33611111111", "notification_url", rc.URL+"/dr")
	quiet := mustAccept(t, s, "message", "x", "numero", "33622222222")
	s.Close() // waits for the reports

	var got []string
	for _, q := range rc.got() {
		v, err := url.ParseQuery(q[len("/dr?"):])
		require.NoError(t, err)
		require.Equal(t, id, v.Get("smsID"))
		got = append(got, v.Get("numero")+" "+v.Get("statut"))
	}
	require.Equal(t, []string{"33600000000 13", "33600000000 11", "33611111111 13", "33611111111 11"}, got)
	require.Len(t, s.Callbacks(), 4)
	m, _ := s.Message(id)
	require.Equal(t, map[string]smsmode.Status{"33600000000": 11, "33611111111": 11}, m.Statuses)
	m, _ = s.Message(quiet)
	require.Equal(t, map[string]smsmode.Status{"33622222222": 11}, m.Statuses, "statuses change without notification_url too")

	require.ErrorIs(t, s.Deliver(id, "33600000000", 11), errClosed)
}

func TestAutoDeliveryOfScheduledMessage(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	loc := paris(t)
	// 50 ms before the scheduled minute.
	clock := newClock(time.Date(2026, 12, 24, 18, 29, 59, 950e6, loc))
	s := newServer(t, WithClock(clock.Now), WithAutoDelivery(smsmode.StatusReceived))
	id := mustAccept(t, s, "message", "x", "numero", "33600000000", "notification_url", rc.URL+"/dr", "date_envoi", "24122026-18:30")
	cancelled := mustAccept(t, s, "message", "y", "numero", "33611111111", "notification_url", rc.URL+"/dr", "date_envoi", "24122026-18:30")
	require.Equal(t, "0 | SMS supprimé", get(t, s, "deleteSMS.do", params("smsID", cancelled)).body)

	eventually(t, func() bool { return len(rc.got()) == 1 }, "report of the scheduled message")
	m, _ := s.Message(id)
	require.Equal(t, smsmode.StatusReceived, m.Statuses["33600000000"])
	require.Contains(t, rc.got()[0], "smsID="+id)
	s.Close()
	require.Len(t, rc.got(), 1, "a message deleted before its date is never reported")
}

// An application serving its webhooks over TLS passes a client that trusts
// its certificate.
func TestCallbackClientForTLS(t *testing.T) {
	t.Parallel()
	var got []string
	var mu sync.Mutex
	hook := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.URL.RawQuery)
		mu.Unlock()
	}))
	defer hook.Close()
	s := newServer(t, WithCallbackClient(hook.Client()))
	s.SetAutoDelivery(smsmode.StatusReceived)
	// A notification URL ending with "?" gets the parameters right after it.
	mustAccept(t, s, "message", "x", "numero", "33600000000", "notification_url", hook.URL+"/dr?")
	s.Close()
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, got, 1)
	require.Contains(t, got[0], "numero=33600000000&")
	require.Equal(t, http.StatusOK, s.Callbacks()[0].StatusCode)
}
