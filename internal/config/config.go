// Package config reads smsq's settings from the environment (README,
// "Configuration"). Every command uses it, so a variable means the same
// thing everywhere, and it is the one home of their defaults.
package config

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kelseyhightower/envconfig"
	"github.com/redis/go-redis/v9"

	"github.com/smsq/smsq/internal/redisurl"
	"github.com/smsq/smsq/marketing"
	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/tasks"
)

// Config holds every setting. Each field's tags say, besides the variable
// and its default, what it means (desc) and which process reads it (readby:
// producer, worker or both): Settings turns them into the --help texts and
// docs/configuration.md, so the documentation cannot drift from the code.
type Config struct {
	RedisURL string `envconfig:"REDIS_URL" default:"redis://127.0.0.1:6379/0" readby:"both" desc:"smsq's Redis: redis://[USER:PASSWORD@]HOST:6379/DB (USER: an ACL user), rediss:// (TLS), redis-socket:///PATH, or redis-sentinel://[:PASSWORD@]H1:26379,H2:26379[/DB]?master=NAME (add &sentinel_password=… when the Sentinels' password differs)"`

	SmsmodeBaseURL     string        `envconfig:"SMSMODE_BASE_URL" default:"https://api.smsmode.com/http/1.6/" readby:"both" desc:"sMsmode HTTP API base URL; point it at a fake in tests and demos (enqueue: cancel only)"`
	SmsmodeAccessToken string        `envconfig:"SMSMODE_ACCESS_TOKEN" readby:"both" desc:"sMsmode access token, the preferred credential; required by the worker's task role unless SMSMODE_PSEUDO and SMSMODE_PASS are set (enqueue: cancel of a message sMsmode holds)"`
	SmsmodePseudo      string        `envconfig:"SMSMODE_PSEUDO" readby:"both" desc:"sMsmode login, with SMSMODE_PASS, when there is no access token"`
	SmsmodePass        string        `envconfig:"SMSMODE_PASS" readby:"both" desc:"sMsmode password of SMSMODE_PSEUDO"`
	Timezone           Location      `envconfig:"SMSMODE_TIMEZONE" default:"Europe/Paris" readby:"both" desc:"IANA zone of date_envoi, of callback dates, of enqueue --at and printed times, and of MARKETING_HOURS (zone data embedded)"`
	DefaultRegion      string        `envconfig:"SMSMODE_DEFAULT_REGION" default:"FR" readby:"both" desc:"two-letter region of national numbers such as 0612345678"`
	Rate               float64       `envconfig:"SMSMODE_RATE" default:"0" readby:"worker" desc:"most sMsmode API requests per second, shared by all worker pods through Redis (0: no limit)"`
	Timeout            time.Duration `envconfig:"SMSMODE_TIMEOUT" default:"15s" readby:"both" desc:"time limit of one sMsmode API request"`

	// RateReserve is how many requests of the SMSMODE_RATE budget only
	// queue critical may take (a burst kept for OTPs; 0: none).
	RateReserve int `envconfig:"SMSMODE_RATE_RESERVE" default:"2" readby:"worker" desc:"requests of the SMSMODE_RATE budget kept as a burst only queue critical may take (0: none)"`

	WorkerConcurrency int    `envconfig:"WORKER_CONCURRENCY" default:"20" readby:"worker" desc:"tasks in flight per worker pod"`
	WorkerQueues      Queues `envconfig:"WORKER_QUEUES" default:"critical=6,default=3,low=1,events=2" readby:"both" desc:"queues this pod serves, with their weights (name=weight,…); producers refuse any other queue (events is reserved for follow-ups)"`
	// CriticalConcurrency is how many task slots each pod keeps for queue
	// critical alone, on top of WORKER_CONCURRENCY (0: none).
	CriticalConcurrency int    `envconfig:"CRITICAL_CONCURRENCY" default:"5" readby:"worker" desc:"task slots per pod for queue critical alone, on top of WORKER_CONCURRENCY (0: none)"`
	HTTPAddr            string `envconfig:"HTTP_ADDR" default:":8080" readby:"worker" desc:"listen address of the webhooks, the HTTP producer API, /healthz and /readyz (and of /metrics and /monitoring/ without ADMIN_ADDR)"`
	AdminAddr           string `envconfig:"ADMIN_ADDR" readby:"worker" desc:"separate listen address of the web UI and /metrics, kept off the public port (empty: served on HTTP_ADDR)"` // web UI and /metrics apart from HTTP_ADDR

	// WebhookSecret is the callback routes' path segment; "new,old" during
	// a rotation (the first goes into new notification URLs, all are
	// accepted).
	WebhookSecret    Secrets `envconfig:"WEBHOOK_SECRET" readby:"worker" desc:"enables the callback routes: their unguessable path segment (16+ characters of letters, digits, -._~); \"new,old\" during a rotation"`
	WebhookPublicURL string  `envconfig:"WEBHOOK_PUBLIC_URL" readby:"worker" desc:"public base URL of the callback routes: when set, sends carry notification_url and notification_url_reponse pointing there"`

	// APITokens enables the HTTP producer API: NAME:TOKEN[,NAME:TOKEN…].
	APITokens APITokens `envconfig:"API_TOKENS" readby:"worker" desc:"enables the HTTP producer API served by the worker: NAME:TOKEN[,NAME:TOKEN…], tokens of 16+ characters"`

	// Delivery reports without callbacks: poll compteRendu.do for accepted
	// messages still without a final status DLRPollAfter after acceptance
	// (0 disables), until DLRPollUntil after acceptance.
	DLRPollAfter time.Duration `envconfig:"DLR_POLL_AFTER" default:"15m" readby:"worker" desc:"poll compteRendu.do for accepted messages still without a final status this long after acceptance (0: no polling)"`
	DLRPollUntil time.Duration `envconfig:"DLR_POLL_UNTIL" default:"48h" readby:"worker" desc:"stop polling a message's delivery report this long after acceptance"`

	// When commercial ("marketing") messages may be sent, in SMSMODE_TIMEZONE.
	MarketingHours    MarketingHours    `envconfig:"MARKETING_HOURS" default:"Mon-Sat 08:00-20:00" readby:"both" desc:"when marketing messages may be sent, in SMSMODE_TIMEZONE (e.g. \"Mon-Fri 08:00-12:00,14:00-20:00; Sat 10:00-18:00\"); others get date_envoi at the next opening"`
	MarketingHolidays MarketingHolidays `envconfig:"MARKETING_HOLIDAYS" default:"FR" readby:"both" desc:"days closed to marketing messages: FR (French public holidays), FR-57 (plus Alsace-Moselle's) or none"`

	// Fraud guard: destination countries allowed ("*": any), and an
	// optional daily cap of messages per destination country.
	AllowedCountries Countries  `envconfig:"ALLOWED_COUNTRIES" default:"*" readby:"both" desc:"destination countries allowed, ISO codes (FR,BE,CH), or * for any"`
	DailyCountryCap  CountryCap `envconfig:"DAILY_COUNTRY_CAP" readby:"both" desc:"most messages a day per destination country: N for each, or FR=50000,*=100 (empty: no cap)"`

	MonitoringUser     string `envconfig:"MONITORING_USER" readby:"worker" desc:"basic-auth user of the web UI (/monitoring/)"`
	MonitoringPassword string `envconfig:"MONITORING_PASSWORD" readby:"worker" desc:"basic-auth password of the web UI, 16+ characters; the UI is off without it"`
	MonitoringReadOnly bool   `envconfig:"MONITORING_READ_ONLY" default:"false" readby:"worker" desc:"true: the web UI shows queues and tasks but cannot change them"` // view-only web UI

	// Role selects what this process runs: all, tasks or webhooks (also the worker's --role flag).
	Role string `envconfig:"WORKER_ROLE" default:"all" readby:"worker" desc:"what the worker runs: all, tasks (task servers) or webhooks (callback routes and HTTP producer API); --role overrides it"`

	EventsForwardURL    string `envconfig:"EVENTS_FORWARD_URL" readby:"worker" desc:"POST each delivery report and reply to this URL as signed JSON"`
	EventsSigningSecret string `envconfig:"EVENTS_SIGNING_SECRET" readby:"worker" desc:"key signing the forwarded events (16+ characters); required with EVENTS_FORWARD_URL"`

	RetryBaseDelay  time.Duration `envconfig:"RETRY_BASE_DELAY" default:"5s" readby:"worker" desc:"back-off before a failed task's first retry (with jitter: half to all of it); it doubles at each retry up to RETRY_MAX_DELAY"`
	RetryMaxDelay   time.Duration `envconfig:"RETRY_MAX_DELAY" default:"10m" readby:"worker" desc:"longest back-off between two attempts"`
	MaxRetry        int           `envconfig:"MAX_RETRY" default:"20" readby:"both" desc:"retries of a failed task before it is archived (0: none); stored in each task when it is enqueued"`
	BatchChunk      int           `envconfig:"BATCH_CHUNK" default:"1000" readby:"both" desc:"most rows per sms:batch task: a larger batch is enqueued as several tasks"`
	TaskRetention   time.Duration `envconfig:"TASK_RETENTION" default:"24h" readby:"both" desc:"how long finished tasks and their results stay in Redis, visible to status and the web UI (0: deleted at once); stored in each task when it is enqueued"`
	ShutdownTimeout time.Duration `envconfig:"SHUTDOWN_TIMEOUT" default:"30s" readby:"worker" desc:"on SIGTERM, how long in-flight tasks may finish before they go back to their queues"`
}

// secretVars never have their values printed, even in a parse error.
var secretVars = map[string]bool{
	"SMSMODE_ACCESS_TOKEN": true, "SMSMODE_PASS": true, "WEBHOOK_SECRET": true,
	"MONITORING_PASSWORD": true, "EVENTS_SIGNING_SECRET": true, "REDIS_URL": true,
	"API_TOKENS": true,
}

// Load reads the environment. Its errors are one line naming the variable.
func Load() (*Config, error) {
	var c Config
	if err := envconfig.Process("", &c); err != nil {
		var pe *envconfig.ParseError
		if errors.As(err, &pe) {
			if secretVars[pe.KeyName] {
				return nil, fmt.Errorf("config: %s is malformed", pe.KeyName)
			}
			return nil, fmt.Errorf("config: %s=%q is malformed: %v", pe.KeyName, pe.Value, causeOf(pe.Err))
		}
		return nil, fmt.Errorf("config: %v", err)
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

func causeOf(err error) string {
	var ne *strconv.NumError
	if errors.As(err, &ne) {
		return "not a number"
	}
	return err.Error()
}

func (c *Config) validate() error {
	if _, err := c.RedisOptions(); err != nil {
		return err
	}
	u, err := url.Parse(c.SmsmodeBaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("config: SMSMODE_BASE_URL=%q is not an http(s) URL", c.SmsmodeBaseURL)
	}
	if len(c.DefaultRegion) != 2 {
		return fmt.Errorf("config: SMSMODE_DEFAULT_REGION=%q is not a two-letter region such as FR", c.DefaultRegion)
	}
	c.DefaultRegion = strings.ToUpper(c.DefaultRegion)
	switch {
	case c.Rate < 0:
		return fmt.Errorf("config: SMSMODE_RATE=%v must be 0 (no limit) or positive", c.Rate)
	case c.Timeout <= 0:
		return fmt.Errorf("config: SMSMODE_TIMEOUT=%v must be positive", c.Timeout)
	case c.WorkerConcurrency < 1:
		return fmt.Errorf("config: WORKER_CONCURRENCY=%d must be at least 1", c.WorkerConcurrency)
	case c.CriticalConcurrency < 0:
		return fmt.Errorf("config: CRITICAL_CONCURRENCY=%d must not be negative", c.CriticalConcurrency)
	case c.RateReserve < 0:
		return fmt.Errorf("config: SMSMODE_RATE_RESERVE=%d must not be negative", c.RateReserve)
	case c.DLRPollAfter < 0 || c.DLRPollUntil < 0 || (c.DLRPollAfter > 0 && c.DLRPollUntil < c.DLRPollAfter):
		return fmt.Errorf("config: DLR_POLL_AFTER=%v and DLR_POLL_UNTIL=%v: want 0 <= after <= until", c.DLRPollAfter, c.DLRPollUntil)
	case c.RetryBaseDelay <= 0 || c.RetryMaxDelay < c.RetryBaseDelay:
		return fmt.Errorf("config: RETRY_BASE_DELAY=%v and RETRY_MAX_DELAY=%v must be positive with base <= max", c.RetryBaseDelay, c.RetryMaxDelay)
	case c.MaxRetry < 0:
		return fmt.Errorf("config: MAX_RETRY=%d must not be negative", c.MaxRetry)
	case c.BatchChunk < 1:
		return fmt.Errorf("config: BATCH_CHUNK=%d must be at least 1", c.BatchChunk)
	case c.TaskRetention < 0:
		return fmt.Errorf("config: TASK_RETENTION=%v must not be negative", c.TaskRetention)
	case c.ShutdownTimeout <= 0:
		return fmt.Errorf("config: SHUTDOWN_TIMEOUT=%v must be positive", c.ShutdownTimeout)
	}
	if c.WebhookPublicURL != "" {
		u, err := url.Parse(c.WebhookPublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("config: WEBHOOK_PUBLIC_URL=%q is not an http(s) URL", c.WebhookPublicURL)
		}
	}
	if c.EventsForwardURL != "" {
		u, err := url.Parse(c.EventsForwardURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("config: EVENTS_FORWARD_URL is not an http(s) URL")
		}
	}
	if _, err := marketing.New(c.MarketingHours.Hours, c.MarketingHolidays.Holidays, c.Timezone.Location); err != nil {
		return fmt.Errorf("config: MARKETING_HOURS: %v", err)
	}
	if c.AdminAddr != "" && c.AdminAddr == c.HTTPAddr {
		return errors.New("config: ADMIN_ADDR must differ from HTTP_ADDR (leave it empty to serve everything on HTTP_ADDR)")
	}
	if c.MonitoringUser != "" && c.MonitoringPassword == "" {
		return errors.New("config: MONITORING_USER is set but MONITORING_PASSWORD is empty (the web UI stays off without a password)")
	}
	return nil
}

// Defaults returns the documented defaults, as Load gives them in an empty
// environment, without reading the environment: for tests and benchmarks
// that adjust a few fields. It panics on a malformed default tag, which a
// test of this package rules out.
func Defaults() *Config {
	var c Config
	v := reflect.ValueOf(&c).Elem()
	t := v.Type()
	for i := range t.NumField() {
		def, ok := t.Field(i).Tag.Lookup("default")
		if !ok {
			continue
		}
		if err := setField(v.Field(i), def); err != nil {
			panic(fmt.Sprintf("config: default of %s: %v", t.Field(i).Name, err))
		}
	}
	if err := c.validate(); err != nil {
		panic(err)
	}
	return &c
}

// With returns a copy of c with the settings of env ("NAME=VALUE", the
// variables' names) applied and validated, without reading the process's
// environment: what parallel tests use instead of t.Setenv.
func (c *Config) With(env ...string) (*Config, error) {
	cp := *c
	v := reflect.ValueOf(&cp).Elem()
	t := v.Type()
	for _, kv := range env {
		name, value, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("config: %q is not NAME=VALUE", kv)
		}
		found := false
		for i := range t.NumField() {
			if t.Field(i).Tag.Get("envconfig") != name {
				continue
			}
			found = true
			f := v.Field(i)
			f.Set(reflect.Zero(f.Type()))
			if value == "" {
				break // unset, as an empty variable
			}
			if err := setField(f, value); err != nil {
				return nil, fmt.Errorf("config: %s is malformed: %v", name, err)
			}
		}
		if !found {
			return nil, fmt.Errorf("config: unknown variable %s", name)
		}
	}
	if err := cp.validate(); err != nil {
		return nil, err
	}
	return &cp, nil
}

func setField(f reflect.Value, s string) error {
	if d, ok := f.Addr().Interface().(envconfig.Decoder); ok {
		return d.Decode(s)
	}
	switch f.Interface().(type) {
	case time.Duration:
		d, err := time.ParseDuration(s)
		f.SetInt(int64(d))
		return err
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(s)
	case reflect.Int:
		n, err := strconv.Atoi(s)
		f.SetInt(int64(n))
		return err
	case reflect.Float64:
		x, err := strconv.ParseFloat(s, 64)
		f.SetFloat(x)
		return err
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		f.SetBool(b)
		return err
	default:
		return fmt.Errorf("unsupported kind %s", f.Kind())
	}
	return nil
}

// Vars lists the environment variables Load reads, in declaration order:
// what a test or a benchmark clears to run with the documented defaults.
func Vars() []string {
	var names []string
	t := reflect.TypeFor[Config]()
	for i := range t.NumField() {
		if n := t.Field(i).Tag.Get("envconfig"); n != "" {
			names = append(names, n)
		}
	}
	return names
}

// Setting documents one environment variable, from Config's tags.
type Setting struct {
	Name    string // e.g. REDIS_URL
	Default string // "" when there is none
	Desc    string // what it means
	ReadBy  string // "producer" (the enqueue CLI), "worker" (every role, the HTTP producer API included) or "both"
	Secret  bool   // its value never appears in logs or errors
}

// Reads reports whether the process reader ("producer" or "worker") reads s.
func (s Setting) Reads(reader string) bool { return s.ReadBy == "both" || s.ReadBy == reader }

// Settings documents every variable of Vars, in the same order.
func Settings() []Setting {
	var out []Setting
	t := reflect.TypeFor[Config]()
	for i := range t.NumField() {
		tag := t.Field(i).Tag
		n := tag.Get("envconfig")
		if n == "" {
			continue
		}
		out = append(out, Setting{Name: n, Default: tag.Get("default"), Desc: tag.Get("desc"), ReadBy: tag.Get("readby"), Secret: secretVars[n]})
	}
	return out
}

// WriteHelp writes the variables reader ("producer" or "worker") reads,
// with their defaults and meanings, for its --help.
func WriteHelp(w io.Writer, reader string) {
	const indent = "      "
	for _, s := range Settings() {
		if !s.Reads(reader) {
			continue
		}
		line := "  " + s.Name
		if s.Default != "" {
			line += " (default " + s.Default + ")"
		}
		if s.Secret {
			line += " [secret]"
		}
		fmt.Fprintln(w, line)
		for _, l := range wrap(s.Desc, 78-len(indent)) {
			fmt.Fprintln(w, indent+l)
		}
	}
}

// WriteTable writes the Markdown table of every variable (docs/configuration.md).
func WriteTable(w io.Writer) {
	fmt.Fprintln(w, "| variable | default | read by | meaning |")
	fmt.Fprintln(w, "| --- | --- | --- | --- |")
	for _, s := range Settings() {
		def := "—"
		if s.Default != "" {
			def = "`" + s.Default + "`"
		}
		desc := strings.NewReplacer("|", `\|`, "*", `\*`).Replace(s.Desc)
		if s.Secret {
			desc += " **Secret**: never printed."
		}
		fmt.Fprintf(w, "| `%s` | %s | %s | %s |\n", s.Name, def, s.ReadBy, desc)
	}
}

// wrap cuts text into lines of at most width characters, at spaces.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		switch {
		case line == "":
			line = word
		case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(word) > width:
			lines = append(lines, line)
			line = word
		default:
			line += " " + word
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// RequireProvider reports a missing sMsmode credential: the worker cannot run without one.
func (c *Config) RequireProvider() error {
	if c.SmsmodeAccessToken == "" && (c.SmsmodePseudo == "" || c.SmsmodePass == "") {
		return errors.New("config: SMSMODE_ACCESS_TOKEN is required (or SMSMODE_PSEUDO and SMSMODE_PASS)")
	}
	return nil
}

// MinSecretLength is the shortest secret a worker accepts (WEBHOOK_SECRET,
// MONITORING_PASSWORD, EVENTS_SIGNING_SECRET, API tokens): shorter ones are
// guessable.
const MinSecretLength = 16

// Require checks what the worker of role ("all", "tasks" or "webhooks")
// cannot run without, and refuses weak secrets.
func (c *Config) Require(role string) error {
	if role != "webhooks" {
		if err := c.RequireProvider(); err != nil {
			return err
		}
	}
	if role == "webhooks" && len(c.WebhookSecret) == 0 {
		return errors.New("config: WEBHOOK_SECRET is required for the webhooks role")
	}
	if c.EventsForwardURL != "" && c.EventsSigningSecret == "" {
		return errors.New("config: EVENTS_SIGNING_SECRET is required when EVENTS_FORWARD_URL is set")
	}
	for _, s := range c.WebhookSecret {
		if len(s) < MinSecretLength {
			return fmt.Errorf("config: WEBHOOK_SECRET must be at least %d characters (e.g. openssl rand -hex 24)", MinSecretLength)
		}
	}
	if c.MonitoringPassword != "" && len(c.MonitoringPassword) < MinSecretLength {
		return fmt.Errorf("config: MONITORING_PASSWORD must be at least %d characters", MinSecretLength)
	}
	if c.EventsSigningSecret != "" && len(c.EventsSigningSecret) < MinSecretLength {
		return fmt.Errorf("config: EVENTS_SIGNING_SECRET must be at least %d characters", MinSecretLength)
	}
	for _, t := range c.APITokens {
		if len(t.Token) < MinSecretLength {
			return fmt.Errorf("config: API_TOKENS: the token of %q must be at least %d characters", t.Name, MinSecretLength)
		}
	}
	return nil
}

// RedisOptions parses REDIS_URL (see package redisurl); callers may adjust
// the options before opening the client.
func (c *Config) RedisOptions() (redisurl.Options, error) {
	o, err := redisurl.Parse(c.RedisURL)
	if err != nil {
		return redisurl.Options{}, errors.New("config: " + err.Error())
	}
	return o, nil
}

// RedisClient returns the process's Redis client for REDIS_URL: one per
// process, shared by asynq, the ledger and everything else.
func (c *Config) RedisClient() (redis.UniversalClient, error) {
	o, err := c.RedisOptions()
	if err != nil {
		return nil, err
	}
	return o.NewClient(), nil
}

// TaskOptions are the producer settings of the tasks package.
func (c *Config) TaskOptions() tasks.Options {
	var queues []string
	for q := range c.WorkerQueues {
		if q != QueueEvents {
			queues = append(queues, q)
		}
	}
	sort.Strings(queues)
	return tasks.Options{
		Region:           c.DefaultRegion,
		MaxRetry:         c.MaxRetry,
		Retention:        c.TaskRetention,
		BatchChunk:       c.BatchChunk,
		Queues:           queues,
		Marketing:        c.MarketingWindow(),
		AllowedCountries: c.AllowedCountries,
		DailyCap:         c.DailyCountryCap,
		Location:         c.Timezone.Location,
	}
}

// ProviderConfig is the sMsmode client's configuration.
func (c *Config) ProviderConfig() smsmode.Config {
	return smsmode.Config{
		BaseURL:     c.SmsmodeBaseURL,
		AccessToken: c.SmsmodeAccessToken,
		Pseudo:      c.SmsmodePseudo,
		Pass:        c.SmsmodePass,
		Location:    c.Timezone.Location,
		Timeout:     c.Timeout,
	}
}

// MarketingWindow is when commercial messages may be sent
// (MARKETING_HOURS, MARKETING_HOLIDAYS, in SMSMODE_TIMEZONE).
func (c *Config) MarketingWindow() *marketing.Window {
	// Both parts were validated by Load: New cannot fail.
	w, _ := marketing.New(c.MarketingHours.Hours, c.MarketingHolidays.Holidays, c.Timezone.Location)
	return w
}

// LogValue keeps secrets out of logs when the configuration is logged.
func (c *Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("smsmode_base_url", c.SmsmodeBaseURL),
		slog.Bool("smsmode_token_set", c.SmsmodeAccessToken != ""),
		slog.String("timezone", c.Timezone.String()),
		slog.String("region", c.DefaultRegion),
		slog.Float64("rate", c.Rate),
		slog.Int("concurrency", c.WorkerConcurrency),
		slog.String("queues", c.WorkerQueues.String()),
		slog.String("http_addr", c.HTTPAddr),
		slog.Bool("webhooks", len(c.WebhookSecret) > 0),
		slog.Int("api_tokens", len(c.APITokens)),
		slog.String("admin_addr", c.AdminAddr),
		slog.Int("critical_concurrency", c.CriticalConcurrency),
		slog.Bool("monitoring", c.MonitoringPassword != ""),
		slog.Bool("events_forward", c.EventsForwardURL != ""),
	)
}

// Location is a *time.Location read from an IANA zone name.
type Location struct{ *time.Location }

// Decode implements envconfig.Decoder.
func (l *Location) Decode(v string) error {
	loc, err := time.LoadLocation(v)
	if err != nil {
		return fmt.Errorf("unknown time zone")
	}
	l.Location = loc
	return nil
}

// Queues maps queue names to priority weights ("critical=6,default=3").
type Queues map[string]int

// Decode implements envconfig.Decoder.
func (q *Queues) Decode(v string) error {
	m := Queues{}
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, weight, ok := strings.Cut(part, "=")
		name = strings.TrimSpace(name)
		w, err := strconv.Atoi(strings.TrimSpace(weight))
		if !ok || name == "" || err != nil || w < 1 {
			return fmt.Errorf("want name=weight pairs with weights >= 1, got %q", part)
		}
		m[name] = w
	}
	if len(m) == 0 {
		return errors.New("no queue")
	}
	*q = m
	return nil
}

// String renders the queues in a stable order.
func (q Queues) String() string {
	names := make([]string, 0, len(q))
	for n := range q {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s=%d", n, q[n])
	}
	return strings.Join(parts, ",")
}
