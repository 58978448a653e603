package smsmodetest

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	// The default location is Europe/Paris: embed the tz database so the
	// fake works on machines and containers without /usr/share/zoneinfo.
	_ "time/tzdata"

	"github.com/smsq/smsq/smsmode"
)

// The reference's example credentials. A new Server accepts them until told
// otherwise, so tests can authenticate without any set-up.
const (
	AccessToken = "Ab1CD2efg3Hi"
	Pseudo      = "jean"
	Pass        = "abcd1234"
)

// ShortCode is the number that receives replies to classe_msg=4 messages,
// and the shortcode of the STOP mention ("STOP 36034", the reference's example).
const ShortCode = "36034"

// Defaults of a new Server.
const (
	// DefaultCredit is the account balance of a new Server, in credits.
	DefaultCredit = 1000
	// DefaultRequestLimit is how many requests (and callbacks) a Server
	// remembers for Requests and Callbacks; older ones are forgotten so that
	// load tests run in bounded memory.
	DefaultRequestLimit = 100_000
	// DefaultCallbackTimeout bounds each callback the server makes.
	DefaultCallbackTimeout = 5 * time.Second
	// maxCallbacks bounds the callbacks in progress at once.
	maxCallbacks = 32
)

// maxBody bounds a request body. The provider documents no limit; this one
// only protects the test process (a batch of 100k rows is about 10 MB).
const maxBody = 64 << 20

// Server is a fake sMsmode HTTP API listening on a loopback address. Its
// methods are safe for concurrent use.
type Server struct {
	// URL is the base URL of the API 1.6, "http://127.0.0.1:PORT/http/1.6/",
	// ready for smsmode.Config.BaseURL.
	URL string

	hs       *httptest.Server
	loc      *time.Location
	now      func() time.Time
	cbClient *http.Client
	closing  chan struct{} // closed when Close starts: ends latency waits
	cbSlots  chan struct{} // one token per callback in progress
	cbWG     sync.WaitGroup

	mu           sync.Mutex
	cbClosed     bool // no callback starts once set (Close is draining)
	gen          int  // incremented by Reset: reports of older messages stop
	initCredit   float64
	latency      time.Duration
	credit       float64
	tokens       map[string]bool
	accounts     map[string]string // pseudo → pass of the main account
	subAccounts  map[string]*SubAccount
	subOrder     []string
	groups       map[string][]string
	contacts     []Contact
	msgs         []*message
	byID         map[string]*message
	campaigns    map[string][]*message
	replies      []*reply
	faults       []*fault
	failNumbers  map[string]smsmode.Code
	autoDelivery []smsmode.Status
	timers       map[*time.Timer]struct{}
	msgLimit     int          // 0: keep every message
	control      bool         // WithControlAPI
	ctl          http.Handler // the control API, when enabled
	listener     net.Listener // from WithListener
	requests     ring[*Request]
	callbacks    ring[Callback]
	counts       map[string]int
}

// Option configures a Server in NewServer.
type Option func(*Server)

// WithCredit sets the initial balance (default DefaultCredit). Every send
// costs segments × recipients credits and is refused with code 33 when the
// balance is too low.
func WithCredit(c float64) Option { return func(s *Server) { s.credit = c } }

// WithLocation sets the zone of date_envoi, of dates in responses and of
// callback dates (default Europe/Paris).
func WithLocation(loc *time.Location) Option { return func(s *Server) { s.loc = loc } }

// WithLatency delays every answer by d; see SetLatency.
func WithLatency(d time.Duration) Option { return func(s *Server) { s.latency = d } }

// WithAutoDelivery makes the server report statuses for every recipient of
// every accepted message, in order, as the provider's network would: each
// status is stored (compteRendu.do) and, when the message has a
// notification_url, sent to it. Reports are made asynchronously, right after
// acceptance, or when a scheduled message falls due. Close waits for them.
func WithAutoDelivery(statuses ...smsmode.Status) Option {
	return func(s *Server) { s.autoDelivery = append([]smsmode.Status(nil), statuses...) }
}

// WithoutRecording turns off Requests and Callbacks recording, for
// benchmarks. RequestCount still counts.
func WithoutRecording() Option { return WithRequestLimit(0) }

// WithRequestLimit sets how many requests and callbacks are remembered
// (default DefaultRequestLimit); the oldest are forgotten first. 0 records nothing.
func WithRequestLimit(n int) Option {
	return func(s *Server) {
		s.requests.limit = max(n, 0)
		s.callbacks.limit = max(n, 0)
	}
}

// WithMessageLimit makes the server forget the oldest messages beyond n
// (0, the default, keeps them all), so that long load tests run in bounded
// memory. A forgotten message is answered like one the provider no longer
// has (code 61); forgetting a batch row forgets its campagneID.
func WithMessageLimit(n int) Option { return func(s *Server) { s.msgLimit = max(n, 0) } }

// WithListener serves on l instead of a new listener on 127.0.0.1:0, for
// instance on a fixed port for a demo. URL is derived from l's address.
func WithListener(l net.Listener) Option { return func(s *Server) { s.listener = l } }

// WithClock replaces time.Now, for deterministic dates (acceptance,
// scheduling, callback dates). The automatic reports of a scheduled message
// still wait in real time, for its date_envoi minus the clock's now.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithCallbackClient sets the client used for callbacks, for instance one
// trusting the certificate of an httptest.NewTLSServer. The default has a
// DefaultCallbackTimeout timeout.
func WithCallbackClient(c *http.Client) Option { return func(s *Server) { s.cbClient = c } }

// NewServer starts a fake sMsmode API on 127.0.0.1 with a random port. The
// caller must Close it.
func NewServer(opts ...Option) *Server {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil { // cannot happen: the tz database is embedded
		panic("smsmodetest: " + err.Error())
	}
	s := &Server{
		loc:         paris,
		now:         time.Now,
		closing:     make(chan struct{}),
		cbSlots:     make(chan struct{}, maxCallbacks),
		credit:      DefaultCredit,
		tokens:      map[string]bool{AccessToken: true},
		accounts:    map[string]string{Pseudo: Pass},
		subAccounts: map[string]*SubAccount{},
		groups:      map[string][]string{},
		byID:        map[string]*message{},
		campaigns:   map[string][]*message{},
		failNumbers: map[string]smsmode.Code{},
		timers:      map[*time.Timer]struct{}{},
		counts:      map[string]int{},
		requests:    ring[*Request]{limit: DefaultRequestLimit},
		callbacks:   ring[Callback]{limit: DefaultRequestLimit},
	}
	for _, o := range opts {
		o(s)
	}
	s.initCredit = s.credit
	if s.control {
		s.ctl = s.controlHandler()
	}
	if s.cbClient == nil {
		s.cbClient = &http.Client{
			Timeout: DefaultCallbackTimeout,
			// A transport of its own: closing it in Close leaves the
			// application's DefaultTransport alone.
			Transport: &http.Transport{
				Proxy:               nil, // callbacks target the test machine, never a proxy
				MaxIdleConnsPerHost: maxCallbacks,
				IdleConnTimeout:     30 * time.Second,
			},
		}
	}
	s.hs = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	if s.listener != nil {
		_ = s.hs.Listener.Close()
		s.hs.Listener = s.listener
	}
	s.hs.Start()
	s.URL = s.hs.URL + prefix16
	return s
}

// Close stops the server: it waits for requests in progress (latency waits
// end at once and their connections are dropped), cancels the automatic
// reports of scheduled messages that are not due, and waits for callbacks
// already due to be made.
func (s *Server) Close() {
	s.mu.Lock()
	select {
	case <-s.closing:
		s.mu.Unlock()
		return
	default:
		close(s.closing)
	}
	s.mu.Unlock()

	// Handlers still running may accept a message and start its reports:
	// only forbid new callbacks once they are done.
	s.hs.Close()

	s.mu.Lock()
	s.cbClosed = true
	for t := range s.timers {
		t.Stop()
	}
	clear(s.timers)
	s.mu.Unlock()

	s.cbWG.Wait()
	s.cbClient.CloseIdleConnections()
}

// Reset forgets the account's state, as a new Server would start: messages
// (and the automatic reports still to come for them), replies, contacts,
// groups, sub-accounts, scripted faults, recorded requests and callbacks,
// request counts; the balance goes back to its initial value (WithCredit).
// The configuration stays: access tokens and accounts, latency, automatic
// delivery statuses, location, clock.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gen++
	for t := range s.timers {
		t.Stop()
	}
	clear(s.timers)
	s.credit = s.initCredit
	s.subAccounts = map[string]*SubAccount{}
	s.subOrder = nil
	s.groups = map[string][]string{}
	s.contacts = nil
	s.msgs = nil
	s.byID = map[string]*message{}
	s.campaigns = map[string][]*message{}
	s.replies = nil
	s.faults = nil
	clear(s.failNumbers)
	s.requests = ring[*Request]{limit: s.requests.limit}
	s.callbacks = ring[Callback]{limit: s.callbacks.limit}
	clear(s.counts)
}

// Config returns a client configuration for this server: its URL, the
// default access token and its location.
func (s *Server) Config() smsmode.Config {
	return smsmode.Config{BaseURL: s.URL, AccessToken: AccessToken, Location: s.loc}
}

// Client returns a client of this server built from Config. It panics if
// smsmode.NewClient refuses the configuration, which would be a bug.
func (s *Server) Client() *smsmode.Client {
	c, err := smsmode.NewClient(s.Config())
	if err != nil {
		panic("smsmodetest: " + err.Error())
	}
	return c
}

// Location returns the zone of the server's dates.
func (s *Server) Location() *time.Location { return s.loc }

// SetLatency delays every answer by d, from now on. The delay is spent
// before the request is processed and ends early when the client gives up
// (its context ends): such a request is then not processed at all and gets
// no answer. To simulate a send accepted but never answered, use
// DropAfterAccept.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	s.latency = d
	s.mu.Unlock()
}

// SetAutoDelivery replaces the statuses reported automatically for messages
// accepted from now on (see WithAutoDelivery); none turns it off.
func (s *Server) SetAutoDelivery(statuses ...smsmode.Status) {
	s.mu.Lock()
	s.autoDelivery = append([]smsmode.Status(nil), statuses...)
	s.mu.Unlock()
}

// Credit returns the account balance.
func (s *Server) Credit() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.credit
}

// SetCredit sets the account balance.
func (s *Server) SetCredit(c float64) {
	s.mu.Lock()
	s.credit = c
	s.mu.Unlock()
}

// AddAccessToken makes token a valid accessToken, beside AccessToken.
func (s *Server) AddAccessToken(token string) {
	s.mu.Lock()
	s.tokens[token] = true
	s.mu.Unlock()
}

// RevokeAccessToken makes token invalid, AccessToken included: requests
// using it then get code 32.
func (s *Server) RevokeAccessToken(token string) {
	s.mu.Lock()
	delete(s.tokens, token)
	s.mu.Unlock()
}

// AddGroup creates (or extends) a contact group usable with the groupe
// parameter. Numbers are national French or international digits, stored as
// international digits.
func (s *Server) AddGroup(name string, numbers ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addToGroupLocked(name, numbers...)
}

func (s *Server) addToGroupLocked(name string, numbers ...string) {
	g := s.groups[name]
	for _, n := range numbers {
		if in, ok := normalizeNumber(n); ok {
			n = in
		}
		if !slices.Contains(g, n) {
			g = append(g, n)
		}
	}
	s.groups[name] = g
}

// Group returns the members of a contact group.
func (s *Server) Group(name string) ([]string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.groups[name]
	return append([]string(nil), g...), ok
}

// Request is one request the server received.
type Request struct {
	Method   string
	Endpoint string // last path element, e.g. "sendSMS.do"
	URL      string // path and query as received
	Header   http.Header
	Body     []byte // raw body
	// Params merges the query string and the form body (url-encoded or
	// multipart, whose file parts appear under their field name). Values are
	// the percent-decoded bytes: ISO-8859-15 or UTF-8 as the client sent them.
	Params url.Values
	// Status is the HTTP status of the answer; 0 while the request is in
	// progress, or when no answer was written (dropped connection, client gone).
	Status   int
	Response []byte // body of the answer as sent (ISO-8859-15 for text answers)
	Time     time.Time
}

// Callback is one call the server made to a notification URL.
type Callback struct {
	Kind       string // CallbackDelivery or CallbackReply
	URL        string
	StatusCode int    // HTTP status of the answer; 0 when the call failed
	Err        string // transport error, if any
	Time       time.Time
}

// Callback kinds.
const (
	CallbackDelivery = "delivery"
	CallbackReply    = "reply"
)

// Requests returns the requests received, oldest first: the last
// DefaultRequestLimit unless WithRequestLimit or WithoutRecording said otherwise.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	all := s.requests.all()
	out := make([]Request, len(all))
	for i, r := range all {
		out[i] = *r // Status and Response change under the lock only
	}
	s.mu.Unlock()
	// Copy and parse outside the lock: the recorded fields no longer change.
	for i := range out {
		r := &out[i]
		r.Header = r.Header.Clone()
		r.Body = bytes.Clone(r.Body)
		r.Response = bytes.Clone(r.Response)
		// Params are parsed again rather than kept: that halves the memory
		// a recorded request holds.
		var rawQuery string
		if u, err := url.Parse(r.URL); err == nil {
			rawQuery = u.RawQuery
		}
		r.Params, _ = parseParams(r.Method, rawQuery, r.Header.Get("Content-Type"), r.Body)
	}
	return out
}

// RequestCount returns how many requests were received for endpoint (e.g.
// "sendSMS.do"; "" counts all), recorded or not.
func (s *Server) RequestCount(endpoint string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if endpoint == "" {
		n := 0
		for _, c := range s.counts {
			n += c
		}
		return n
	}
	return s.counts[canonicalEndpoint(endpoint)]
}

// Callbacks returns the callbacks made, oldest first (same limit as Requests).
func (s *Server) Callbacks() []Callback {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.callbacks.all()
}

// serve is the HTTP handler of every path.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if s.ctl != nil && strings.HasPrefix(r.URL.Path, ControlPrefix) {
		s.ctl.ServeHTTP(w, r) // not a provider request: not recorded
		return
	}
	ep, known := route(r.URL.Path)
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	rec := &Request{
		Method:   r.Method,
		Endpoint: ep,
		URL:      r.URL.String(),
		Header:   r.Header, // not mutated after the handler returns; Requests clones it
		Body:     body,
		Time:     s.now(),
	}
	var (
		params  url.Values
		fichier []byte
	)
	if known && err == nil && (r.Method == http.MethodGet || r.Method == http.MethodPost) {
		params, fichier = parseParams(r.Method, r.URL.RawQuery, r.Header.Get("Content-Type"), body)
	}

	s.mu.Lock()
	s.requests.add(rec)
	s.counts[ep]++
	latency := s.latency
	s.mu.Unlock()

	if err != nil { // the client went away while sending
		return
	}
	if latency > 0 && !s.wait(r.Context(), latency) {
		dropConn(w)
		return
	}

	var a answer
	switch {
	case !known:
		a = answer{status: http.StatusNotFound, ctype: "text/plain; charset=utf-8", body: []byte("404 page not found\n")}
	case r.Method != http.MethodGet && r.Method != http.MethodPost:
		w.Header().Set("Allow", "GET, POST")
		a = answer{status: http.StatusMethodNotAllowed, ctype: "text/plain; charset=utf-8", body: []byte("405 method not allowed\n")}
	case len(body) > maxBody:
		a = answer{status: http.StatusRequestEntityTooLarge, ctype: "text/plain; charset=utf-8", body: []byte("413 request entity too large\n")}
	default:
		c := &call{s: s, ep: endpoints[ep], method: r.Method, params: params, fichier: fichier, now: s.now()}
		f := s.takeFault(ep)
		switch {
		case f == nil:
			a = c.ep.handle(c)
		case f.kind == faultDrop:
			dropConn(w)
			return
		case f.kind == faultDropAfter:
			c.ep.handle(c)
			dropConn(w)
			return
		case f.kind == faultHTTP:
			a = httpFault(w, f.status)
		case f.kind == faultAcceptThenHTTP:
			c.ep.handle(c)
			a = httpFault(w, f.status)
		case f.kind == faultAcceptThenCode:
			c.ep.handle(c)
			a = c.fail(f.code)
		default:
			a = c.fail(f.code)
		}
	}

	if a.ctype != "" {
		w.Header().Set("Content-Type", a.ctype)
	}
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)

	s.mu.Lock()
	rec.Status = a.status
	rec.Response = a.body
	s.mu.Unlock()
}

// wait sleeps d unless the client gives up or the server closes first; it
// reports whether the full delay elapsed.
func (s *Server) wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.closing:
		return false
	}
}

// dropConn closes the connection without an answer, as a crashed proxy or a
// network cut would.
func dropConn(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	// HTTP/2 or a wrapped writer: aborting the handler resets the stream.
	panic(http.ErrAbortHandler)
}

// answer is a response about to be written.
type answer struct {
	status int
	ctype  string
	body   []byte
}

// ring keeps the last limit items added.
type ring[T any] struct {
	buf   []T
	next  int // oldest item once the buffer is full
	limit int
}

func (r *ring[T]) add(v T) {
	if r.limit <= 0 {
		return
	}
	if len(r.buf) < r.limit {
		r.buf = append(r.buf, v)
		return
	}
	r.buf[r.next] = v
	r.next = (r.next + 1) % r.limit
}

func (r *ring[T]) all() []T {
	out := make([]T, 0, len(r.buf))
	out = append(out, r.buf[r.next:]...)
	return append(out, r.buf[:r.next]...)
}

func cloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// errClosed is returned by Deliver and Reply once Close has started.
var errClosed error = &refusal{status: http.StatusServiceUnavailable, msg: "smsmodetest: server closed"}

// canonicalEndpoint turns "sendSMS" or "/http/1.6/sendSMS.do" into "sendSMS.do".
func canonicalEndpoint(ep string) string {
	if i := strings.LastIndexByte(ep, '/'); i >= 0 {
		ep = ep[i+1:]
	}
	if ep != "" && !strings.HasSuffix(ep, ".do") {
		ep += ".do"
	}
	return ep
}
