package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"sigs.k8s.io/yaml"
)

// schemaModule is a Go module whose files hold schemas. The module proxy
// serves it like any module (so the tests run offline from the module
// cache); Sum pins its content to what was reviewed.
type schemaModule struct {
	Path, Version, Sum string
}

var (
	// Kubernetes' published OpenAPI v3 documents, api/openapi-spec/v3/*.json.
	kubernetesModule = schemaModule{"k8s.io/kubernetes", "v1.37.2", "h1:A2VDEiObzkYqFTKhSsn0ZEb0RlLEXpHWj93gi2HqEwE="}
	// KEDA's CRDs, config/crd/bases/.
	kedaModule = schemaModule{"github.com/kedacore/keda/v2", "v2.21.0", "h1:R6z2HZvstK4RLUMxroNACzBj74xGxt3kG59b5Xc+Xps="}
	// The Prometheus Operator's CRDs, example/prometheus-operator-crd-full/.
	promOperatorModule = schemaModule{"github.com/prometheus-operator/prometheus-operator", "v0.85.0", "h1:M5xLCLEoaW2IJfnuCwFzzpL+jSVQu3KGT84Pye+fW8s="}
)

// crdFiles are the CRDs whose objects the manifests may contain.
var crdFiles = []struct {
	Module schemaModule
	File   string
}{
	{kedaModule, "config/crd/bases/keda.sh_scaledobjects.yaml"},
	{promOperatorModule, "example/prometheus-operator-crd-full/monitoring.coreos.com_podmonitors.yaml"},
	{promOperatorModule, "example/prometheus-operator-crd-full/monitoring.coreos.com_servicemonitors.yaml"},
	{promOperatorModule, "example/prometheus-operator-crd-full/monitoring.coreos.com_prometheusrules.yaml"},
}

// moduleDir downloads m into the module cache (a no-op when it is there)
// and returns its directory.
func moduleDir(m schemaModule) (string, error) {
	goBin, err := exec.LookPath("go") // go test puts the toolchain's go on PATH
	if err != nil {
		return "", fmt.Errorf("the go command is not on PATH: %w", err)
	}
	tmp, err := os.MkdirTemp("", "smsq-deploy-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command(goBin, "mod", "download", "-json", m.Path+"@"+m.Version)
	cmd.Dir = tmp // outside any module: nothing to add to go.mod
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var info struct{ Dir, Sum, Error string }
	if jerr := json.Unmarshal(out, &info); err != nil || jerr != nil || info.Error != "" {
		return "", fmt.Errorf("go mod download %s@%s: %v %s %s (the schemas come from the Go module proxy or the module cache)", m.Path, m.Version, err, info.Error, stderr.String())
	}
	if info.Sum != m.Sum {
		return "", fmt.Errorf("%s@%s: module hash %s, want %s", m.Path, m.Version, info.Sum, m.Sum)
	}
	return info.Dir, nil
}

// validator validates objects by apiVersion and kind.
type validator struct {
	schemas map[string]*jsonschema.Schema // "apiVersion kind"
}

var (
	validatorOnce sync.Once
	validatorVal  *validator
	validatorErr  error
)

// schemas loads Kubernetes' OpenAPI v3 documents and the CRDs, made strict:
// an object property not in the schema is an error (the API server's
// fieldValidation=Strict, kubectl's default), unless the schema says
// x-kubernetes-preserve-unknown-fields.
func schemas(t *testing.T) *validator {
	t.Helper()
	validatorOnce.Do(func() {
		dirs := map[schemaModule]string{}
		for _, m := range []schemaModule{kubernetesModule, kedaModule, promOperatorModule} {
			dir, err := moduleDir(m)
			if err != nil {
				validatorErr = err
				return
			}
			dirs[m] = dir
		}
		validatorVal, validatorErr = loadSchemas(dirs[kubernetesModule], dirs)
	})
	if validatorErr != nil {
		t.Fatal(validatorErr)
	}
	return validatorVal
}

const objectMetaRef = "urn:k8s:api__v1_openapi.json#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"

func loadSchemas(k8s string, crdDirs map[schemaModule]string) (*validator, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	locs := map[string]string{} // "apiVersion kind" -> schema location

	specs, err := filepath.Glob(filepath.Join(k8s, "api", "openapi-spec", "v3", "*.json"))
	if err != nil || len(specs) == 0 {
		return nil, fmt.Errorf("no OpenAPI v3 documents in %s (%v)", k8s, err)
	}
	for _, f := range specs {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var doc struct {
			Components struct {
				Schemas map[string]map[string]any `json:"schemas"`
			} `json:"components"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			return nil, fmt.Errorf("%s: %v", f, err)
		}
		url := "urn:k8s:" + filepath.Base(f)
		defs := map[string]any{}
		for name, s := range doc.Components.Schemas {
			strictify(s)
			defs[name] = s
			gvks, _ := s["x-kubernetes-group-version-kind"].([]any)
			for _, g := range gvks {
				g, _ := g.(map[string]any)
				group, _ := g["group"].(string)
				version, _ := g["version"].(string)
				kind, _ := g["kind"].(string)
				av := version
				if group != "" {
					av = group + "/" + version
				}
				if _, dup := locs[av+" "+kind]; !dup {
					locs[av+" "+kind] = url + "#/$defs/" + name
				}
			}
		}
		if err := c.AddResource(url, roundTrip(map[string]any{"$defs": defs})); err != nil {
			return nil, fmt.Errorf("%s: %v", f, err)
		}
	}

	for _, cf := range crdFiles {
		f := filepath.Join(crdDirs[cf.Module], filepath.FromSlash(cf.File))
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var crd struct {
			Spec struct {
				Group string `json:"group"`
				Names struct {
					Kind string `json:"kind"`
				} `json:"names"`
				Versions []struct {
					Name   string `json:"name"`
					Schema struct {
						OpenAPIV3Schema map[string]any `json:"openAPIV3Schema"`
					} `json:"schema"`
				} `json:"versions"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal(b, &crd); err != nil {
			return nil, fmt.Errorf("%s: %v", f, err)
		}
		for _, v := range crd.Spec.Versions {
			s := v.Schema.OpenAPIV3Schema
			if s == nil {
				return nil, fmt.Errorf("%s: version %s has no openAPIV3Schema", f, v.Name)
			}
			strictify(s)
			// A CRD's schema says only `metadata: {type: object}`; the API
			// server checks it as ObjectMeta.
			if props, ok := s["properties"].(map[string]any); ok {
				props["metadata"] = map[string]any{"$ref": objectMetaRef}
			}
			av := crd.Spec.Group + "/" + v.Name
			url := "urn:crd:" + av + "/" + crd.Spec.Names.Kind
			if err := c.AddResource(url, roundTrip(s)); err != nil {
				return nil, fmt.Errorf("%s: %v", f, err)
			}
			locs[av+" "+crd.Spec.Names.Kind] = url
		}
	}

	vd := &validator{schemas: map[string]*jsonschema.Schema{}}
	for key, loc := range locs {
		// Compile lazily would hide broken schemas until used; the kinds in
		// use are few, so compile those and the CRDs up front.
		if !wantedKinds[key] {
			continue
		}
		sch, err := c.Compile(loc)
		if err != nil {
			return nil, fmt.Errorf("compiling the schema of %s: %v", key, err)
		}
		vd.schemas[key] = sch
	}
	for k := range wantedKinds {
		if vd.schemas[k] == nil {
			return nil, fmt.Errorf("no schema for %s", k)
		}
	}
	return vd, nil
}

// wantedKinds are the kinds the manifests may contain; an object of any
// other kind fails the test until its schema is added here.
var wantedKinds = map[string]bool{
	"v1 Namespace":                            true,
	"v1 ConfigMap":                            true,
	"v1 Secret":                               true,
	"v1 Service":                              true,
	"apps/v1 Deployment":                      true,
	"policy/v1 PodDisruptionBudget":           true,
	"networking.k8s.io/v1 Ingress":            true,
	"networking.k8s.io/v1 NetworkPolicy":      true,
	"autoscaling/v2 HorizontalPodAutoscaler":  true,
	"keda.sh/v1alpha1 ScaledObject":           true,
	"monitoring.coreos.com/v1 PodMonitor":     true,
	"monitoring.coreos.com/v1 ServiceMonitor": true,
	"monitoring.coreos.com/v1 PrometheusRule": true,
}

// strictify makes an OpenAPI schema reject unknown properties and points
// its references at the $defs of the document it is loaded into. It walks
// only subschema positions, so a property that happens to be named
// "properties" is not mistaken for a keyword.
func strictify(s map[string]any) {
	if ref, ok := s["$ref"].(string); ok {
		s["$ref"] = strings.Replace(ref, "#/components/schemas/", "#/$defs/", 1)
	}
	if props, ok := s["properties"].(map[string]any); ok {
		_, has := s["additionalProperties"]
		if !has && s["x-kubernetes-preserve-unknown-fields"] != true {
			s["additionalProperties"] = false
		}
		for _, p := range props {
			if ps, ok := p.(map[string]any); ok {
				strictify(ps)
			}
		}
	}
	// OpenAPI 3.0's nullable is not JSON Schema: allow null explicitly.
	if s["nullable"] == true {
		if t, ok := s["type"].(string); ok {
			s["type"] = []any{t, "null"}
		}
	}
	for _, k := range []string{"additionalProperties", "items", "not"} {
		if sub, ok := s[k].(map[string]any); ok {
			strictify(sub)
		}
	}
	for _, k := range []string{"allOf", "anyOf", "oneOf"} {
		list, _ := s[k].([]any)
		for _, e := range list {
			if sub, ok := e.(map[string]any); ok {
				strictify(sub)
			}
		}
	}
}

// roundTrip re-decodes v the way the validator wants its documents
// (numbers as json.Number).
func roundTrip(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		panic(err)
	}
	return out
}

// Validate checks one object (JSON) against the schema of its kind.
func (vd *validator) Validate(js []byte) error {
	var tm struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := json.Unmarshal(js, &tm); err != nil {
		return err
	}
	sch := vd.schemas[tm.APIVersion+" "+tm.Kind]
	if sch == nil {
		return fmt.Errorf("no schema for apiVersion %q kind %q: add it to wantedKinds", tm.APIVersion, tm.Kind)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		return err
	}
	return sch.Validate(inst)
}

// TestManifestsMatchSchemas validates every rendered object, of every
// autoscaler variant, against Kubernetes' OpenAPI schema or its CRD's.
func TestManifestsMatchSchemas(t *testing.T) {
	t.Parallel()
	vd := schemas(t)
	for _, v := range variants {
		for _, o := range render(t, v) {
			if err := vd.Validate(o.JSON); err != nil {
				t.Errorf("%s: %s: %v", v.Name, o, err)
			}
		}
	}
}

// TestSchemasReject: the strict schemas refuse what the API server would.
func TestSchemasReject(t *testing.T) {
	t.Parallel()
	vd := schemas(t)
	for name, tc := range map[string]struct{ doc, want string }{
		"unknown top-level field": {"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {A: b}\nbogus: 1\n", "'bogus' not allowed"},
		"unknown metadata field":  {"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, labelz: {a: b}}\n", "'labelz' not allowed"},
		"wrong case":              {"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {Replicas: 2, selector: {}, template: {}}\n", "'Replicas' not allowed"},
		"wrong type":              {"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replicas: two, selector: {}, template: {}}\n", "want integer"},
		"nested unknown field":    {"apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: x}\nspec: {maxUnavailable: 1, selectr: {}}\n", "'selectr' not allowed"},
		"container field":         {"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {selector: {}, template: {spec: {containers: [{name: c, image: i, envFrom: [{secretRef: {name: s}}], ports: [{containerPort: 80, nam: http}]}]}}}\n", "'nam' not allowed"},
		"missing required":        {"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {selector: {}, template: {spec: {containers: [{image: i}]}}}\n", "missing property 'name'"},
		"network policy port":     {"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x}\nspec: {podSelector: {}, ingress: [{ports: [{protocol: TCP, port: 80, prt: 1}]}]}\n", "'prt' not allowed"},
		"KEDA field":              {"apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: x}\nspec: {scaleTargetRef: {name: w}, minReplicas: 2}\n", "'minReplicas' not allowed"},
		"KEDA trigger field":      {"apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: x}\nspec: {scaleTargetRef: {name: w}, triggers: [{type: prometheus, metadata: {}, metricTyp: AverageValue}]}\n", "'metricTyp' not allowed"},
		"KEDA metadata field":     {"apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: x, lables: {}}\nspec: {scaleTargetRef: {name: w}, triggers: [{type: prometheus, metadata: {}}]}\n", "'lables' not allowed"},
		"PodMonitor field":        {"apiVersion: monitoring.coreos.com/v1\nkind: PodMonitor\nmetadata: {name: x}\nspec: {selector: {}, podMetricsEndpoints: [{port: admin, pth: /metrics}]}\n", "'pth' not allowed"},
		"ServiceMonitor field":    {"apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: x}\nspec: {selector: {}, endpoints: [{port: admin}], jobLabl: a}\n", "'jobLabl' not allowed"},
		"PrometheusRule field":    {"apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: x}\nspec: {groups: [{name: g, rules: [{alert: A, expr: up, for: 1m, severity: x}]}]}\n", "'severity' not allowed"},
		"unknown kind":            {"apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n", "no schema for"},
	} {
		js, err := yaml.YAMLToJSONStrict([]byte(tc.doc))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := vd.Validate(js); err == nil {
			t.Errorf("%s: valid", name)
		} else if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v\nwant an error about %s", name, err, tc.want)
		}
	}
	// And accepts the real thing, int-or-string both ways.
	for name, doc := range map[string]string{
		"port by number": "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x}\nspec: {podSelector: {}, ingress: [{ports: [{protocol: TCP, port: 80}]}]}\n",
		"port by name":   "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x}\nspec: {podSelector: {}, ingress: [{ports: [{protocol: TCP, port: http}]}]}\n",
		"labels":         "apiVersion: v1\nkind: Namespace\nmetadata: {name: x, labels: {a: b}}\n",
	} {
		js, err := yaml.YAMLToJSONStrict([]byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		if err := vd.Validate(js); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
