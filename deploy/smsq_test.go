package deploy

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // check SMSMODE_TIMEZONE values like the binaries do
)

// repoRoot is the main module, one level up.
const repoRoot = ".."

// smsqVar is one environment variable of internal/config.
type smsqVar struct {
	Name    string
	Type    string // Go type of the field, e.g. "time.Duration", "Queues"
	Default string // the default:"…" tag, "" when none
}

// pendingVars are the variables of the application contract that the
// manifests already use (deploy/README.md) and that internal/config does not
// read yet. A variable found in config.go takes config.go's type and
// default; TestSmsqVarsAreRead says when an entry here has become useless.
var pendingVars = []smsqVar{}

// pendingMetrics are the metrics of the application contract that the alert
// rules already use and that internal/metrics does not declare yet.
var pendingMetrics = []string{}

var (
	varsOnce sync.Once
	varsMap  map[string]smsqVar
	varsErr  error
	// varsFromCode are the names read from config.go (not pendingVars).
	varsFromCode map[string]bool
)

// smsqVars reads every `envconfig:"NAME"` of ../internal/config/config.go,
// so the deployment files cannot drift from the code, plus pendingVars.
func smsqVars(t *testing.T) map[string]smsqVar {
	t.Helper()
	varsOnce.Do(func() {
		path := filepath.Join(repoRoot, "internal", "config", "config.go")
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			varsErr = err
			return
		}
		varsMap, varsFromCode = map[string]smsqVar{}, map[string]bool{}
		ast.Inspect(f, func(n ast.Node) bool {
			st, ok := n.(*ast.StructType)
			if !ok {
				return true
			}
			for _, field := range st.Fields.List {
				if field.Tag == nil {
					continue
				}
				tag, err := strconv.Unquote(field.Tag.Value)
				if err != nil {
					continue
				}
				name := reflect.StructTag(tag).Get("envconfig")
				if name == "" {
					continue
				}
				varsMap[name] = smsqVar{Name: name, Type: types.ExprString(field.Type), Default: reflect.StructTag(tag).Get("default")}
				varsFromCode[name] = true
			}
			return true
		})
		for _, v := range pendingVars {
			if _, ok := varsMap[v.Name]; !ok {
				varsMap[v.Name] = v
			}
		}
	})
	if varsErr != nil {
		t.Fatalf("reading smsq's variables: %v", varsErr)
	}
	if len(varsFromCode) < 20 || !varsFromCode["REDIS_URL"] || !varsFromCode["SHUTDOWN_TIMEOUT"] {
		t.Fatalf("found only %d envconfig variables in internal/config/config.go: has the struct moved?", len(varsFromCode))
	}
	return varsMap
}

// checkEnv reports names that are not smsq variables and values that smsq
// would refuse at start. where says which file and object.
func checkEnv(t *testing.T, where string, env map[string]string) {
	t.Helper()
	vars := smsqVars(t)
	for name, value := range env {
		v, ok := vars[name]
		if !ok {
			t.Errorf("%s: %s is not an smsq variable (internal/config/config.go)", where, name)
			continue
		}
		if err := checkValue(v, value); err != nil {
			t.Errorf("%s: %s=%q: %v", where, name, value, err)
		}
	}
}

var (
	queuesRE    = regexp.MustCompile(`^\s*[^=,\s]+\s*=\s*[1-9][0-9]*\s*(,\s*[^=,\s]+\s*=\s*[1-9][0-9]*\s*)*$`)
	countriesRE = regexp.MustCompile(`^[A-Z]{2}(,[A-Z]{2})*$`)
	day         = `(Mon|Tue|Wed|Thu|Fri|Sat|Sun)`
	hoursRE     = regexp.MustCompile(`^` + day + `(-` + day + `)? ([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-4]):[0-5][0-9]$`)
	apiTokensRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+:[^,:\s]+(,[A-Za-z0-9_.-]+:[^,:\s]+)*$`)
)

// zeroDurationOK are the durations whose 0 means something (keep none,
// disable polling) rather than a mistake.
var zeroDurationOK = map[string]bool{"TASK_RETENTION": true, "DLR_POLL_AFTER": true, "DLR_POLL_UNTIL": true}

// checkValue mirrors what config.Load accepts, by the field's type and by
// the variable's meaning.
func checkValue(v smsqVar, value string) error {
	switch v.Type {
	case "time.Duration":
		d, err := time.ParseDuration(value)
		if err != nil {
			return err
		}
		if d < 0 || (d == 0 && !zeroDurationOK[v.Name]) {
			return errorf("must be positive")
		}
	case "int":
		if n, err := strconv.Atoi(value); err != nil || n < 0 {
			return errorf("not a non-negative integer")
		}
	case "float64":
		if f, err := strconv.ParseFloat(value, 64); err != nil || f < 0 {
			return errorf("not a non-negative number")
		}
	case "bool":
		if _, err := strconv.ParseBool(value); err != nil {
			return err
		}
	case "Location":
		if _, err := time.LoadLocation(value); err != nil {
			return err
		}
	case "Queues":
		if !queuesRE.MatchString(value) {
			return errorf("want name=weight pairs with weights >= 1")
		}
	}
	switch v.Name {
	case "WORKER_QUEUES":
		if !queuesRE.MatchString(value) {
			return errorf("want name=weight pairs with weights >= 1")
		}
	case "SMSMODE_BASE_URL", "WEBHOOK_PUBLIC_URL", "EVENTS_FORWARD_URL":
		u, err := url.Parse(value)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errorf("not an http(s) URL")
		}
	case "REDIS_URL":
		return checkRedisURL(value)
	case "SMSMODE_DEFAULT_REGION":
		if len(value) != 2 {
			return errorf("not a two-letter region")
		}
	case "WORKER_ROLE":
		if value != "all" && value != "tasks" && value != "webhooks" {
			return errorf("want all, tasks or webhooks")
		}
	case "HTTP_ADDR", "ADMIN_ADDR":
		if _, _, err := net.SplitHostPort(value); err != nil {
			return err
		}
	case "ALLOWED_COUNTRIES":
		if !countriesRE.MatchString(value) {
			return errorf("want ISO 3166 country codes such as FR,BE")
		}
	case "MARKETING_HOURS":
		if !hoursRE.MatchString(value) {
			return errorf("want days and hours such as Mon-Sat 08:00-20:00")
		}
	case "MARKETING_HOLIDAYS":
		if value != "none" && !countriesRE.MatchString(value) {
			return errorf("want a country's holidays (FR) or none")
		}
	case "API_TOKENS":
		if !apiTokensRE.MatchString(value) {
			return errorf("want NAME:TOKEN[,NAME:TOKEN…]")
		}
	}
	return nil
}

// checkRedisURL mirrors what smsq's internal/config accepts (asynq's parser
// for redis://, rediss:// and redis-socket://, its own for redis-sentinel://,
// which requires ?master=).
func checkRedisURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	switch u.Scheme {
	case "redis", "rediss":
		if u.Host == "" {
			return errorf("no host")
		}
	case "redis-socket":
		if u.Path == "" {
			return errorf("no socket path")
		}
	case "redis-sentinel":
		if u.Query().Get("master") == "" {
			return errorf("redis-sentinel:// needs ?master=NAME")
		}
		for _, a := range strings.Split(u.Host, ",") {
			if _, _, err := net.SplitHostPort(a); err != nil {
				return errorf("sentinel address %q: want host:port", a)
			}
		}
	default:
		return errorf("scheme %q: want redis, rediss, redis-socket or redis-sentinel", u.Scheme)
	}
	return nil
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// shutdownTimeout is SHUTDOWN_TIMEOUT from env, else smsq's default.
func shutdownTimeout(t *testing.T, env map[string]string) time.Duration {
	t.Helper()
	s, ok := env["SHUTDOWN_TIMEOUT"]
	if !ok {
		s = smsqVars(t)["SHUTDOWN_TIMEOUT"].Default
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatalf("SHUTDOWN_TIMEOUT=%q: %v", s, err)
	}
	return d
}

// httpPort is the port of HTTP_ADDR from env, else of smsq's default.
func httpPort(t *testing.T, env map[string]string) int {
	t.Helper()
	s, ok := env["HTTP_ADDR"]
	if !ok {
		s = smsqVars(t)["HTTP_ADDR"].Default
	}
	_, p, err := net.SplitHostPort(s)
	if err != nil {
		t.Fatalf("HTTP_ADDR=%q: %v", s, err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatalf("HTTP_ADDR=%q: port: %v", s, err)
	}
	return n
}

var metricNameRE = regexp.MustCompile(`"(smsq_[a-z0-9_]+)"`)

// codeMetrics is every metric name declared by the application: in
// ../internal/metrics, and the web UI's and the HTTP API's own.
func codeMetrics(t *testing.T) map[string]bool {
	t.Helper()
	var files []string
	for _, dir := range []string{"internal/metrics", "internal/monitoring", "api"} {
		fs, err := filepath.Glob(filepath.Join(repoRoot, dir, "*.go"))
		if err != nil || len(fs) == 0 {
			t.Fatalf("no %s sources: %v", dir, err)
		}
		files = append(files, fs...)
	}
	names := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range metricNameRE.FindAllStringSubmatch(string(b), -1) {
			names[m[1]] = true
		}
	}
	return names
}

// smsqMetrics is codeMetrics plus pendingMetrics: the names the manifests
// and rules may use.
func smsqMetrics(t *testing.T) map[string]bool {
	t.Helper()
	names := codeMetrics(t)
	for _, m := range pendingMetrics {
		names[m] = true
	}
	return names
}

func TestSmsqVarsAreRead(t *testing.T) {
	t.Parallel()
	vars := smsqVars(t)
	for _, name := range []string{"REDIS_URL", "SMSMODE_ACCESS_TOKEN", "WORKER_QUEUES", "WEBHOOK_SECRET", "MONITORING_PASSWORD", "SHUTDOWN_TIMEOUT", "WORKER_ROLE"} {
		if _, ok := vars[name]; !ok {
			t.Errorf("%s not found in internal/config/config.go", name)
		}
	}
	if vars["SHUTDOWN_TIMEOUT"].Type != "time.Duration" || vars["SHUTDOWN_TIMEOUT"].Default == "" {
		t.Errorf("SHUTDOWN_TIMEOUT read as %+v", vars["SHUTDOWN_TIMEOUT"])
	}
	// The value checks reject what smsq would reject.
	bad := map[string]string{
		"SHUTDOWN_TIMEOUT": "30", "WORKER_CONCURRENCY": "many", "WORKER_QUEUES": "critical=0",
		"SMSMODE_TIMEZONE": "Europe/Nowhere", "REDIS_URL": "redis-sentinel://s1:26379", "SMSMODE_BASE_URL": "api.smsmode.com",
		"ADMIN_ADDR": "9090", "ALLOWED_COUNTRIES": "fr", "MARKETING_HOURS": "8-20", "API_TOKENS": "token-without-name",
		"DLR_POLL_AFTER": "-1m", "CRITICAL_CONCURRENCY": "-1",
	}
	for name, value := range bad {
		if checkValue(vars[name], value) == nil {
			t.Errorf("checkValue accepts %s=%q", name, value)
		}
	}
	for name, value := range map[string]string{"DLR_POLL_AFTER": "0", "MARKETING_HOLIDAYS": "none", "API_TOKENS": "shop:abc,crm:def", "ALLOWED_COUNTRIES": "FR,BE"} {
		if err := checkValue(vars[name], value); err != nil {
			t.Errorf("checkValue refuses %s=%q: %v", name, value, err)
		}
	}
	if m := codeMetrics(t); !m["smsq_queue_tasks"] || !m["smsq_queue_latency_seconds"] {
		t.Errorf("queue metrics not found in internal/metrics: %v", m)
	}
	// The contract lands in the code: say which pending entries to drop.
	for _, v := range pendingVars {
		if varsFromCode[v.Name] {
			t.Logf("%s is now read by internal/config: drop it from pendingVars", v.Name)
		}
	}
	for _, m := range pendingMetrics {
		if codeMetrics(t)[m] {
			t.Logf("%s is now declared in internal/metrics: drop it from pendingMetrics", m)
		}
	}
}
