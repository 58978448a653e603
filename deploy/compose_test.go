package deploy

import (
	"bytes"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// composeFile is the part of the Compose specification that
// docker-compose.yml uses. Decoding is strict: a key outside these structs
// (a typo, or a feature nobody checked) fails the test. Top-level x-*
// extension keys hold YAML anchors and are dropped before decoding.
type composeFile struct {
	Name     string                    `yaml:"name"`
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]*struct{}      `yaml:"volumes"`
}

type composeService struct {
	Image string `yaml:"image"`
	Build *struct {
		Context    string `yaml:"context"`
		Dockerfile string `yaml:"dockerfile"`
	} `yaml:"build"`
	Entrypoint  []string          `yaml:"entrypoint"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Ports       []string          `yaml:"ports"`
	Volumes     []string          `yaml:"volumes"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Healthcheck *struct {
		Test        []string `yaml:"test"`
		Interval    string   `yaml:"interval"`
		Timeout     string   `yaml:"timeout"`
		Retries     int      `yaml:"retries"`
		StartPeriod string   `yaml:"start_period"`
	} `yaml:"healthcheck"`
	Deploy *struct {
		Replicas *int `yaml:"replicas"`
	} `yaml:"deploy"`
	Restart         string   `yaml:"restart"`
	StopGracePeriod string   `yaml:"stop_grace_period"`
	ReadOnly        bool     `yaml:"read_only"`
	Tmpfs           []string `yaml:"tmpfs"`
	CapDrop         []string `yaml:"cap_drop"`
	SecurityOpt     []string `yaml:"security_opt"`
	Profiles        []string `yaml:"profiles"`
}

func loadCompose(t *testing.T, path string) composeFile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) != 1 || root.Content[0].Kind != yaml.MappingNode {
		t.Fatalf("%s: not a YAML mapping", path)
	}
	top := root.Content[0]
	var kept []*yaml.Node
	for i := 0; i+1 < len(top.Content); i += 2 {
		if !strings.HasPrefix(top.Content[i].Value, "x-") {
			kept = append(kept, top.Content[i], top.Content[i+1])
		}
	}
	top.Content = kept
	var cf composeFile
	if err := decodeNodeStrict(top, &cf); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return cf
}

// decodeNodeStrict decodes n into v with unknown fields as errors. yaml.v3
// applies KnownFields only through a Decoder, so the node is re-encoded with
// its aliases expanded first.
func decodeNodeStrict(n *yaml.Node, v any) error {
	var generic any
	if err := n.Decode(&generic); err != nil { // resolves aliases and merge keys
		return err
	}
	b, err := yaml.Marshal(generic)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	return dec.Decode(v)
}

var interpRE = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*)|(:?\?)[^}]*)?\}`)

// interpolate resolves Compose's ${VAR:-default} with the defaults, as on a
// machine with no such variables set; ok is false when a value has no
// default (${VAR} or ${VAR:?msg}).
func interpolate(s string) (out string, ok bool) {
	ok = true
	out = interpRE.ReplaceAllStringFunc(s, func(m string) string {
		sub := interpRE.FindStringSubmatch(m)
		if sub[2] == "" {
			ok = false
			return m
		}
		return sub[3]
	})
	return out, ok
}

func TestInterpolate(t *testing.T) {
	for in, want := range map[string]string{"a${X:-b}c": "abc", "${X-y}": "y", "plain": "plain"} {
		if got, ok := interpolate(in); !ok || got != want {
			t.Errorf("interpolate(%q) = %q, %v", in, got, ok)
		}
	}
	for _, in := range []string{"${X}", "${X:?set X}"} {
		if _, ok := interpolate(in); ok {
			t.Errorf("interpolate(%q) resolved", in)
		}
	}
}

func TestCompose(t *testing.T) {
	cf := loadCompose(t, "docker-compose.yml")
	df := parseDockerfile(t, "Dockerfile")
	binaries := df.finalBinaries()
	entrypoint := df.entrypoint(t)

	if len(cf.Services) == 0 {
		t.Fatal("no services")
	}
	// The services built from deploy/Dockerfile.
	smsq := map[string]composeService{}
	images := map[string]bool{}
	for name, s := range cf.Services {
		if s.Build != nil {
			df := filepath.Join(s.Build.Context, s.Build.Dockerfile)
			if abs, err := filepath.Abs(df); err != nil || abs != mustAbs(t, "Dockerfile") {
				t.Errorf("service %s: builds %s, want deploy/Dockerfile with the repository root as context", name, df)
			}
			if s.Build.Context != ".." {
				t.Errorf("service %s: build context %s, want .. (the repository root)", name, s.Build.Context)
			}
			images[s.Image] = true
		}
	}
	for name, s := range cf.Services {
		if s.Build != nil || images[s.Image] {
			smsq[name] = s
		}
	}
	if len(smsq) == 0 {
		t.Fatal("no service runs the smsq image")
	}

	var redisName, fakeName, fakePort string
	var worker, web *composeService
	for name, s := range cf.Services {
		if _, ok := smsq[name]; ok {
			continue
		}
		if strings.HasPrefix(s.Image, "redis:7") {
			redisName = name
			checkRedis(t, cf, name, s)
		}
	}
	if redisName == "" {
		t.Fatal("no redis:7 service")
	}

	for name, s := range smsq {
		where := "service " + name
		argv := s.Entrypoint
		if argv == nil {
			argv = entrypoint
		}
		if len(argv) == 0 || !slices.Contains(binaries, argv[0]) {
			t.Errorf("%s: runs %q; the image has %v", where, argv, binaries)
			continue
		}
		argv = append(slices.Clone(argv), s.Command...)

		// Configuration.
		env := map[string]string{}
		for k, v := range s.Environment {
			if r, ok := interpolate(v); ok {
				env[k] = r
			}
			if _, ok := smsqVars(t)[k]; !ok {
				t.Errorf("%s: %s is not an smsq variable", where, k)
			}
		}
		checkEnv(t, where, env)

		if hc := s.Healthcheck; hc != nil && len(hc.Test) > 1 && hc.Test[0] == "CMD" && !slices.Contains(binaries, hc.Test[1]) {
			t.Errorf("%s: healthcheck runs %s; the image has %v and no shell", where, hc.Test[1], binaries)
		} else if hc != nil && (len(hc.Test) == 0 || hc.Test[0] != "CMD") {
			t.Errorf("%s: healthcheck %q: use [\"CMD\", …] (the image has no shell)", where, hc.Test)
		}
		if !s.ReadOnly || !slices.Contains(s.CapDrop, "ALL") {
			t.Errorf("%s: want read_only and cap_drop ALL", where)
		}

		switch argv[0] {
		case "/smsmode-fake":
			fakeName = name
			for i, a := range argv {
				if (a == "-addr" || a == "--addr") && i+1 < len(argv) {
					host, port, err := net.SplitHostPort(argv[i+1])
					if err != nil || (host != "0.0.0.0" && host != "") {
						t.Errorf("%s: -addr %s: listen on 0.0.0.0 so other containers reach it", where, argv[i+1])
					}
					fakePort = port
				}
			}
			if fakePort == "" {
				t.Errorf("%s: no -addr (the fake listens on 127.0.0.1 by default, unreachable from other containers)", where)
			}
			if s.Healthcheck == nil {
				t.Errorf("%s: no healthcheck", where)
			}
		case "/worker":
			role := env["WORKER_ROLE"]
			for _, a := range argv[1:] {
				if r, ok := strings.CutPrefix(a, "--role="); ok {
					role = r
				}
			}
			if s.Healthcheck == nil {
				t.Errorf("%s: no healthcheck", where)
			}
			if _, ok := s.DependsOn[redisName]; !ok {
				t.Errorf("%s: does not depend on %s", where, redisName)
			}
			grace := 10 * time.Second // Docker's default
			if s.StopGracePeriod != "" {
				g, err := time.ParseDuration(s.StopGracePeriod)
				if err != nil {
					t.Errorf("%s: stop_grace_period: %v", where, err)
				}
				grace = g
			}
			if sd := shutdownTimeout(t, env); grace <= sd {
				t.Errorf("%s: stop_grace_period %v must exceed SHUTDOWN_TIMEOUT %v", where, grace, sd)
			}
			checkRedisURLPoints(t, where, env["REDIS_URL"], redisName)
			switch role {
			case "tasks", "all":
				if worker != nil {
					t.Errorf("two task services: %s and this one (%s)", "worker", name)
				}
				s := s
				worker = &s
				if s.Deploy == nil || s.Deploy.Replicas == nil || *s.Deploy.Replicas != 2 {
					t.Errorf("%s: want deploy.replicas: 2", where)
				}
				if len(s.Ports) > 0 {
					t.Errorf("%s: a replicated service cannot publish a fixed host port", where)
				}
				if _, ok := env["SMSMODE_ACCESS_TOKEN"]; !ok {
					t.Errorf("%s: no SMSMODE_ACCESS_TOKEN: the tasks role refuses to start", where)
				}
			}
			if role == "webhooks" || role == "all" {
				if env["WEBHOOK_SECRET"] == "" {
					t.Errorf("%s: webhooks role without WEBHOOK_SECRET", where)
				}
			}
			if len(s.Ports) > 0 {
				s := s
				web = &s
				port := strconv.Itoa(httpPort(t, env))
				published := false
				for _, p := range s.Ports {
					published = published || strings.HasSuffix(p, ":"+port)
				}
				if !published {
					t.Errorf("%s: ports %v do not publish HTTP_ADDR's port %s", where, s.Ports, port)
				}
				if env["MONITORING_PASSWORD"] == "" {
					t.Errorf("%s: publishes a port but MONITORING_PASSWORD is empty: the web UI is off", where)
				}
			}
		case "/enqueue":
			if !slices.Contains(s.Profiles, "tools") {
				t.Errorf("%s: the CLI should not start with `up`: put it in a profile", where)
			}
			checkRedisURLPoints(t, where, env["REDIS_URL"], redisName)
		}
	}
	if worker == nil {
		t.Fatal("no task worker service (--role=tasks)")
	}
	if web == nil {
		t.Error("no worker service publishes the web UI / webhooks on a host port")
	}
	if fakeName == "" {
		t.Fatal("no /smsmode-fake service")
	}
	// The worker talks to the fake, and the fake calls back a webhook service.
	base, err := url.Parse(worker.Environment["SMSMODE_BASE_URL"])
	if err != nil || base.Hostname() != fakeName || base.Port() != fakePort || base.Path != "/http/1.6/" {
		t.Errorf("worker SMSMODE_BASE_URL %s: want http://%s:%s/http/1.6/", worker.Environment["SMSMODE_BASE_URL"], fakeName, fakePort)
	}
	if _, ok := worker.DependsOn[fakeName]; !ok {
		t.Errorf("worker does not depend on %s", fakeName)
	}
	if pub, ok := interpolate(worker.Environment["WEBHOOK_PUBLIC_URL"]); ok && pub != "" {
		u, err := url.Parse(pub)
		if err != nil {
			t.Errorf("WEBHOOK_PUBLIC_URL %s: %v", pub, err)
		} else if _, isService := cf.Services[u.Hostname()]; !isService {
			t.Errorf("WEBHOOK_PUBLIC_URL %s: the fake calls back from inside the compose network; point it at a service", pub)
		}
	}
}

func checkRedis(t *testing.T, cf composeFile, name string, s composeService) {
	t.Helper()
	i := slices.Index(s.Command, "--appendonly")
	if i < 0 || i+1 >= len(s.Command) || s.Command[i+1] != "yes" {
		t.Errorf("service %s: command %q: want --appendonly yes", name, s.Command)
	}
	data := false
	for _, v := range s.Volumes {
		src, dst, _ := strings.Cut(v, ":")
		if strings.HasPrefix(dst, "/data") {
			data = true
			if _, ok := cf.Volumes[src]; !ok {
				t.Errorf("service %s: volume %s is not declared under volumes:", name, src)
			}
		}
	}
	if !data {
		t.Errorf("service %s: no volume on /data: the AOF would not survive the container", name)
	}
	if s.Healthcheck == nil {
		t.Errorf("service %s: no healthcheck", name)
	}
}

func checkRedisURLPoints(t *testing.T, where, redisURL, redisName string) {
	t.Helper()
	u, err := url.Parse(redisURL)
	if err != nil || u.Hostname() != redisName {
		t.Errorf("%s: REDIS_URL %q does not point at the %s service", where, redisURL, redisName)
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
