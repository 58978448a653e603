package smsmodetest

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// idPattern is an smsID, campagneID or responseID.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9]{12}$`)

// acceptedPattern is sendSMS.do's answer to an accepted send.
var acceptedPattern = regexp.MustCompile(`^0 \| Accepté - le message a été accepté par le système et est en cours de traitement \| ([A-Za-z0-9]{12})$`)

func newServer(t *testing.T, opts ...Option) *Server {
	t.Helper()
	s := NewServer(opts...)
	t.Cleanup(s.Close)
	return s
}

// params builds parameters from key, value pairs, authenticated with the
// default access token unless a pair says otherwise.
func params(kv ...string) url.Values {
	v := url.Values{"accessToken": {AccessToken}}
	for i := 0; i+1 < len(kv); i += 2 {
		v[kv[i]] = []string{kv[i+1]}
	}
	return v
}

// reply is an answer read by call.
type response struct {
	status int
	header http.Header
	body   string // decoded from ISO-8859-15
}

// get calls endpoint with GET and the parameters in the query string.
func get(t *testing.T, s *Server, endpoint string, p url.Values) response {
	t.Helper()
	return send(t, s, http.MethodGet, endpoint+"?"+p.Encode(), "", nil)
}

// post calls endpoint with POST and the parameters in an url-encoded body.
func post(t *testing.T, s *Server, endpoint string, p url.Values) response {
	t.Helper()
	return send(t, s, http.MethodPost, endpoint, "application/x-www-form-urlencoded", strings.NewReader(p.Encode()))
}

// send makes one request to the server; target is relative to s.URL.
func send(t *testing.T, s *Server, method, target, ctype string, body io.Reader) response {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+target, body)
	require.NoError(t, err)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return response{status: res.StatusCode, header: res.Header, body: decodeISO(string(b))}
}

// mustAccept sends an SMS by POST and returns its smsID.
func mustAccept(t *testing.T, s *Server, kv ...string) string {
	t.Helper()
	r := post(t, s, "sendSMS.do", params(kv...))
	m := acceptedPattern.FindStringSubmatch(r.body)
	require.NotNil(t, m, "answer %q", r.body)
	return m[1]
}

// multipartBatch builds a sendSMSBatch.do body with file in part "fichier".
func multipartBatch(t *testing.T, file []byte, extra ...string) (ctype string, body *bytes.Buffer) {
	t.Helper()
	body = &bytes.Buffer{}
	w := multipart.NewWriter(body)
	for i := 0; i+1 < len(extra); i += 2 {
		require.NoError(t, w.WriteField(extra[i], extra[i+1]))
	}
	if file != nil {
		part, err := w.CreateFormFile("fichier", "fichier.csv")
		require.NoError(t, err)
		_, err = part.Write(file)
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	return w.FormDataContentType(), body
}

// postBatch uploads file to sendSMSBatch.do with query parameters q.
func postBatch(t *testing.T, s *Server, q url.Values, file []byte, extra ...string) response {
	t.Helper()
	ctype, body := multipartBatch(t, file, extra...)
	return send(t, s, http.MethodPost, "sendSMSBatch.do?"+q.Encode(), ctype, body)
}

// eventually polls cond until it holds or a deadline passes.
func eventually(t *testing.T, cond func() bool, msg string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting: " + msg)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// fixedClock returns a clock stuck at t.
func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

// clock is a settable clock for WithClock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock(t time.Time) *clock { return &clock{now: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// paris is the server's default location.
func paris(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	return loc
}
