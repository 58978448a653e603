package smsmodetest

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/smsmode"
)

func TestNewServer(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	require.Regexp(t, regexp.MustCompile(`^http://127\.0\.0\.1:\d+/http/1\.6/$`), s.URL)
	cfg := s.Config()
	require.Equal(t, s.URL, cfg.BaseURL)
	require.Equal(t, AccessToken, cfg.AccessToken)
	require.Equal(t, "Europe/Paris", cfg.Location.String())
	require.Equal(t, float64(DefaultCredit), s.Credit())
	require.NotNil(t, s.Client())
	s.Close()
	s.Close() // idempotent
}

func TestRequestsAreRecorded(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	q := url.Values{"accessToken": {AccessToken}}
	body := "numero=33600000000&message=Caf%E9"
	r := send(t, s, http.MethodPost, "sendSMS.do?"+q.Encode(), "application/x-www-form-urlencoded", strings.NewReader(body))
	require.Regexp(t, acceptedPattern, r.body)

	reqs := s.Requests()
	require.Len(t, reqs, 1)
	req := reqs[0]
	require.Equal(t, http.MethodPost, req.Method)
	require.Equal(t, "sendSMS.do", req.Endpoint)
	require.Equal(t, "/http/1.6/sendSMS.do?accessToken="+AccessToken, req.URL)
	require.Equal(t, "application/x-www-form-urlencoded", req.Header.Get("Content-Type"))
	require.Equal(t, []byte(body), req.Body)
	require.Equal(t, url.Values{"accessToken": {AccessToken}, "numero": {"33600000000"}, "message": {"Caf\xe9"}}, req.Params)
	require.Equal(t, http.StatusOK, req.Status)
	require.Contains(t, string(req.Response), "Accept\xe9 - le message", "the answer is ISO-8859-15")
	require.False(t, req.Time.IsZero())

	// Copies: changing them changes nothing.
	req.Params.Set("message", "changed")
	req.Header.Set("Content-Type", "changed")
	req.Body[0] = 'X'
	again := s.Requests()[0]
	require.Equal(t, "Caf\xe9", again.Params.Get("message"))
	require.Equal(t, []byte(body), again.Body)

	msgs := s.Messages()
	msgs[0].Numbers[0] = "changed"
	msgs[0].Statuses["33600000000"] = 99
	m, _ := s.Message(msgs[0].SMSID)
	require.Equal(t, []string{"33600000000"}, m.Numbers)
	require.Equal(t, smsmode.StatusSent, m.Statuses["33600000000"])
}

func TestRequestLimit(t *testing.T) {
	t.Parallel()
	s := newServer(t, WithRequestLimit(3))
	for i := range 5 {
		get(t, s, "smsStatus.do", params("smsID", fmt.Sprint(i)))
	}
	reqs := s.Requests()
	require.Len(t, reqs, 3)
	for i, r := range reqs {
		require.Equal(t, fmt.Sprint(i+2), r.Params.Get("smsID"), "the oldest are forgotten")
	}
	require.Equal(t, 5, s.RequestCount("smsStatus.do"))
	require.Equal(t, 5, s.RequestCount("smsStatus"))
	require.Equal(t, 5, s.RequestCount(""))
	require.Zero(t, s.RequestCount("credit.do"))

	s = newServer(t, WithoutRecording())
	mustAccept(t, s, "message", "x", "numero", "33600000000")
	require.Empty(t, s.Requests())
	require.Equal(t, 1, s.RequestCount(""))
	require.Len(t, s.Messages(), 1, "messages are state, not recording")
}

// The worker hits the fake with many parallel requests: run with -race.
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	const workers, perWorker = 100, 5
	s := newServer(t, WithCredit(workers*perWorker), WithAutoDelivery(smsmode.StatusReceived), WithRequestLimit(workers*perWorker/2))
	s.FailNext("sendSMS.do", smsmode.CodeTemporarilyUnavailable, 50)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	defer client.CloseIdleConnections()

	var (
		mu       sync.Mutex
		ids      = map[string]bool{}
		failures int
		wg       sync.WaitGroup
	)
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				p := params("message", "x", "numero", fmt.Sprintf("336%08d", w*perWorker+i), "notification_url", rc.URL+"/dr")
				res, err := client.PostForm(s.URL+"sendSMS.do", p)
				if !assertNoError(t, err) {
					return
				}
				b, err := io.ReadAll(res.Body)
				res.Body.Close()
				if !assertNoError(t, err) {
					return
				}
				body := decodeISO(string(b))
				mu.Lock()
				if m := acceptedPattern.FindStringSubmatch(body); m != nil {
					ids[m[1]] = true
				} else if body == "50 | Temporairement inaccessible" {
					failures++
				} else {
					t.Errorf("unexpected answer %q", body)
				}
				mu.Unlock()
				// Readers and other writers at the same time.
				switch i % 4 {
				case 0:
					_ = s.Messages()
				case 1:
					_ = s.Requests()
				case 2:
					_ = s.Credit()
					_ = s.Callbacks()
				case 3:
					res, err := client.Get(s.URL + "smsList.do?" + params("offset", "5").Encode())
					if assertNoError(t, err) {
						res.Body.Close()
					}
				}
			}
		})
	}
	wg.Wait()
	require.Equal(t, 50, failures)
	require.Len(t, ids, workers*perWorker-50, "every ID is unique")
	require.Len(t, s.Messages(), workers*perWorker-50)
	require.Equal(t, 50.0, s.Credit())
	for id := range ids {
		if _, ok := s.Message(id); !ok {
			t.Fatalf("message %s not recorded", id)
		}
	}
	s.Close()
	require.Len(t, rc.got(), workers*perWorker-50, "one report per message")
	require.Len(t, s.Requests(), workers*perWorker/2)
}

// assertNoError reports err without stopping the goroutine's caller from
// returning (t.FailNow must not be called outside the test goroutine).
func assertNoError(t *testing.T, err error) bool {
	if err != nil {
		t.Error(err)
		return false
	}
	return true
}

func TestMessageLimit(t *testing.T) {
	t.Parallel()
	s := newServer(t, WithMessageLimit(2))
	first := mustAccept(t, s, "message", "1", "numero", "33600000000")
	mustAccept(t, s, "message", "2", "numero", "33600000000")
	mustAccept(t, s, "message", "3", "numero", "33600000000")
	msgs := s.Messages()
	require.Len(t, msgs, 2)
	require.Equal(t, "2", msgs[0].Text)
	_, ok := s.Message(first)
	require.False(t, ok)
	require.Equal(t, "61 | SMS n'existant pas ou plus", get(t, s, "compteRendu.do", params("smsID", first)).body)
	require.Equal(t, float64(DefaultCredit-3), s.Credit())
}

func TestWithListener(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := newServer(t, WithListener(l))
	require.Equal(t, "http://"+l.Addr().String()+"/http/1.6/", s.URL)
	require.Equal(t, "1000.0", get(t, s, "credit.do", params()).body)
}
