package smsmode

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	// The default Location (Europe/Paris) must resolve identically on every
	// host, including distroless images without /usr/share/zoneinfo: a
	// missing zone would not fail loudly, it would shift every date_envoi and
	// every callback date by one or two hours. Embedding the tz database here
	// (about 450 KB) makes the library correct on its own instead of relying
	// on each binary to remember the import.
	_ "time/tzdata"
)

// DefaultBaseURL is the production endpoint of the HTTP API 1.6.
const DefaultBaseURL = "https://api.smsmode.com/http/1.6/"

// DefaultTimeout bounds one API request when Config.Timeout is zero.
const DefaultTimeout = 15 * time.Second

// DefaultTimezone is the zone of date_envoi and of the provider's dates when
// Config.Location is nil. The reference never states a zone; sMsmode is a
// French platform and its web interface shows Paris time.
const DefaultTimezone = "Europe/Paris"

// MaxResponseSize is the largest response body the client reads (1 MiB).
// A larger body is reported as a *ProtocolError rather than read into memory:
// no legitimate answer is that big except a very long smsList.do page, which
// should be fetched in smaller pages (ListOptions.Offset).
const MaxResponseSize = 1 << 20

// defaultUserAgent identifies the client to the provider.
const defaultUserAgent = "smsq-smsmode/1 (+https://github.com/smsq/smsq)"

// redacted replaces secrets wherever a configuration or a snippet is printed.
const redacted = "[REDACTED]"

var defaultLocation = sync.OnceValue(func() *time.Location {
	loc, err := time.LoadLocation(DefaultTimezone)
	if err != nil {
		// Unreachable with time/tzdata embedded; kept so that a broken
		// build degrades to UTC instead of a nil-pointer panic.
		return time.UTC
	}
	return loc
})

// DefaultLocation returns the Europe/Paris location used when a Config or a
// callback parser is given no location.
func DefaultLocation() *time.Location { return defaultLocation() }

// Config configures a Client. Its String, GoString and LogValue methods
// redact AccessToken and Pass, so a Config can be printed or logged safely.
type Config struct {
	// BaseURL is the 1.6 API root; default DefaultBaseURL. It must be an
	// absolute http(s) URL without query or user info: the credentials come
	// from the fields below. The 2.0 endpoint (createAuthorisation.do) is
	// derived from it by resolving "../2.0/".
	BaseURL string
	// AccessToken is the preferred authentication. When set, Pseudo and Pass
	// are not sent.
	AccessToken string
	// Pseudo and Pass are the older login/password authentication.
	Pseudo string
	Pass   string
	// Location is the zone of date_envoi and of the dates found in responses;
	// default Europe/Paris.
	Location *time.Location
	// Timeout bounds one request, connection to last byte; default 15s.
	Timeout time.Duration
	// HTTPClient is used as is when set. The default is a keep-alive client
	// tuned for many concurrent sends to one host and that does not follow
	// redirects (a redirected POST would lose its form body).
	HTTPClient *http.Client
	// UserAgent is sent as the User-Agent header; a default names smsq.
	UserAgent string
}

// String describes the configuration with its secrets redacted.
func (c Config) String() string {
	loc := "<default " + DefaultTimezone + ">"
	if c.Location != nil {
		loc = c.Location.String()
	}
	return fmt.Sprintf("smsmode.Config{BaseURL:%q AccessToken:%s Pseudo:%q Pass:%s Location:%s Timeout:%s HTTPClient:%t UserAgent:%q}",
		c.BaseURL, redact(c.AccessToken), c.Pseudo, redact(c.Pass), loc, c.Timeout, c.HTTPClient != nil, c.UserAgent)
}

// GoString is String: %#v must not print the secrets either.
func (c Config) GoString() string { return c.String() }

// LogValue implements slog.LogValuer with the secrets redacted.
func (c Config) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("base_url", c.BaseURL),
		slog.String("auth", c.authMode()),
	}
	if c.AccessToken != "" {
		attrs = append(attrs, slog.String("access_token", redacted))
	}
	if c.Pseudo != "" {
		attrs = append(attrs, slog.String("pseudo", c.Pseudo))
	}
	if c.Pass != "" {
		attrs = append(attrs, slog.String("pass", redacted))
	}
	if c.Location != nil {
		attrs = append(attrs, slog.String("location", c.Location.String()))
	}
	if c.Timeout != 0 {
		attrs = append(attrs, slog.Duration("timeout", c.Timeout))
	}
	return slog.GroupValue(attrs...)
}

func (c Config) authMode() string {
	switch {
	case c.AccessToken != "":
		return "accessToken"
	case c.Pseudo != "" || c.Pass != "":
		return "pseudo/pass"
	}
	return "none"
}

func redact(secret string) string {
	if secret == "" {
		return `""`
	}
	return redacted
}

// Client calls the sMsmode HTTP API. It is safe for concurrent use and meant
// to be shared: it holds a pool of keep-alive connections.
type Client struct {
	// The state sits behind a pointer so that even printing a Client value
	// with fmt (which ignores String on unexported fields) shows an address,
	// not the credentials.
	*client
}

type client struct {
	cfg     Config // normalised copy
	base    *url.URL
	auth20  *url.URL // createAuthorisation.do
	http    *http.Client
	secrets []string // redacted from any response snippet placed in an error
}

// NewClient validates cfg, fills in the defaults and returns a client.
// It fails on a malformed BaseURL, a BaseURL carrying a query or user info,
// missing credentials, or a negative Timeout.
func NewClient(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultBaseURL
	}
	base, err := url.Parse(cfg.BaseURL)
	if err != nil {
		// url.Parse's error quotes the URL; BaseURL holds no secret by
		// contract, but it might if misused, so keep only the reason.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("smsmode: config: BaseURL: %v", err)
	}
	switch {
	case base.Scheme != "http" && base.Scheme != "https":
		return nil, errors.New("smsmode: config: BaseURL: must be an absolute http or https URL")
	case base.Host == "":
		return nil, errors.New("smsmode: config: BaseURL: missing host")
	case base.User != nil:
		return nil, errors.New("smsmode: config: BaseURL: must not carry user info (credentials go in Config, not in the URL)")
	case base.RawQuery != "" || base.ForceQuery:
		return nil, errors.New("smsmode: config: BaseURL: must not carry a query (the client sets the parameters itself)")
	}
	base.Fragment, base.RawFragment = "", ""
	if !strings.HasSuffix(base.Path, "/") {
		// Without the slash "sendSMS.do" would resolve against the parent.
		base.Path += "/"
		if base.RawPath != "" {
			base.RawPath += "/"
		}
	}
	cfg.BaseURL = base.String()

	switch {
	case cfg.AccessToken != "":
	case cfg.Pseudo != "" && cfg.Pass != "":
	case cfg.Pseudo != "" || cfg.Pass != "":
		return nil, errors.New("smsmode: config: Pseudo and Pass must be set together")
	default:
		return nil, errors.New("smsmode: config: no credentials: set AccessToken, or Pseudo and Pass")
	}
	if cfg.Timeout < 0 {
		return nil, errors.New("smsmode: config: Timeout must not be negative")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Location == nil {
		cfg.Location = DefaultLocation()
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = defaultUserAgent
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = newHTTPClient()
	}
	c := &Client{&client{
		cfg:    cfg,
		base:   base,
		auth20: base.ResolveReference(&url.URL{Path: "../2.0/createAuthorisation.do"}),
		http:   hc,
	}}
	for _, s := range []string{cfg.AccessToken, cfg.Pass} {
		// Very short secrets would redact innocent text; they are also
		// unlikely to be real credentials.
		if len(s) >= 4 {
			c.secrets = append(c.secrets, s)
		}
	}
	return c, nil
}

// newHTTPClient returns the default client. A worker runs up to a hundred
// sends at once against a single host: the pool keeps that many connections
// alive instead of the standard library's two per host, which would make
// most sends pay a TCP and TLS handshake.
func newHTTPClient() *http.Client {
	tr := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   10 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   128,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{
		Transport: tr,
		// Following a redirect turns the POST into a GET without its body:
		// the provider would answer "35 missing parameter" for a request
		// that was never really made. Report the 3xx instead.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// String identifies the client without its credentials. Client has no
// exported fields, but fmt would otherwise print the unexported
// configuration, secrets included.
func (c *Client) String() string {
	if c == nil || c.client == nil {
		return "smsmode.Client(nil)"
	}
	return "smsmode.Client{" + c.cfg.BaseURL + " auth=" + c.cfg.authMode() + "}"
}

// GoString is String.
func (c *Client) GoString() string { return c.String() }

// LogValue implements slog.LogValuer with the secrets redacted.
func (c *Client) LogValue() slog.Value {
	if c == nil || c.client == nil {
		return slog.StringValue("<nil>")
	}
	return c.cfg.LogValue()
}

// Location returns the zone the client uses for date_envoi and for the
// dates of responses.
func (c *Client) Location() *time.Location { return c.cfg.Location }

// BaseURL returns the normalised base URL (always ending with a slash).
func (c *Client) BaseURL() string { return c.cfg.BaseURL }

// FormatSendDate formats t as the client sends it in date_envoi: local time
// of the client's Location, minute precision (LayoutSendDate).
func (c *Client) FormatSendDate(t time.Time) string {
	return t.In(c.cfg.Location).Format(LayoutSendDate)
}

// addAuth puts the credentials in the parameters: the form body of every
// endpoint but sendSMSBatch.do, whose parameters go in the query string.
func (c *Client) addAuth(v url.Values) {
	if c.cfg.AccessToken != "" {
		v.Set("accessToken", c.cfg.AccessToken)
		return
	}
	v.Set("pseudo", c.cfg.Pseudo)
	v.Set("pass", c.cfg.Pass)
}

// answer is a 2xx response read in full.
type answer struct {
	body string // decoded to UTF-8
}

// postForm sends params (with the credentials) as an
// application/x-www-form-urlencoded POST to endpoint under BaseURL.
func (c *Client) postForm(ctx context.Context, endpoint string, params url.Values) (*answer, error) {
	if params == nil {
		params = url.Values{}
	}
	c.addAuth(params)
	u := c.base.ResolveReference(&url.URL{Path: endpoint})
	return c.do(ctx, endpoint, u, "application/x-www-form-urlencoded", []byte(params.Encode()))
}

// do performs one POST and reads the answer. A non-2xx status becomes an
// *HTTPError; transport failures become a *TransportError.
func (c *Client) do(ctx context.Context, endpoint string, u *url.URL, contentType string, body []byte) (*answer, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()

	// wrote records that the whole request went out on some attempt: from
	// then on a missing answer leaves the outcome unknown (IsAmbiguous).
	var wrote atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				wrote.Store(true)
			}
		},
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, c.transportError(endpoint, u, err, false)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "text/plain, text/html;q=0.9, application/json;q=0.9, */*;q=0.5")
	req.Header.Set("User-Agent", c.cfg.UserAgent)

	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.transportError(endpoint, u, err, wrote.Load())
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseSize+1))
	if err != nil {
		// The status line arrived, so the provider got the request; only
		// the body was lost.
		return nil, c.transportError(endpoint, u, err, true)
	}
	if len(raw) > MaxResponseSize {
		return nil, &ProtocolError{Endpoint: endpoint, Reason: "response larger than 1 MiB", Snippet: c.snippet(string(raw[:400]))}
	}
	a := &answer{body: decodeBody(resp.Header.Get("Content-Type"), raw)}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, &HTTPError{
			Endpoint:    endpoint,
			StatusCode:  resp.StatusCode,
			RetryAfter:  parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()),
			Description: c.snippet(describeBody(resp.Header.Get("Content-Type"), a.body)),
		}
	}
	return a, nil
}

// transportError wraps a failed round trip. The *url.Error layer is dropped
// because its text quotes the URL, whose query holds the credentials of a
// sendSMSBatch.do request; a cause whose text still holds the query or a
// secret is wrapped in a *scrubbedError.
func (c *Client) transportError(endpoint string, u *url.URL, err error, written bool) error {
	var ue *url.Error
	for errors.As(err, &ue) && ue.Err != nil {
		err = ue.Err
	}
	if errors.As(err, &ue) { // a *url.Error without a cause
		err = errors.New(ue.Op + " " + safeURL(u) + ": failed")
	}
	if msg := err.Error(); msg != c.scrub(msg, u) {
		err = &scrubbedError{msg: c.scrub(msg, u), err: err}
	}
	return &TransportError{Endpoint: endpoint, Method: http.MethodPost, URL: safeURL(u), Written: written, Err: err}
}

// scrub removes from s the credentials and the query of u.
func (c *Client) scrub(s string, u *url.URL) string {
	if u.RawQuery != "" {
		s = strings.ReplaceAll(s, u.RawQuery, redacted)
	}
	return c.redactString(s)
}

// scrubbedError is a transport error whose text held a credential: it
// prints the scrubbed text and still unwraps to the cause, so that
// errors.Is(err, context.DeadlineExceeded) keeps working.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// safeURL renders u without user info, query or fragment.
func safeURL(u *url.URL) string {
	v := *u
	v.User = nil
	v.RawQuery, v.ForceQuery = "", false
	v.Fragment, v.RawFragment = "", ""
	return v.String()
}

// snippet returns a short, printable, secret-free excerpt for an error.
// Secrets are removed before truncating, so that no prefix of one survives.
func (c *Client) snippet(s string) string {
	return sanitize(c.redactString(s), 120)
}

// describeBody makes an error body readable in one line: the message of a
// JSON error, the text of an HTML page, or the body itself.
func describeBody(contentType, body string) string {
	mt, _, _ := mime.ParseMediaType(contentType)
	trimmed := strings.TrimSpace(body)
	if mt == "application/json" || strings.HasPrefix(trimmed, "{") {
		if msg, ok := jsonMessage(trimmed); ok {
			return msg
		}
	}
	if mt == "text/html" || strings.HasPrefix(trimmed, "<") {
		return stripTags(body)
	}
	return body
}

func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
			b.WriteByte(' ')
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// parseRetryAfter reads delta-seconds or an HTTP date; zero if absent or bad.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, ok := atoiBounded(v, 9); ok {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
