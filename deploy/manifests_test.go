package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

const k8sDir = "k8s"

// The roles of `worker --role=…` that the manifests run.
const (
	roleTasks    = "tasks"
	roleWebhooks = "webhooks"
)

var (
	both         = []string{roleTasks, roleWebhooks}
	tasksOnly    = []string{roleTasks}
	webhooksOnly = []string{roleWebhooks}
)

// roleReads says which pods read each smsq variable: the table of
// deploy/README.md ("Configuration per role"). A Deployment may set a
// variable only if its role reads it, so that producer-only settings stay
// out of the pods and each pod holds only the secrets it uses. Every
// variable of internal/config must be listed (nil: no pod reads it).
var roleReads = map[string][]string{
	"REDIS_URL":              both,
	"HTTP_ADDR":              both,
	"ADMIN_ADDR":             both,
	"SHUTDOWN_TIMEOUT":       both,
	"SMSMODE_TIMEZONE":       both,
	"SMSMODE_DEFAULT_REGION": both, // validates numbers at enqueue (the /v1 API) and at send
	"WORKER_QUEUES":          both, // served by task pods, checked by producers
	"ALLOWED_COUNTRIES":      both, // refused at enqueue, checked again at send
	"MARKETING_HOURS":        both, // at enqueue (send_at, dry runs) and at hand-over
	"MARKETING_HOLIDAYS":     both,
	"MAX_RETRY":              both, // of the tasks each role enqueues
	"TASK_RETENTION":         both,
	"WEBHOOK_SECRET":         both, // task pods build notification URLs, webhook pods check them

	"SMSMODE_BASE_URL":      tasksOnly,
	"SMSMODE_ACCESS_TOKEN":  tasksOnly,
	"SMSMODE_PSEUDO":        tasksOnly,
	"SMSMODE_PASS":          tasksOnly,
	"SMSMODE_RATE":          tasksOnly,
	"SMSMODE_RATE_RESERVE":  tasksOnly,
	"SMSMODE_TIMEOUT":       tasksOnly,
	"WORKER_CONCURRENCY":    tasksOnly,
	"CRITICAL_CONCURRENCY":  tasksOnly,
	"WEBHOOK_PUBLIC_URL":    tasksOnly,
	"EVENTS_FORWARD_URL":    tasksOnly,
	"EVENTS_SIGNING_SECRET": tasksOnly,
	"RETRY_BASE_DELAY":      tasksOnly,
	"RETRY_MAX_DELAY":       tasksOnly,
	"DLR_POLL_AFTER":        tasksOnly,
	"DLR_POLL_UNTIL":        tasksOnly,
	"DAILY_COUNTRY_CAP":     tasksOnly,
	"MONITORING_USER":       tasksOnly, // the web UI runs on the task pods only
	"MONITORING_PASSWORD":   tasksOnly,
	"MONITORING_READ_ONLY":  tasksOnly,

	"BATCH_CHUNK": webhooksOnly, // producers split batches: the /v1 API
	"API_TOKENS":  webhooksOnly,

	"WORKER_ROLE": nil, // the --role argument of each Deployment
}

// secretKeys are the Secrets, one per concern, and their keys.
var secretKeys = map[string][]string{
	"smsq-redis":      {"REDIS_URL"},
	"smsq-provider":   {"SMSMODE_ACCESS_TOKEN"},
	"smsq-webhook":    {"WEBHOOK_SECRET"},
	"smsq-api":        {"API_TOKENS"},
	"smsq-events":     {"EVENTS_SIGNING_SECRET"},
	"smsq-monitoring": {"MONITORING_USER", "MONITORING_PASSWORD"},
}

// roleSecrets are the Secrets each role mounts, exactly. Webhook pods face
// the internet: no provider token, no signing secret, no web-UI password.
var roleSecrets = map[string][]string{
	roleTasks:    {"smsq-events", "smsq-monitoring", "smsq-provider", "smsq-redis", "smsq-webhook"},
	roleWebhooks: {"smsq-api", "smsq-redis", "smsq-webhook"},
}

// secretVars are the variables whose values are secrets: never in a
// ConfigMap, at least 16 characters for the app (REDIS_URL: its password;
// API_TOKENS: each token).
var secretVars = []string{"REDIS_URL", "SMSMODE_ACCESS_TOKEN", "SMSMODE_PASS", "WEBHOOK_SECRET", "API_TOKENS", "EVENTS_SIGNING_SECRET", "MONITORING_PASSWORD"}

// minSecretLen is the shortest secret the app accepts at start.
const minSecretLen = 16

// scaledObject is the part of KEDA's ScaledObject (keda.sh/v1alpha1) that
// the checks read; its CRD schema validates the whole object.
type scaledObject struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		ScaleTargetRef struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Name       string `json:"name"`
		} `json:"scaleTargetRef"`
		MinReplicaCount *int32 `json:"minReplicaCount"`
		MaxReplicaCount *int32 `json:"maxReplicaCount"`
		Triggers        []struct {
			Type     string            `json:"type"`
			Name     string            `json:"name"`
			Metadata map[string]string `json:"metadata"`
		} `json:"triggers"`
	} `json:"spec"`
}

// podMonitor is the part of the Prometheus Operator's PodMonitor the checks read.
type podMonitor struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		JobLabel            string               `json:"jobLabel"`
		Selector            metav1.LabelSelector `json:"selector"`
		PodMetricsEndpoints []struct {
			Port string `json:"port"`
			Path string `json:"path"`
		} `json:"podMetricsEndpoints"`
	} `json:"spec"`
}

// prometheusRule keeps the rule groups as generic YAML values, to compare
// them with prometheus/smsq-rules.yml.
type prometheusRule struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		Groups []any `json:"groups"`
	} `json:"spec"`
}

// newObject is the Go type of one apiVersion/kind; strict says whether
// decoding rejects unknown fields (the built-in kinds, whose Go types are
// complete; the CRD kinds are checked by their schemas instead).
func newObject(apiVersion, kind string) (obj any, strict, ok bool) {
	switch apiVersion + " " + kind {
	case "v1 Namespace":
		return &corev1.Namespace{}, true, true
	case "v1 ConfigMap":
		return &corev1.ConfigMap{}, true, true
	case "v1 Secret":
		return &corev1.Secret{}, true, true
	case "v1 Service":
		return &corev1.Service{}, true, true
	case "apps/v1 Deployment":
		return &appsv1.Deployment{}, true, true
	case "policy/v1 PodDisruptionBudget":
		return &policyv1.PodDisruptionBudget{}, true, true
	case "networking.k8s.io/v1 Ingress":
		return &networkingv1.Ingress{}, true, true
	case "networking.k8s.io/v1 NetworkPolicy":
		return &networkingv1.NetworkPolicy{}, true, true
	case "autoscaling/v2 HorizontalPodAutoscaler":
		return &autoscalingv2.HorizontalPodAutoscaler{}, true, true
	case "keda.sh/v1alpha1 ScaledObject":
		return &scaledObject{}, false, true
	case "monitoring.coreos.com/v1 PodMonitor":
		return &podMonitor{}, false, true
	case "monitoring.coreos.com/v1 PrometheusRule":
		return &prometheusRule{}, false, true
	}
	return nil, false, false
}

// splitDocuments splits a multi-document YAML file; documents with only
// comments or blank lines are dropped.
func splitDocuments(b []byte) [][]byte {
	var docs [][]byte
	for _, d := range docSeparator.Split(string(b), -1) {
		empty := true
		for _, line := range strings.Split(d, "\n") {
			if l := strings.TrimSpace(line); l != "" && !strings.HasPrefix(l, "#") {
				empty = false
				break
			}
		}
		if !empty {
			docs = append(docs, []byte(d))
		}
	}
	return docs
}

var docSeparator = regexp.MustCompile(`(?m)^---[ \t]*(#.*)?$`)

// decodeStrict turns one YAML document into its Go type. For the built-in
// kinds, unknown fields are errors twice over: encoding/json's
// DisallowUnknownFields, and sigs.k8s.io/json's strict mode (what the API
// server uses), which also catches duplicate fields and fields spelled with
// the wrong case. The typed decoding also parses what the schemas leave as
// strings (quantities such as 512Mi).
func decodeStrict(doc []byte) (any, error) {
	js, err := yaml.YAMLToJSONStrict(doc) // duplicate keys are errors too
	if err != nil {
		return nil, fmt.Errorf("YAML: %w", err)
	}
	var tm metav1.TypeMeta
	if err := json.Unmarshal(js, &tm); err != nil {
		return nil, fmt.Errorf("apiVersion/kind: %w", err)
	}
	obj, strict, ok := newObject(tm.APIVersion, tm.Kind)
	if !ok {
		return nil, fmt.Errorf("unexpected apiVersion %q kind %q: add its Go type to newObject", tm.APIVersion, tm.Kind)
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(obj); err != nil {
		return nil, fmt.Errorf("%s %s: %w", tm.APIVersion, tm.Kind, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%s %s: trailing data", tm.APIVersion, tm.Kind)
	}
	if strict {
		strictErrs, err := kjson.UnmarshalStrict(js, obj)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", tm.APIVersion, tm.Kind, err)
		}
		if len(strictErrs) > 0 {
			return nil, fmt.Errorf("%s %s: %v", tm.APIVersion, tm.Kind, strictErrs)
		}
	}
	return obj, nil
}

// manifest is one rendered object and its Go value.
type manifest struct {
	object
	Obj any
}

// decodeAll decodes every rendered object of one variant.
func decodeAll(t *testing.T, objs []object) []manifest {
	t.Helper()
	var out []manifest
	for _, o := range objs {
		obj, err := decodeStrict(o.YAML)
		if err != nil {
			t.Errorf("%s: %v", o, err)
			continue
		}
		out = append(out, manifest{object: o, Obj: obj})
	}
	return out
}

// objects returns the manifests of type T.
func objects[T any](ms []manifest) []T {
	var out []T
	for _, m := range ms {
		if o, ok := m.Obj.(T); ok {
			out = append(out, o)
		}
	}
	return out
}

func TestDecodeStrictRejects(t *testing.T) {
	t.Parallel()
	for name, doc := range map[string]string{
		"unknown field": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {A: b}\nbogus: 1\n",
		"wrong case":    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {Replicas: 2}\n",
		"nested field":  "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: x}\nspec: {maxUnavailable: 1, selectr: {}}\n",
		"unknown kind":  "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n",
		"duplicate key": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {A: b, A: c}\n",
		"wrong type":    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replicas: two}\n",
		"bad quantity":  "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {template: {spec: {containers: [{name: c, resources: {limits: {memory: 512MB}}}]}}}\n",
	} {
		if _, err := decodeStrict([]byte(doc)); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
	if n := len(splitDocuments([]byte("# c\n---\na: 1\n--- # x\nb: 2\n---\n"))); n != 2 {
		t.Errorf("splitDocuments: %d documents, want 2", n)
	}
}

// TestRoleReadsCoversEveryVariable: every smsq variable has a decision in
// roleReads, so a new variable cannot land in the pods by accident.
func TestRoleReadsCoversEveryVariable(t *testing.T) {
	t.Parallel()
	for name := range smsqVars(t) {
		if _, ok := roleReads[name]; !ok {
			t.Errorf("%s: say in roleReads (and README's table) which pods read it (nil for producers only)", name)
		}
	}
	for name := range roleReads {
		if _, ok := smsqVars(t)[name]; !ok {
			t.Errorf("roleReads lists %s, which is not an smsq variable", name)
		}
	}
}

// TestManifests checks what smsq needs from the rendered manifests, for
// each autoscaler variant.
func TestManifests(t *testing.T) {
	t.Parallel()
	for _, v := range variants {
		t.Run(v.Name, func(t *testing.T) {
			ms := decodeAll(t, render(t, v))
			checkManifests(t, v, ms)
		})
	}
}

// roleEnv is what one Deployment's container sees.
type roleEnv struct {
	Vars    map[string]string // value, or the Secret's value for secretKeyRef
	Secrets map[string]bool   // Secrets referenced
}

func checkManifests(t *testing.T, v variant, ms []manifest) {
	t.Helper()
	ns := checkNamespace(t, ms)

	configMaps := map[string]*corev1.ConfigMap{}
	for _, cm := range objects[*corev1.ConfigMap](ms) {
		configMaps[cm.Name] = cm
		checkEnv(t, "ConfigMap "+cm.Name, cm.Data)
		for _, k := range secretVars {
			if _, ok := cm.Data[k]; ok {
				t.Errorf("ConfigMap %s holds %s: it is a secret", cm.Name, k)
			}
		}
	}
	secrets := checkSecrets(t, objects[*corev1.Secret](ms))

	roles := map[string]*appsv1.Deployment{}
	envs := map[string]roleEnv{}
	var image string
	usedConfigMaps := map[string]bool{}
	for _, d := range objects[*appsv1.Deployment](ms) {
		role, env := checkDeployment(t, d, configMaps, secrets, usedConfigMaps)
		if prev, dup := roles[role]; dup {
			t.Errorf("Deployments %s and %s both run role %s", prev.Name, d.Name, role)
		}
		roles[role], envs[role] = d, env
		if img := d.Spec.Template.Spec.Containers[0].Image; image == "" {
			image = img
		} else if img != image {
			t.Errorf("Deployment %s: image %s; every smsq Deployment runs the same image (%s)", d.Name, img, image)
		}
	}
	worker, webhooks := roles[roleTasks], roles[roleWebhooks]
	if worker == nil || webhooks == nil {
		t.Fatalf("want a Deployment with --role=tasks and one with --role=webhooks, have %v", keys(roles))
	}
	for name := range configMaps {
		if !usedConfigMaps[name] {
			t.Errorf("ConfigMap %s: no Deployment reads it", name)
		}
	}
	if worker.Spec.Replicas == nil || *worker.Spec.Replicas != 2 {
		t.Errorf("Deployment %s: replicas %v, want 2", worker.Name, worker.Spec.Replicas)
	}
	if env := envs[roleTasks].Vars; env["EVENTS_FORWARD_URL"] != "" && !envs[roleTasks].Secrets["smsq-events"] {
		t.Error("EVENTS_FORWARD_URL without EVENTS_SIGNING_SECRET: the worker refuses to start")
	}

	checkDisruptionBudgets(t, ms, worker)
	checkServiceAndIngress(t, ms, webhooks, envs)
	checkNetworkPolicies(t, objects[*networkingv1.NetworkPolicy](ms), roles, envs)
	checkMonitoring(t, ms, ns, roles, envs)
	checkAutoscaling(t, v, ms, worker, ns)
}

// checkNamespace: one Namespace, restricted by Pod Security Admission,
// holding every other object. It returns its name.
func checkNamespace(t *testing.T, ms []manifest) string {
	t.Helper()
	nss := objects[*corev1.Namespace](ms)
	if len(nss) != 1 {
		t.Fatalf("%d Namespace objects, want 1", len(nss))
	}
	ns := nss[0]
	if ns.Labels["pod-security.kubernetes.io/enforce"] != "restricted" {
		t.Errorf("Namespace %s: pod-security.kubernetes.io/enforce is %q, want restricted", ns.Name, ns.Labels["pod-security.kubernetes.io/enforce"])
	}
	for _, m := range ms {
		if m.Kind != "Namespace" && m.Namespace != ns.Name {
			t.Errorf("%s: namespace %q, want %q", m, m.Namespace, ns.Name)
		}
	}
	return ns.Name
}

// checkSecrets: one Secret per concern with exactly its keys, holding
// placeholders the app refuses. It returns each Secret's values.
func checkSecrets(t *testing.T, secs []*corev1.Secret) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	for _, s := range secs {
		want, ok := secretKeys[s.Name]
		if !ok {
			t.Errorf("Secret %s: not a Secret of smsq (want one of %v)", s.Name, keys(secretKeys))
			continue
		}
		if len(s.Data) > 0 || len(s.StringData) == 0 {
			t.Errorf("Secret %s: the example should use stringData only", s.Name)
		}
		if got := keys(s.StringData); !slices.Equal(got, sorted(want)) {
			t.Errorf("Secret %s: keys %v, want %v", s.Name, got, sorted(want))
		}
		checkEnv(t, "Secret "+s.Name, s.StringData)
		for k, v := range s.StringData {
			if slices.Contains(secretVars, k) {
				checkPlaceholder(t, "Secret "+s.Name+" "+k, k, v)
			}
		}
		out[s.Name] = s.StringData
	}
	for name := range secretKeys {
		if out[name] == nil {
			t.Errorf("no example Secret %s", name)
		}
	}
	return out
}

// checkPlaceholder: an example secret is an obvious placeholder, too short
// for the app to accept, so an unedited example never runs.
func checkPlaceholder(t *testing.T, where, name, value string) {
	t.Helper()
	var parts []string
	switch name {
	case "REDIS_URL":
		u, err := url.Parse(value)
		if err != nil {
			t.Errorf("%s: %v", where, err)
			return
		}
		if pw, ok := u.User.Password(); ok {
			parts = append(parts, pw)
		}
	case "API_TOKENS":
		for _, pair := range strings.Split(value, ",") {
			_, token, _ := strings.Cut(pair, ":")
			parts = append(parts, token)
		}
	default:
		parts = append(parts, value)
	}
	for _, p := range parts {
		if !strings.HasPrefix(p, "CHANGE-ME") || len(p) >= minSecretLen {
			t.Errorf("%s: %q: use a CHANGE-ME placeholder shorter than %d characters (the app refuses it), never a value", where, p, minSecretLen)
		}
	}
}

// checkDeployment checks one smsq Deployment and returns its role and the
// environment its container sees.
func checkDeployment(t *testing.T, d *appsv1.Deployment, configMaps map[string]*corev1.ConfigMap, secrets map[string]map[string]string, usedConfigMaps map[string]bool) (string, roleEnv) {
	t.Helper()
	where := "Deployment " + d.Name
	spec := d.Spec.Template.Spec
	if d.Spec.Selector == nil {
		t.Fatalf("%s: no selector", where)
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil || sel.Empty() || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
		t.Errorf("%s: selector %v does not match the pod labels %v", where, d.Spec.Selector, d.Spec.Template.Labels)
	}
	if len(spec.Containers) != 1 {
		t.Fatalf("%s: %d containers, want 1", where, len(spec.Containers))
	}
	c := spec.Containers[0]

	// The role comes from --role.
	role := ""
	for _, a := range append(slices.Clone(c.Command), c.Args...) {
		if r, ok := strings.CutPrefix(a, "--role="); ok {
			role = r
		}
	}
	if role != roleTasks && role != roleWebhooks {
		t.Errorf("%s: args %q: want --role=tasks or --role=webhooks", where, c.Args)
	}
	if len(c.Command) > 0 && c.Command[0] != "/worker" {
		t.Errorf("%s: command %q: the image's entrypoint /worker is the only long-running binary", where, c.Command)
	}
	checkImagePinned(t, where, c.Image)

	// Configuration: ConfigMaps by envFrom, Secrets key by key.
	env := roleEnv{Vars: map[string]string{}, Secrets: map[string]bool{}}
	set := func(name, value, from string) {
		if _, dup := env.Vars[name]; dup {
			t.Errorf("%s: %s is set twice (%s)", where, name, from)
		}
		env.Vars[name] = value
	}
	for _, e := range c.EnvFrom {
		switch {
		case e.ConfigMapRef != nil:
			cm := configMaps[e.ConfigMapRef.Name]
			if cm == nil {
				t.Errorf("%s: envFrom ConfigMap %s is not in these manifests", where, e.ConfigMapRef.Name)
				continue
			}
			usedConfigMaps[cm.Name] = true
			for k, v := range cm.Data {
				set(k, v, "ConfigMap "+cm.Name)
			}
		case e.SecretRef != nil:
			t.Errorf("%s: envFrom Secret %s: reference secrets key by key (secretKeyRef), so an extra key never reaches the pod", where, e.SecretRef.Name)
		}
		if e.Prefix != "" {
			t.Errorf("%s: envFrom prefix %q would rename smsq's variables", where, e.Prefix)
		}
	}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			set(e.Name, e.Value, "env")
		case e.ValueFrom.SecretKeyRef != nil:
			ref := e.ValueFrom.SecretKeyRef
			env.Secrets[ref.Name] = true
			val, ok := secrets[ref.Name][ref.Key]
			if !ok && (ref.Optional == nil || !*ref.Optional) {
				t.Errorf("%s: env %s: Secret %s has no key %s", where, e.Name, ref.Name, ref.Key)
			}
			if ref.Key != e.Name {
				t.Errorf("%s: env %s from key %s: name the key as the variable", where, e.Name, ref.Key)
			}
			set(e.Name, val, "Secret "+ref.Name)
		default:
			t.Errorf("%s: env %s: only values and secretKeyRef are expected", where, e.Name)
		}
	}
	checkEnv(t, where, env.Vars)
	for name := range env.Vars {
		if !slices.Contains(roleReads[name], role) {
			t.Errorf("%s: sets %s, which role %s does not read (roleReads)", where, name, role)
		}
	}
	if got := keys(env.Secrets); !slices.Equal(got, roleSecrets[role]) {
		t.Errorf("%s: role %s mounts Secrets %v, want exactly %v", where, role, got, roleSecrets[role])
	}
	for _, need := range map[string][]string{
		roleTasks:    {"REDIS_URL", "SMSMODE_ACCESS_TOKEN", "WEBHOOK_SECRET", "WEBHOOK_PUBLIC_URL", "MONITORING_PASSWORD", "ADMIN_ADDR"},
		roleWebhooks: {"REDIS_URL", "WEBHOOK_SECRET", "API_TOKENS", "ADMIN_ADDR"},
	}[role] {
		if _, ok := env.Vars[need]; !ok {
			t.Errorf("%s: role %s needs %s", where, role, need)
		}
	}

	// Ports: the public one (HTTP_ADDR) named http, the admin one
	// (ADMIN_ADDR) named admin.
	httpP, adminP := addrPort(t, env.Vars, "HTTP_ADDR"), addrPort(t, env.Vars, "ADMIN_ADDR")
	if httpP == adminP {
		t.Errorf("%s: HTTP_ADDR and ADMIN_ADDR share port %d: the web UI would be public", where, httpP)
	}
	for name, want := range map[string]int{"http": httpP, "admin": adminP} {
		if p, ok := containerPort(c, intstr.FromString(name)); !ok || p != want {
			t.Errorf("%s: container port %q is %d, want %d", where, name, p, want)
		}
	}
	if len(c.Ports) != 2 {
		t.Errorf("%s: ports %v: want exactly http and admin", where, c.Ports)
	}

	// Probes: liveness on /healthz, readiness on /readyz.
	for _, p := range []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{{"livenessProbe", c.LivenessProbe, "/healthz"}, {"readinessProbe", c.ReadinessProbe, "/readyz"}} {
		if p.probe == nil || p.probe.HTTPGet == nil {
			t.Errorf("%s: no httpGet %s", where, p.name)
			continue
		}
		if p.probe.HTTPGet.Path != p.path {
			t.Errorf("%s: %s on %s, want %s", where, p.name, p.probe.HTTPGet.Path, p.path)
		}
		if _, ok := containerPort(c, p.probe.HTTPGet.Port); !ok {
			t.Errorf("%s: %s port %s is not a container port", where, p.name, p.probe.HTTPGet.Port.String())
		}
	}

	// Resources.
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		req, lim := c.Resources.Requests[r], c.Resources.Limits[r]
		if req.IsZero() || lim.IsZero() {
			t.Errorf("%s: %s request and limit must both be set", where, r)
		} else if req.Cmp(lim) > 0 {
			t.Errorf("%s: %s request %s above limit %s", where, r, req.String(), lim.String())
		}
	}

	// Graceful shutdown: the kubelet's SIGKILL must come after SHUTDOWN_TIMEOUT.
	shutdown := shutdownTimeout(t, env.Vars)
	if spec.TerminationGracePeriodSeconds == nil {
		t.Errorf("%s: no terminationGracePeriodSeconds (default 30s) with SHUTDOWN_TIMEOUT=%v", where, shutdown)
	} else if g := time.Duration(*spec.TerminationGracePeriodSeconds) * time.Second; g <= shutdown {
		t.Errorf("%s: terminationGracePeriodSeconds %v must exceed SHUTDOWN_TIMEOUT %v", where, g, shutdown)
	}

	checkSecurity(t, where, spec, c)

	// Annotation-based scraping, on the admin port.
	a := d.Spec.Template.Annotations
	if a["prometheus.io/scrape"] != "true" || a["prometheus.io/path"] != "/metrics" || a["prometheus.io/port"] != strconv.Itoa(adminP) {
		t.Errorf("%s: prometheus.io annotations %v: want scrape true, path /metrics, port %d (ADMIN_ADDR)", where, a, adminP)
	}
	return role, env
}

// checkSecurity: non-root, read-only root, no privilege escalation, no
// capabilities, the runtime's seccomp profile, no service-account token.
func checkSecurity(t *testing.T, where string, spec corev1.PodSpec, c corev1.Container) {
	t.Helper()
	psc, csc := spec.SecurityContext, c.SecurityContext
	if csc == nil {
		csc = &corev1.SecurityContext{}
	}
	if psc == nil {
		psc = &corev1.PodSecurityContext{}
	}
	nonRoot := csc.RunAsNonRoot
	if nonRoot == nil {
		nonRoot = psc.RunAsNonRoot
	}
	if nonRoot == nil || !*nonRoot {
		t.Errorf("%s: runAsNonRoot is not true", where)
	}
	if u := csc.RunAsUser; u != nil && *u == 0 {
		t.Errorf("%s: runAsUser 0", where)
	}
	if u := psc.RunAsUser; u != nil && *u == 0 {
		t.Errorf("%s: pod runAsUser 0", where)
	}
	if csc.ReadOnlyRootFilesystem == nil || !*csc.ReadOnlyRootFilesystem {
		t.Errorf("%s: readOnlyRootFilesystem is not true", where)
	}
	if csc.AllowPrivilegeEscalation == nil || *csc.AllowPrivilegeEscalation {
		t.Errorf("%s: allowPrivilegeEscalation is not false", where)
	}
	if csc.Capabilities == nil || !slices.Contains(csc.Capabilities.Drop, "ALL") || len(csc.Capabilities.Add) > 0 {
		t.Errorf("%s: capabilities must drop ALL and add none", where)
	}
	seccomp := csc.SeccompProfile
	if seccomp == nil {
		seccomp = psc.SeccompProfile
	}
	if seccomp == nil || seccomp.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("%s: seccompProfile is not RuntimeDefault", where)
	}
	if csc.Privileged != nil && *csc.Privileged {
		t.Errorf("%s: privileged", where)
	}
	if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken {
		t.Errorf("%s: automountServiceAccountToken is not false (smsq does not call the Kubernetes API)", where)
	}
}

// checkDisruptionBudgets: every PodDisruptionBudget protects one
// Deployment without blocking drains; the worker has one.
func checkDisruptionBudgets(t *testing.T, ms []manifest, worker *appsv1.Deployment) {
	t.Helper()
	deployments := objects[*appsv1.Deployment](ms)
	protected := map[string]bool{}
	for _, pdb := range objects[*policyv1.PodDisruptionBudget](ms) {
		d := selectedDeployment(t, "PodDisruptionBudget "+pdb.Name, pdb.Spec.Selector, deployments)
		if d != nil {
			protected[d.Name] = true
		}
		if pdb.Spec.MinAvailable == nil && pdb.Spec.MaxUnavailable == nil {
			t.Errorf("PodDisruptionBudget %s: neither minAvailable nor maxUnavailable", pdb.Name)
		}
		if m := pdb.Spec.MinAvailable; m != nil && m.Type == intstr.Int && d != nil && d.Spec.Replicas != nil && m.IntVal >= *d.Spec.Replicas {
			t.Errorf("PodDisruptionBudget %s: minAvailable %d blocks every drain of %d replicas", pdb.Name, m.IntVal, *d.Spec.Replicas)
		}
	}
	if !protected[worker.Name] {
		t.Errorf("no PodDisruptionBudget for Deployment %s", worker.Name)
	}
}

// The public paths of the Ingresses, exactly: sMsmode's callbacks and the
// producer API. Nothing else of the public port (health endpoints) and
// nothing of the admin port.
var publicPaths = []string{"/v1/", "/webhooks/smsmode/"}

// checkServiceAndIngress: the Service selects the webhook pods on their
// public port only, and the Ingresses publish exactly publicPaths of it
// over TLS, with a per-client rate limit.
func checkServiceAndIngress(t *testing.T, ms []manifest, webhooks *appsv1.Deployment, envs map[string]roleEnv) {
	t.Helper()
	deployments := objects[*appsv1.Deployment](ms)
	c := webhooks.Spec.Template.Spec.Containers[0]
	publicPort := addrPort(t, envs[roleWebhooks].Vars, "HTTP_ADDR")

	services := map[string]*corev1.Service{}
	for _, s := range objects[*corev1.Service](ms) {
		services[s.Name] = s
		d := selectedDeployment(t, "Service "+s.Name, &metav1.LabelSelector{MatchLabels: s.Spec.Selector}, deployments)
		if d == nil {
			continue
		}
		if d != webhooks {
			t.Errorf("Service %s selects Deployment %s; only the webhook pods take traffic", s.Name, d.Name)
		}
		for _, p := range s.Spec.Ports {
			if n, ok := containerPort(c, p.TargetPort); !ok || n != publicPort {
				t.Errorf("Service %s: port %s targets %s (container port %d); a Service carries the public port %d only, never the admin port", s.Name, p.Name, p.TargetPort.String(), n, publicPort)
			}
		}
	}
	ingresses := objects[*networkingv1.Ingress](ms)
	var paths []string
	for _, ing := range ingresses {
		where := "Ingress " + ing.Name
		if len(ing.Spec.TLS) == 0 {
			t.Errorf("%s: no TLS", where)
		}
		if ing.Spec.DefaultBackend != nil {
			t.Errorf("%s: a default backend publishes every path", where)
		}
		if rps, err := strconv.Atoi(ing.Annotations["nginx.ingress.kubernetes.io/limit-rps"]); err != nil || rps <= 0 {
			t.Errorf("%s: no per-client rate limit (nginx.ingress.kubernetes.io/limit-rps)", where)
		}
		for _, r := range ing.Spec.Rules {
			for _, tls := range ing.Spec.TLS {
				if !slices.Contains(tls.Hosts, r.Host) {
					t.Errorf("%s: host %s is not covered by TLS hosts %v", where, r.Host, tls.Hosts)
				}
			}
			if r.HTTP == nil {
				continue
			}
			for _, p := range r.HTTP.Paths {
				paths = append(paths, p.Path)
				if !slices.Contains(publicPaths, p.Path) || p.PathType == nil || *p.PathType != networkingv1.PathTypePrefix {
					t.Errorf("%s: path %s: publish only the paths %v, with pathType Prefix", where, p.Path, publicPaths)
				}
				svc := p.Backend.Service
				if svc == nil || services[svc.Name] == nil {
					t.Errorf("%s: path %s: backend is not a Service of these manifests", where, p.Path)
					continue
				}
				found := false
				for _, sp := range services[svc.Name].Spec.Ports {
					if (svc.Port.Name != "" && sp.Name == svc.Port.Name) || (svc.Port.Number != 0 && sp.Port == svc.Port.Number) {
						found = true
					}
				}
				if !found {
					t.Errorf("%s: Service %s has no port %+v", where, svc.Name, svc.Port)
				}
			}
			if pub := envs[roleTasks].Vars["WEBHOOK_PUBLIC_URL"]; pub != "" {
				if u, err := url.Parse(pub); err != nil || u.Hostname() != r.Host || u.Scheme != "https" {
					t.Errorf("WEBHOOK_PUBLIC_URL %s: want https://%s (%s)", pub, r.Host, where)
				}
			}
		}
	}
	slices.Sort(paths)
	if !slices.Equal(paths, publicPaths) {
		t.Errorf("Ingress paths %v, want each of %v once", paths, publicPaths)
	}
}

func containerPort(c corev1.Container, p intstr.IntOrString) (int, bool) {
	for _, cp := range c.Ports {
		if (p.Type == intstr.String && cp.Name == p.StrVal) || (p.Type == intstr.Int && cp.ContainerPort == p.IntVal) {
			return int(cp.ContainerPort), true
		}
	}
	return 0, false
}

// selectedDeployment is the one Deployment whose pods sel selects.
func selectedDeployment(t *testing.T, where string, sel *metav1.LabelSelector, ds []*appsv1.Deployment) *appsv1.Deployment {
	t.Helper()
	found := selectedDeployments(t, where, sel, ds)
	if len(found) != 1 {
		t.Errorf("%s: selects the pods of %d Deployments, want 1", where, len(found))
		return nil
	}
	return found[0]
}

func selectedDeployments(t *testing.T, where string, sel *metav1.LabelSelector, ds []*appsv1.Deployment) []*appsv1.Deployment {
	t.Helper()
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil || s.Empty() {
		t.Errorf("%s: selector %v is empty or invalid (%v)", where, sel, err)
		return nil
	}
	var found []*appsv1.Deployment
	for _, d := range ds {
		if s.Matches(labels.Set(d.Spec.Template.Labels)) {
			found = append(found, d)
		}
	}
	return found
}

// addrPort is the port of a listen address variable (HTTP_ADDR,
// ADMIN_ADDR), else of smsq's default.
func addrPort(t *testing.T, env map[string]string, name string) int {
	t.Helper()
	s, ok := env[name]
	if !ok {
		s = smsqVars(t)[name].Default
	}
	_, p, err := net.SplitHostPort(s)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, s, err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatalf("%s=%q: port: %v", name, s, err)
	}
	return n
}

var promMetricRE = regexp.MustCompile(`\bsmsq_[a-z0-9_]+`)

// checkAutoscaling: exactly the variant's autoscaler, on the worker.
func checkAutoscaling(t *testing.T, v variant, ms []manifest, worker *appsv1.Deployment, ns string) {
	t.Helper()
	known := smsqMetrics(t)
	keda := objects[*scaledObject](ms)
	hpa := objects[*autoscalingv2.HorizontalPodAutoscaler](ms)
	if len(keda)+len(hpa) != 1 {
		t.Fatalf("%d ScaledObjects and %d HorizontalPodAutoscalers: want exactly one autoscaler (two on one Deployment fight)", len(keda), len(hpa))
	}
	if (v.Name == "keda") != (len(keda) == 1) {
		t.Errorf("variant %s renders %d ScaledObjects", v.Name, len(keda))
	}
	for _, o := range keda {
		where := "ScaledObject " + o.Name
		ref := o.Spec.ScaleTargetRef
		if ref.Name != worker.Name || (ref.Kind != "" && ref.Kind != "Deployment") {
			t.Errorf("%s: scaleTargetRef %+v, want Deployment %s", where, ref, worker.Name)
		}
		checkReplicaRange(t, where, o.Spec.MinReplicaCount, o.Spec.MaxReplicaCount)
		if len(o.Spec.Triggers) == 0 {
			t.Errorf("%s: no trigger", where)
		}
		for _, tr := range o.Spec.Triggers {
			if tr.Type != "prometheus" {
				t.Errorf("%s: trigger type %q, want prometheus", where, tr.Type)
				continue
			}
			for _, k := range []string{"serverAddress", "query", "threshold"} {
				if tr.Metadata[k] == "" {
					t.Errorf("%s: trigger %s: no %s", where, tr.Name, k)
				}
			}
			checkQuery(t, where+" trigger "+tr.Name, tr.Metadata["query"], known)
			if !strings.Contains(tr.Metadata["query"], `namespace="`+ns+`"`) {
				t.Errorf("%s: trigger %s: the query must select namespace=%q (kustomization.yaml's namespace)", where, tr.Name, ns)
			}
		}
	}
	for _, o := range hpa {
		where := "HorizontalPodAutoscaler " + o.Name
		ref := o.Spec.ScaleTargetRef
		if ref.Name != worker.Name || ref.Kind != "Deployment" || ref.APIVersion != "apps/v1" {
			t.Errorf("%s: scaleTargetRef %+v, want apps/v1 Deployment %s", where, ref, worker.Name)
		}
		checkReplicaRange(t, where, o.Spec.MinReplicas, &o.Spec.MaxReplicas)
		if len(o.Spec.Metrics) == 0 {
			t.Errorf("%s: no metric", where)
		}
		for _, mt := range o.Spec.Metrics {
			if mt.Type != autoscalingv2.ExternalMetricSourceType && mt.Type != autoscalingv2.ObjectMetricSourceType {
				t.Errorf("%s: metric type %s, want External or Object (prometheus-adapter)", where, mt.Type)
			}
			if mt.Type == autoscalingv2.ExternalMetricSourceType && (mt.External == nil || mt.External.Metric.Name == "") {
				t.Errorf("%s: External metric without a name", where)
			}
		}
	}
}

func checkReplicaRange(t *testing.T, where string, min, max *int32) {
	t.Helper()
	if min == nil || max == nil || *min < 2 || *max < *min {
		t.Errorf("%s: replicas range %v..%v: want 2 <= min <= max (two workers at least)", where, deref(min), deref(max))
	}
}

// checkQuery: a PromQL query on smsq's real metrics that reads the backlog
// once, not once per pod (every pod exports the same queue gauges).
func checkQuery(t *testing.T, where, q string, known map[string]bool) {
	t.Helper()
	names := promMetricRE.FindAllString(q, -1)
	if len(names) == 0 {
		t.Errorf("%s: query uses no smsq metric: %s", where, q)
	}
	queue := false
	for _, n := range names {
		if !known[n] {
			t.Errorf("%s: %s is not a metric of internal/metrics", where, n)
		}
		queue = queue || strings.HasPrefix(n, "smsq_queue_")
	}
	if !queue {
		t.Errorf("%s: the backlog is in smsq_queue_tasks / smsq_queue_latency_seconds", where)
	}
	if strings.Contains(q, "smsq_queue_") && !strings.Contains(q, "max by (queue)") {
		t.Errorf("%s: aggregate the per-pod copies of smsq_queue_* with max by (queue) first: %s", where, q)
	}
}

func deref(p *int32) any {
	if p == nil {
		return nil
	}
	return *p
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}
