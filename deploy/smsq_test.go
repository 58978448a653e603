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

var (
	varsOnce sync.Once
	varsMap  map[string]smsqVar
	varsErr  error
)

// smsqVars reads every `envconfig:"NAME"` of ../internal/config/config.go,
// so the deployment files cannot drift from the code.
func smsqVars(t *testing.T) map[string]smsqVar {
	t.Helper()
	varsOnce.Do(func() {
		path := filepath.Join(repoRoot, "internal", "config", "config.go")
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			varsErr = err
			return
		}
		varsMap = map[string]smsqVar{}
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
			}
			return true
		})
	})
	if varsErr != nil {
		t.Fatalf("reading smsq's variables: %v", varsErr)
	}
	if len(varsMap) < 20 || varsMap["REDIS_URL"].Name == "" || varsMap["SHUTDOWN_TIMEOUT"].Name == "" {
		t.Fatalf("found only %d envconfig variables in internal/config/config.go: has the struct moved?", len(varsMap))
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

var queuesRE = regexp.MustCompile(`^\s*[^=,\s]+\s*=\s*[1-9][0-9]*\s*(,\s*[^=,\s]+\s*=\s*[1-9][0-9]*\s*)*$`)

// checkValue mirrors what config.Load accepts, by the field's type and, for
// strings, by the variable's meaning.
func checkValue(v smsqVar, value string) error {
	switch v.Type {
	case "time.Duration":
		d, err := time.ParseDuration(value)
		if err != nil {
			return err
		}
		if d < 0 || (d == 0 && v.Name != "TASK_RETENTION") {
			return errorf("must be positive")
		}
	case "int":
		if _, err := strconv.Atoi(value); err != nil {
			return err
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
	case "string":
		switch v.Name {
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
		case "HTTP_ADDR":
			if _, _, err := net.SplitHostPort(value); err != nil {
				return err
			}
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

// smsqMetrics is every metric name declared in ../internal/metrics.
func smsqMetrics(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot, "internal", "metrics", "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no internal/metrics sources: %v", err)
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

func TestSmsqVarsAreRead(t *testing.T) {
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
	}
	for name, value := range bad {
		if checkValue(vars[name], value) == nil {
			t.Errorf("checkValue accepts %s=%q", name, value)
		}
	}
	if m := smsqMetrics(t); !m["smsq_queue_tasks"] || !m["smsq_queue_latency_seconds"] {
		t.Errorf("queue metrics not found in internal/metrics: %v", m)
	}
}
