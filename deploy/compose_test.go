package deploy

import (
	"context"
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

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v3"
)

const composeFile = "docker-compose.yml"

// composeSecrets are the variables docker-compose.yml requires from the
// environment or deploy/.env (${VAR:?message}): no weak default may run.
var composeSecrets = map[string]string{
	"SMSMODE_ACCESS_TOKEN": "test-token-0123456789abcdef",
	"WEBHOOK_SECRET":       "test-webhook-0123456789abcdef",
	"API_TOKENS":           "local:test-api-0123456789abcdef",
	"MONITORING_USER":      "ops",
	"MONITORING_PASSWORD":  "test-password-0123456789abcdef",
}

// composeUIVars: locally the web UI runs on the webhooks service, the one
// with fixed host ports (all bound to 127.0.0.1); in Kubernetes it runs on
// the task pods, because webhook pods face the internet.
var composeUIVars = map[string][]string{
	roleWebhooks: {"MONITORING_USER", "MONITORING_PASSWORD", "MONITORING_READ_ONLY"},
}

func composeEnv(except string) []string {
	var env []string
	for k, v := range composeSecrets {
		if k != except {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// loadCompose loads docker-compose.yml with compose-go, the loader of
// `docker compose` itself: the Compose JSON schema (unknown keys are
// errors), interpolation, YAML merge keys, and consistency (depends_on,
// volumes). It is what `docker compose -f deploy/docker-compose.yml config`
// checks, without a Docker engine. env replaces the host's environment and
// deploy/.env, so the test sees only what it sets.
func loadCompose(t *testing.T, env []string) (*types.Project, error) {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{composeFile},
		cli.WithEnv(env),
		cli.WithProfiles([]string{"tools"}),
		cli.WithConsistency(true),
	)
	if err != nil {
		t.Fatal(err)
	}
	return opts.LoadProject(context.Background())
}

// TestComposeSpec: Compose v2 accepts the file, it has no obsolete
// `version:` key, and it refuses to start without each secret.
func TestComposeSpec(t *testing.T) {
	t.Parallel()
	p, err := loadCompose(t, composeEnv(""))
	if err != nil {
		t.Fatalf("docker compose would refuse docker-compose.yml: %v", err)
	}
	if p.Name != "smsq" {
		t.Errorf("project name %q", p.Name)
	}
	var top map[string]any
	b, err := os.ReadFile(composeFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &top); err != nil {
		t.Fatal(err)
	}
	if _, ok := top["version"]; ok {
		t.Error("top-level version: is obsolete in Compose v2 (docker compose warns); drop it")
	}
	for name := range composeSecrets {
		_, err := loadCompose(t, composeEnv(name))
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("without %s: loaded (err %v); require it with ${%s:?message}", name, err, name)
		}
	}
}

// TestComposeSecretsRequired: every secret in docker-compose.yml comes from
// ${VAR:?message}, never a literal or a ${VAR:-default}.
func TestComposeSecretsRequired(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(composeFile)
	if err != nil {
		t.Fatal(err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		t.Fatal(err)
	}
	required := func(name string) *regexp.Regexp {
		return regexp.MustCompile(`^\$\{` + name + `:\?[^}]+\}$`)
	}
	seen := map[string]bool{}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i].Value, n.Content[i+1]
				if _, ok := composeSecrets[k]; ok && v.Kind == yaml.ScalarNode {
					seen[k] = true
					if !required(k).MatchString(v.Value) {
						t.Errorf("line %d: %s: %q: use ${%s:?message} (no literal, no default)", v.Line, k, v.Value, k)
					}
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&root)
	for _, s := range secretVars {
		if s == "REDIS_URL" {
			continue // the local Redis has no password
		}
		if strings.Contains(string(b), s+":") && !seen[s] {
			t.Errorf("%s is set in a way this test does not read", s)
		}
	}
	for k := range composeSecrets {
		if !seen[k] {
			t.Errorf("%s is never set: a service that needs it would refuse to start", k)
		}
	}
}

// TestCompose checks what smsq needs from the loaded project.
func TestCompose(t *testing.T) {
	t.Parallel()
	p, err := loadCompose(t, composeEnv(""))
	if err != nil {
		t.Fatal(err)
	}
	df := parseDockerfile(t, "Dockerfile")
	binaries := df.finalBinaries()
	entrypoint := df.entrypoint(t)
	dockerfile := mustAbs(t, "Dockerfile")
	root := mustAbs(t, repoRoot)

	var redisName, fakeName, fakePort, fakeToken string
	var worker, web *types.ServiceConfig
	smsq := map[string]types.ServiceConfig{}
	for name, s := range p.Services {
		if s.Build != nil {
			if filepath.Join(s.Build.Context, s.Build.Dockerfile) != dockerfile || s.Build.Context != root {
				t.Errorf("service %s: builds %s in %s, want deploy/Dockerfile with the repository root as context", name, s.Build.Dockerfile, s.Build.Context)
			}
			smsq[name] = s
			continue
		}
		if strings.HasPrefix(s.Image, "redis:7") {
			redisName = name
			checkComposeRedis(t, p, name, s)
		}
	}
	if redisName == "" {
		t.Fatal("no redis:7 service")
	}
	if len(smsq) == 0 {
		t.Fatal("no service runs the smsq image")
	}

	for name, s := range smsq {
		where := "service " + name
		argv := []string(s.Entrypoint)
		if argv == nil {
			argv = entrypoint
		}
		if len(argv) == 0 || !slices.Contains(binaries, argv[0]) {
			t.Errorf("%s: runs %q; the image has %v", where, argv, binaries)
			continue
		}
		argv = append(slices.Clone(argv), s.Command...)

		env := map[string]string{}
		for k, v := range s.Environment {
			if v == nil {
				t.Errorf("%s: %s has no value", where, k)
				continue
			}
			env[k] = *v
		}
		checkEnv(t, where, env)

		if hc := s.HealthCheck; hc != nil && (len(hc.Test) < 2 || hc.Test[0] != "CMD" || !slices.Contains(binaries, hc.Test[1])) {
			t.Errorf("%s: healthcheck %q: use [\"CMD\", one of %v] (the image has no shell)", where, hc.Test, binaries)
		}
		if !s.ReadOnly || !slices.Contains(s.CapDrop, "ALL") {
			t.Errorf("%s: want read_only and cap_drop ALL", where)
		}
		for _, port := range s.Ports {
			if port.HostIP != "127.0.0.1" {
				t.Errorf("%s: port %d published on %q: bind it to 127.0.0.1", where, port.Target, port.HostIP)
			}
		}

		switch argv[0] {
		case "/smsmode-fake":
			fakeName = name
			for i, a := range argv {
				if i+1 >= len(argv) {
					break
				}
				switch a {
				case "-addr", "--addr":
					host, port, err := net.SplitHostPort(argv[i+1])
					if err != nil || (host != "0.0.0.0" && host != "") {
						t.Errorf("%s: -addr %s: listen on 0.0.0.0 so other containers reach it", where, argv[i+1])
					}
					fakePort = port
				case "-token", "--token":
					fakeToken = argv[i+1]
				}
			}
			if fakePort == "" {
				t.Errorf("%s: no -addr (the fake listens on 127.0.0.1 by default, unreachable from other containers)", where)
			}
			if s.HealthCheck == nil {
				t.Errorf("%s: no healthcheck", where)
			}
		case "/worker":
			role := env["WORKER_ROLE"]
			for _, a := range argv[1:] {
				if r, ok := strings.CutPrefix(a, "--role="); ok {
					role = r
				}
			}
			for v := range env {
				if !slices.Contains(roleReads[v], role) && !slices.Contains(composeUIVars[role], v) {
					t.Errorf("%s: sets %s, which role %s does not read (roleReads)", where, v, role)
				}
			}
			if s.HealthCheck == nil {
				t.Errorf("%s: no healthcheck", where)
			}
			if _, ok := s.DependsOn[redisName]; !ok {
				t.Errorf("%s: does not depend on %s", where, redisName)
			}
			grace := 10 * time.Second // Docker's default
			if s.StopGracePeriod != nil {
				grace = time.Duration(*s.StopGracePeriod)
			}
			if sd := shutdownTimeout(t, env); grace <= sd {
				t.Errorf("%s: stop_grace_period %v must exceed SHUTDOWN_TIMEOUT %v", where, grace, sd)
			}
			checkRedisURLPoints(t, where, env["REDIS_URL"], redisName)
			switch role {
			case roleTasks:
				if worker != nil {
					t.Errorf("two task services: %s and %s", worker.Name, name)
				}
				s := s
				worker = &s
				if s.Deploy == nil || s.Deploy.Replicas == nil || *s.Deploy.Replicas != 2 {
					t.Errorf("%s: want deploy.replicas: 2", where)
				}
				if len(s.Ports) > 0 {
					t.Errorf("%s: a replicated service cannot publish a fixed host port", where)
				}
			case roleWebhooks:
				s := s
				web = &s
				// The one service with fixed host ports: the public and
				// admin listeners, and so the web UI.
				for _, v := range []string{"HTTP_ADDR", "ADMIN_ADDR"} {
					port := addrPort(t, env, v)
					published := false
					for _, pc := range s.Ports {
						published = published || (int(pc.Target) == port && pc.Published == strconv.Itoa(port))
					}
					if !published {
						t.Errorf("%s: ports %v do not publish %s's port %d", where, s.Ports, v, port)
					}
				}
				if env["MONITORING_PASSWORD"] == "" {
					t.Errorf("%s: MONITORING_PASSWORD is empty: the web UI is off", where)
				}
			default:
				t.Errorf("%s: role %q: want tasks or webhooks", where, role)
			}
		case "/enqueue":
			if !slices.Contains(s.Profiles, "tools") {
				t.Errorf("%s: the CLI should not start with `up`: put it in a profile", where)
			}
			checkRedisURLPoints(t, where, env["REDIS_URL"], redisName)
		}
	}
	if worker == nil || web == nil {
		t.Fatal("want a --role=tasks service and a --role=webhooks service")
	}
	if fakeName == "" {
		t.Fatal("no /smsmode-fake service")
	}
	// The worker talks to the fake, which accepts its token, and the fake
	// calls back the webhook service.
	wenv := worker.Environment
	base, err := url.Parse(*wenv["SMSMODE_BASE_URL"])
	if err != nil || base.Hostname() != fakeName || base.Port() != fakePort || base.Path != "/http/1.6/" {
		t.Errorf("worker SMSMODE_BASE_URL %s: want http://%s:%s/http/1.6/", *wenv["SMSMODE_BASE_URL"], fakeName, fakePort)
	}
	if tok := wenv["SMSMODE_ACCESS_TOKEN"]; tok == nil || *tok != fakeToken {
		t.Errorf("the fake's -token %q is not the worker's SMSMODE_ACCESS_TOKEN: it would refuse every send", fakeToken)
	}
	if _, ok := worker.DependsOn[fakeName]; !ok {
		t.Errorf("worker does not depend on %s", fakeName)
	}
	pub, err := url.Parse(*wenv["WEBHOOK_PUBLIC_URL"])
	if err != nil || pub.Hostname() != web.Name || pub.Port() != strconv.Itoa(addrPort(t, envOf(web), "HTTP_ADDR")) {
		t.Errorf("WEBHOOK_PUBLIC_URL %s: the fake calls back from inside the compose network: point it at http://%s:%d", *wenv["WEBHOOK_PUBLIC_URL"], web.Name, addrPort(t, envOf(web), "HTTP_ADDR"))
	}
}

func envOf(s *types.ServiceConfig) map[string]string {
	env := map[string]string{}
	for k, v := range s.Environment {
		if v != nil {
			env[k] = *v
		}
	}
	return env
}

func checkComposeRedis(t *testing.T, p *types.Project, name string, s types.ServiceConfig) {
	t.Helper()
	i := slices.Index(s.Command, "--appendonly")
	if i < 0 || i+1 >= len(s.Command) || s.Command[i+1] != "yes" {
		t.Errorf("service %s: command %q: want --appendonly yes", name, s.Command)
	}
	data := false
	for _, v := range s.Volumes {
		if strings.HasPrefix(v.Target, "/data") {
			data = true
			if _, ok := p.Volumes[v.Source]; v.Type != types.VolumeTypeVolume || !ok {
				t.Errorf("service %s: /data is not a declared named volume (%s %s)", name, v.Type, v.Source)
			}
		}
	}
	if !data {
		t.Errorf("service %s: no volume on /data: the AOF would not survive the container", name)
	}
	if s.HealthCheck == nil {
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
