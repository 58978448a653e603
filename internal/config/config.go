// Package config reads smsq's settings from the environment (README,
// "Configuration"). Every command uses it, so a variable means the same
// thing everywhere, and it is the one home of their defaults.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kelseyhightower/envconfig"
	"github.com/redis/go-redis/v9"

	"github.com/smsq/smsq/internal/redisurl"
	"github.com/smsq/smsq/marketing"
	"github.com/smsq/smsq/tasks"
)

// Config holds every setting.
type Config struct {
	RedisURL string `envconfig:"REDIS_URL" default:"redis://127.0.0.1:6379/0"`

	SmsmodeBaseURL     string        `envconfig:"SMSMODE_BASE_URL" default:"https://api.smsmode.com/http/1.6/"`
	SmsmodeAccessToken string        `envconfig:"SMSMODE_ACCESS_TOKEN"`
	SmsmodePseudo      string        `envconfig:"SMSMODE_PSEUDO"`
	SmsmodePass        string        `envconfig:"SMSMODE_PASS"`
	Timezone           Location      `envconfig:"SMSMODE_TIMEZONE" default:"Europe/Paris"`
	DefaultRegion      string        `envconfig:"SMSMODE_DEFAULT_REGION" default:"FR"`
	Rate               float64       `envconfig:"SMSMODE_RATE" default:"0"`
	Timeout            time.Duration `envconfig:"SMSMODE_TIMEOUT" default:"15s"`

	// RateReserve is how many requests of the SMSMODE_RATE budget only
	// queue critical may take (a burst kept for OTPs; 0: none).
	RateReserve int `envconfig:"SMSMODE_RATE_RESERVE" default:"2"`

	WorkerConcurrency int    `envconfig:"WORKER_CONCURRENCY" default:"20"`
	WorkerQueues      Queues `envconfig:"WORKER_QUEUES" default:"critical=6,default=3,low=1,events=2"`
	// CriticalConcurrency is how many task slots each pod keeps for queue
	// critical alone, on top of WORKER_CONCURRENCY (0: none).
	CriticalConcurrency int    `envconfig:"CRITICAL_CONCURRENCY" default:"5"`
	HTTPAddr            string `envconfig:"HTTP_ADDR" default:":8080"`
	AdminAddr           string `envconfig:"ADMIN_ADDR"` // web UI and /metrics apart from HTTP_ADDR

	// WebhookSecret is the callback routes' path segment; "new,old" during
	// a rotation (the first goes into new notification URLs, all are
	// accepted).
	WebhookSecret    Secrets `envconfig:"WEBHOOK_SECRET"`
	WebhookPublicURL string  `envconfig:"WEBHOOK_PUBLIC_URL"`

	// APITokens enables the HTTP producer API: NAME:TOKEN[,NAME:TOKEN…].
	APITokens APITokens `envconfig:"API_TOKENS"`

	// Delivery reports without callbacks: poll compteRendu.do for accepted
	// messages still without a final status DLRPollAfter after acceptance
	// (0 disables), until DLRPollUntil after acceptance.
	DLRPollAfter time.Duration `envconfig:"DLR_POLL_AFTER" default:"15m"`
	DLRPollUntil time.Duration `envconfig:"DLR_POLL_UNTIL" default:"48h"`

	// When commercial ("marketing") messages may be sent, in SMSMODE_TIMEZONE.
	MarketingHours    MarketingHours    `envconfig:"MARKETING_HOURS" default:"Mon-Sat 08:00-20:00"`
	MarketingHolidays MarketingHolidays `envconfig:"MARKETING_HOLIDAYS" default:"FR"`

	// Fraud guard: destination countries allowed ("*": any), and an
	// optional daily cap of messages per destination country.
	AllowedCountries Countries  `envconfig:"ALLOWED_COUNTRIES" default:"*"`
	DailyCountryCap  CountryCap `envconfig:"DAILY_COUNTRY_CAP"`

	MonitoringUser     string `envconfig:"MONITORING_USER"`
	MonitoringPassword string `envconfig:"MONITORING_PASSWORD"`
	MonitoringReadOnly bool   `envconfig:"MONITORING_READ_ONLY" default:"false"` // view-only web UI

	// Role selects what this process runs: all, tasks or webhooks (also the worker's --role flag).
	Role string `envconfig:"WORKER_ROLE" default:"all"`

	EventsForwardURL    string `envconfig:"EVENTS_FORWARD_URL"`
	EventsSigningSecret string `envconfig:"EVENTS_SIGNING_SECRET"`

	RetryBaseDelay  time.Duration `envconfig:"RETRY_BASE_DELAY" default:"5s"`
	RetryMaxDelay   time.Duration `envconfig:"RETRY_MAX_DELAY" default:"10m"`
	MaxRetry        int           `envconfig:"MAX_RETRY" default:"20"`
	BatchChunk      int           `envconfig:"BATCH_CHUNK" default:"1000"`
	TaskRetention   time.Duration `envconfig:"TASK_RETENTION" default:"24h"`
	ShutdownTimeout time.Duration `envconfig:"SHUTDOWN_TIMEOUT" default:"30s"`
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
