package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/smsq/smsq/event"
)

// DefaultForwardTimeout bounds one forwarding request.
const DefaultForwardTimeout = 10 * time.Second

// Forwarder POSTs events to the application (EVENTS_FORWARD_URL), signed
// with EVENTS_SIGNING_SECRET.
//
// # Signature scheme (v1)
//
// Each request carries
//
//	Content-Type:   application/json
//	Smsq-Timestamp: 1767225600                (unix seconds when it was signed)
//	Smsq-Signature: v1=5257a869e7ecebeda32af…  (lower-case hex)
//
// where the hex string is HMAC-SHA256, keyed with the signing secret, of
// the timestamp, a ".", and the raw request body, byte for byte:
//
//	signature = hex(HMAC_SHA256(secret, timestamp + "." + body))
//
// A receiver recomputes it over the body exactly as received (before any
// JSON decoding), compares in constant time, and rejects timestamps too far
// from its clock (5 minutes is usual) to stop replays. Smsq-Signature may in
// future carry several comma-separated "v1=…" entries (secret rotation):
// accept the request when any matches. Go receivers call event.Verify
// (package event imports only the standard library).
//
// A non-2xx answer (a redirect included: the signed body is never re-posted
// elsewhere) or a network error is returned as an error, so the event task
// is retried with back-off and archived when its retries run out. The
// secret appears in no error; the URL is reduced to scheme, host and path.
type Forwarder struct {
	url     string
	safeURL string
	secret  string
	client  *http.Client
	now     func() time.Time
	observe func(typ string, err error)
}

// ForwarderOption configures a Forwarder.
type ForwarderOption func(*Forwarder)

// WithForwardClient replaces the HTTP client (default: its own transport,
// a DefaultForwardTimeout timeout, and no redirect followed).
func WithForwardClient(c *http.Client) ForwarderOption { return func(f *Forwarder) { f.client = c } }

// WithForwardObserver is told the outcome of every forward (metrics).
func WithForwardObserver(observe func(typ string, err error)) ForwarderOption {
	return func(f *Forwarder) { f.observe = observe }
}

// WithForwardClock replaces time.Now for the timestamp (tests).
func WithForwardClock(now func() time.Time) ForwarderOption {
	return func(f *Forwarder) { f.now = now }
}

// NewForwarder returns a Forwarder posting to target (an http or https URL)
// signed with secret. Its errors never contain the secret.
func NewForwarder(target, secret string, opts ...ForwarderOption) (*Forwarder, error) {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("forward: EVENTS_FORWARD_URL must be an absolute http or https URL")
	}
	if secret == "" {
		return nil, errors.New("forward: EVENTS_SIGNING_SECRET is empty")
	}
	f := &Forwarder{
		url:     target,
		safeURL: u.Scheme + "://" + u.Host + u.Path,
		secret:  secret,
		now:     time.Now,
	}
	for _, o := range opts {
		o(f)
	}
	if f.client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 16
		f.client = &http.Client{Timeout: DefaultForwardTimeout, Transport: tr, CheckRedirect: noRedirect}
	}
	return f, nil
}

// String describes the forwarder without its secret.
func (f *Forwarder) String() string { return "forwarder to " + f.safeURL }

// Forward posts {"type":typ,"id":id,"data":data} and returns nil on a 2xx answer.
func (f *Forwarder) Forward(ctx context.Context, typ, id string, data any) error {
	err := f.forward(ctx, typ, id, data)
	if f.observe != nil {
		f.observe(typ, err)
	}
	return err
}

func (f *Forwarder) forward(ctx context.Context, typ, id string, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("forward %s %s: encode: %w", typ, id, err)
	}
	body, err := json.Marshal(event.Envelope{Type: typ, ID: id, Data: raw})
	if err != nil {
		return fmt.Errorf("forward %s %s: encode: %w", typ, id, err)
	}
	ts := strconv.FormatInt(f.now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("forward %s %s to %s: cannot build the request", typ, id, f.safeURL)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "smsq-forwarder/1")
	req.Header.Set(event.HeaderTimestamp, ts)
	req.Header.Set(event.HeaderSignature, event.Sign(f.secret, ts, body))
	resp, err := f.client.Do(req)
	if err != nil {
		// *url.Error repeats the full URL, which may carry credentials.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("forward %s %s to %s: %w", typ, id, f.safeURL, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // reuse the connection
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("forward %s %s to %s: HTTP %d", typ, id, f.safeURL, resp.StatusCode)
	}
	return nil
}

// noRedirect answers a redirect as the final response: a signed event goes
// to EVENTS_FORWARD_URL and nowhere else.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
