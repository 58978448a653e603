package deploy

import (
	"context"
	"slices"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
)

// TestComposeSpec loads docker-compose.yml with compose-go, the loader of
// `docker compose` itself: the Compose JSON schema (unknown keys are
// errors), interpolation, YAML merge keys, and consistency (depends_on,
// volumes). It is what `docker compose -f deploy/docker-compose.yml config`
// would check, without a Docker engine.
func TestComposeSpec(t *testing.T) {
	opts, err := cli.NewProjectOptions([]string{"docker-compose.yml"},
		cli.WithEnv([]string{}), // no host variables: the ${VAR:-default} defaults apply
		cli.WithProfiles([]string{"tools"}),
		cli.WithConsistency(true),
	)
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("docker compose would refuse docker-compose.yml: %v", err)
	}
	if p.Name != "smsq" {
		t.Errorf("project name %q", p.Name)
	}
	w, ok := p.Services["worker"]
	if !ok {
		t.Fatalf("no worker service; have %v", slices.Sorted(func(yield func(string) bool) {
			for n := range p.Services {
				if !yield(n) {
					return
				}
			}
		}))
	}
	if w.Deploy == nil || w.Deploy.Replicas == nil || *w.Deploy.Replicas != 2 {
		t.Errorf("worker: deploy.replicas is not 2 once loaded")
	}
	if w.Build == nil || w.Build.Dockerfile != "deploy/Dockerfile" {
		t.Errorf("worker: build %+v", w.Build)
	}
	for name, s := range p.Services {
		env := map[string]string{}
		for k, v := range s.Environment {
			if v == nil {
				t.Errorf("service %s: %s has no value", name, k)
				continue
			}
			env[k] = *v
		}
		checkEnv(t, "service "+name+" (loaded by compose-go)", env)
	}
	if pw := p.Services["webhooks"].Environment["MONITORING_PASSWORD"]; pw == nil || *pw == "" {
		t.Error("webhooks: MONITORING_PASSWORD is empty once interpolated: the web UI would be off")
	}
}
