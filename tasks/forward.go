package tasks

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Headers of a forwarded event.
const (
	HeaderTimestamp = "Smsq-Timestamp" // unix seconds, decimal
	HeaderSignature = "Smsq-Signature" // "v1=" + hex HMAC-SHA256
)

// DefaultForwardTimeout bounds one forwarding request.
const DefaultForwardTimeout = 10 * time.Second

// DefaultSignatureTolerance is the clock skew and delay VerifySignature
// callers should usually accept.
const DefaultSignatureTolerance = 5 * time.Minute

// Event is the JSON body of a forwarded event:
//
//	{"type":"sms:delivery","id":"dlr:…","data":{…DeliveryPayload…}}
//	{"type":"sms:reply","id":"mo:…","data":{…ReplyPayload…}}
//
// id is the event task's ID: the same for every delivery attempt of the
// same event (retries, a duplicate callback), so receivers deduplicate on
// it.
type Event struct {
	Type string          `json:"type"`
	ID   string          `json:"id"`
	Data json.RawMessage `json:"data"`
}

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
// accept the request when any matches. Go receivers call VerifySignature.
//
// A non-2xx answer or a network error is returned as an error, so the event
// task is retried with back-off and archived when its retries run out. The
// secret appears in no error; the URL is reduced to scheme, host and path.
type Forwarder struct {
	url     string
	safeURL string
	secret  []byte
	client  *http.Client
	now     func() time.Time
	observe func(typ string, err error)
}

// ForwarderOption configures a Forwarder.
type ForwarderOption func(*Forwarder)

// WithForwardClient replaces the HTTP client (default: its own transport
// and a DefaultForwardTimeout timeout).
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
		secret:  []byte(secret),
		now:     time.Now,
	}
	for _, o := range opts {
		o(f)
	}
	if f.client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 16
		f.client = &http.Client{Timeout: DefaultForwardTimeout, Transport: tr}
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
	body, err := json.Marshal(Event{Type: typ, ID: id, Data: raw})
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
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, "v1="+sign(f.secret, ts, body))
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

// Sign returns the Smsq-Signature value of body signed at timestamp (unix
// seconds, as sent in Smsq-Timestamp): "v1=" + hex(HMAC-SHA256(secret,
// timestamp + "." + body)).
func Sign(secret, timestamp string, body []byte) string {
	return "v1=" + sign([]byte(secret), timestamp, body)
}

func sign(secret []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Errors of VerifySignature.
var (
	ErrSignatureMismatch  = errors.New("smsq signature: no v1 signature matches")
	ErrSignatureExpired   = errors.New("smsq signature: timestamp outside the tolerance")
	ErrSignatureMalformed = errors.New("smsq signature: malformed header")
)

// VerifySignature checks a forwarded event: timestamp and signature are the
// Smsq-Timestamp and Smsq-Signature headers, body the raw request body.
// It returns nil when a v1 entry of signature matches and timestamp is
// within tolerance of now (tolerance ≤ 0: DefaultSignatureTolerance), and
// otherwise ErrSignatureMalformed, ErrSignatureExpired or
// ErrSignatureMismatch. The comparison takes constant time.
//
//	err := tasks.VerifySignature(secret, r.Header.Get(tasks.HeaderTimestamp),
//		r.Header.Get(tasks.HeaderSignature), body, 5*time.Minute, time.Now())
func VerifySignature(secret, timestamp, signature string, body []byte, tolerance time.Duration, now time.Time) error {
	if tolerance <= 0 {
		tolerance = DefaultSignatureTolerance
	}
	sec, err := strconv.ParseInt(strings.TrimSpace(timestamp), 10, 64)
	if err != nil || sec <= 0 {
		return ErrSignatureMalformed
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrSignatureExpired
	}
	want := []byte(sign([]byte(secret), strings.TrimSpace(timestamp), body))
	found := false
	for entry := range strings.SplitSeq(signature, ",") {
		v, ok := strings.CutPrefix(strings.TrimSpace(entry), "v1=")
		if !ok {
			continue
		}
		found = true
		if hmac.Equal([]byte(strings.ToLower(v)), want) {
			return nil
		}
	}
	if !found {
		return ErrSignatureMalformed
	}
	return ErrSignatureMismatch
}
