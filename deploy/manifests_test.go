package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
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

// scaledObject is the part of KEDA's ScaledObject (keda.sh/v1alpha1, a CRD
// with no Go types here) that the manifests use. Decoding is strict, so a
// field outside this struct is an error: add it here knowingly.
type scaledObject struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              struct {
		ScaleTargetRef struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Name       string `json:"name"`
		} `json:"scaleTargetRef"`
		PollingInterval *int32 `json:"pollingInterval"`
		CooldownPeriod  *int32 `json:"cooldownPeriod"`
		MinReplicaCount *int32 `json:"minReplicaCount"`
		MaxReplicaCount *int32 `json:"maxReplicaCount"`
		Fallback        *struct {
			FailureThreshold int32 `json:"failureThreshold"`
			Replicas         int32 `json:"replicas"`
		} `json:"fallback"`
		Advanced *struct {
			HorizontalPodAutoscalerConfig *struct {
				Behavior *autoscalingv2.HorizontalPodAutoscalerBehavior `json:"behavior"`
			} `json:"horizontalPodAutoscalerConfig"`
		} `json:"advanced"`
		Triggers []struct {
			Type       string            `json:"type"`
			Name       string            `json:"name"`
			MetricType string            `json:"metricType"`
			Metadata   map[string]string `json:"metadata"`
		} `json:"triggers"`
	} `json:"spec"`
}

// newObject is the Go type of one apiVersion/kind.
func newObject(apiVersion, kind string) (any, bool) {
	switch apiVersion + " " + kind {
	case "apps/v1 Deployment":
		return &appsv1.Deployment{}, true
	case "v1 Service":
		return &corev1.Service{}, true
	case "v1 ConfigMap":
		return &corev1.ConfigMap{}, true
	case "v1 Secret":
		return &corev1.Secret{}, true
	case "policy/v1 PodDisruptionBudget":
		return &policyv1.PodDisruptionBudget{}, true
	case "networking.k8s.io/v1 Ingress":
		return &networkingv1.Ingress{}, true
	case "autoscaling/v2 HorizontalPodAutoscaler":
		return &autoscalingv2.HorizontalPodAutoscaler{}, true
	case "keda.sh/v1alpha1 ScaledObject":
		return &scaledObject{}, true
	}
	return nil, false
}

// manifest is one decoded YAML document.
type manifest struct {
	File string // relative to deploy/
	Doc  int    // 1-based index in the file
	Obj  any
}

func (m manifest) String() string { return fmt.Sprintf("%s#%d", m.File, m.Doc) }

var docSeparator = regexp.MustCompile(`(?m)^---[ \t]*(#.*)?$`)

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

// decodeStrict turns one YAML document into its API type. Unknown fields
// are errors twice over: encoding/json's DisallowUnknownFields, and
// sigs.k8s.io/json's strict mode (what the API server uses), which also
// catches duplicate fields and fields spelled with the wrong case
// (encoding/json matches field names case-insensitively).
func decodeStrict(doc []byte) (any, error) {
	js, err := yaml.YAMLToJSONStrict(doc) // duplicate keys are errors too
	if err != nil {
		return nil, fmt.Errorf("YAML: %w", err)
	}
	var tm metav1.TypeMeta
	if err := json.Unmarshal(js, &tm); err != nil {
		return nil, fmt.Errorf("apiVersion/kind: %w", err)
	}
	obj, ok := newObject(tm.APIVersion, tm.Kind)
	if !ok {
		return nil, fmt.Errorf("unexpected apiVersion %q kind %q: add its Go type to newObject", tm.APIVersion, tm.Kind)
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(obj); err != nil {
		return nil, fmt.Errorf("%s %s: %w", tm.APIVersion, tm.Kind, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%s %s: trailing data", tm.APIVersion, tm.Kind)
	}
	strictErrs, err := kjson.UnmarshalStrict(js, obj)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", tm.APIVersion, tm.Kind, err)
	}
	if len(strictErrs) > 0 {
		return nil, fmt.Errorf("%s %s: %v", tm.APIVersion, tm.Kind, strictErrs)
	}
	return obj, nil
}

// loadManifests decodes every YAML document under deploy/k8s/ (recursively).
func loadManifests(t *testing.T) []manifest {
	t.Helper()
	var out []manifest
	err := filepath.WalkDir(k8sDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || (!strings.HasSuffix(path, ".yaml") && !strings.HasSuffix(path, ".yml")) {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		docs := splitDocuments(b)
		if len(docs) == 0 {
			t.Errorf("%s: no YAML document", path)
		}
		for i, doc := range docs {
			obj, err := decodeStrict(doc)
			if err != nil {
				t.Errorf("%s#%d: %v", path, i+1, err)
				continue
			}
			out = append(out, manifest{File: path, Doc: i + 1, Obj: obj})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("no manifest under deploy/k8s")
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
	for name, doc := range map[string]string{
		"unknown field": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {A: b}\nbogus: 1\n",
		"wrong case":    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {Replicas: 2}\n",
		"nested field":  "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: x}\nspec: {maxUnavailable: 1, selectr: {}}\n",
		"KEDA field":    "apiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: x}\nspec: {scaleTargetRef: {name: w}, minReplicas: 2}\n",
		"unknown kind":  "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n",
		"duplicate key": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {A: b, A: c}\n",
		"wrong type":    "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replicas: two}\n",
	} {
		if _, err := decodeStrict([]byte(doc)); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
	if n := len(splitDocuments([]byte("# c\n---\na: 1\n--- # x\nb: 2\n---\n"))); n != 2 {
		t.Errorf("splitDocuments: %d documents, want 2", n)
	}
}

// TestManifests decodes every manifest strictly and checks what smsq needs
// from it.
func TestManifests(t *testing.T) {
	ms := loadManifests(t)
	for _, m := range ms {
		t.Logf("%s: %T", m, m.Obj)
	}

	configMaps := objects[*corev1.ConfigMap](ms)
	secrets := objects[*corev1.Secret](ms)
	deployments := objects[*appsv1.Deployment](ms)
	if len(configMaps) != 1 || len(secrets) != 1 {
		t.Fatalf("want one ConfigMap and one Secret, have %d and %d", len(configMaps), len(secrets))
	}
	cm, sec := configMaps[0], secrets[0]

	// Every key is an smsq variable with a value smsq accepts.
	checkEnv(t, "ConfigMap "+cm.Name, cm.Data)
	secretEnv := map[string]string{}
	for k, v := range sec.StringData {
		secretEnv[k] = v
	}
	for k, v := range sec.Data {
		secretEnv[k] = string(v)
	}
	checkEnv(t, "Secret "+sec.Name, secretEnv)
	for k := range secretEnv {
		if _, dup := cm.Data[k]; dup {
			t.Errorf("%s is in both the ConfigMap and the Secret", k)
		}
	}
	// Secrets belong in the Secret, and the example holds placeholders only.
	for _, k := range []string{"REDIS_URL", "SMSMODE_ACCESS_TOKEN", "SMSMODE_PASS", "WEBHOOK_SECRET", "MONITORING_PASSWORD", "EVENTS_SIGNING_SECRET"} {
		if _, ok := cm.Data[k]; ok {
			t.Errorf("ConfigMap holds %s: it is a secret", k)
		}
	}
	for _, k := range []string{"SMSMODE_ACCESS_TOKEN", "WEBHOOK_SECRET", "MONITORING_PASSWORD"} {
		if v, ok := secretEnv[k]; !ok {
			t.Errorf("Secret example lacks %s", k)
		} else if !strings.Contains(v, "CHANGE-ME") {
			t.Errorf("Secret example %s=%q: use a CHANGE-ME placeholder, never a real value", k, v)
		}
	}
	if len(sec.StringData) == 0 {
		t.Error("Secret example should use stringData")
	}
	if _, ok := cm.Data["EVENTS_FORWARD_URL"]; ok {
		if _, ok := secretEnv["EVENTS_SIGNING_SECRET"]; !ok {
			t.Error("EVENTS_FORWARD_URL without EVENTS_SIGNING_SECRET: the worker refuses to start")
		}
	}
	if _, ok := secretEnv["REDIS_URL"]; !ok {
		t.Error("Secret lacks REDIS_URL")
	}

	env := map[string]string{} // what every pod sees through envFrom
	for k, v := range cm.Data {
		env[k] = v
	}
	for k, v := range secretEnv {
		env[k] = v
	}
	grace := shutdownTimeout(t, env)
	port := httpPort(t, env)

	roles := map[string]*appsv1.Deployment{}
	var image string
	for _, d := range deployments {
		role := checkDeployment(t, d, cm.Name, sec.Name, grace, port)
		if prev, dup := roles[role]; dup {
			t.Errorf("Deployments %s and %s both run role %s", prev.Name, d.Name, role)
		}
		roles[role] = d
		if img := d.Spec.Template.Spec.Containers[0].Image; image == "" {
			image = img
		} else if img != image {
			t.Errorf("Deployment %s: image %s; every smsq Deployment runs the same image (%s)", d.Name, img, image)
		}
	}
	worker, webhooks := roles["tasks"], roles["webhooks"]
	if worker == nil || webhooks == nil {
		t.Fatalf("want a Deployment with --role=tasks and one with --role=webhooks, have %v", keys(roles))
	}
	if worker.Spec.Replicas == nil || *worker.Spec.Replicas != 2 {
		t.Errorf("Deployment %s: replicas %v, want 2", worker.Name, worker.Spec.Replicas)
	}
	if _, ok := env["WEBHOOK_SECRET"]; !ok {
		t.Error("WEBHOOK_SECRET is not set: the webhooks role refuses to start without it")
	}
	if _, ok := env["SMSMODE_ACCESS_TOKEN"]; !ok {
		if _, ok := env["SMSMODE_PASS"]; !ok {
			t.Error("no sMsmode credential: the tasks role refuses to start without one")
		}
	}

	// Every PodDisruptionBudget protects a Deployment; the worker has one.
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

	// The webhook Service selects the webhook pods on their HTTP port, and
	// the Ingress publishes the webhook routes of that Service over TLS.
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
			if !containerHasPort(d.Spec.Template.Spec.Containers[0], p.TargetPort) {
				t.Errorf("Service %s: targetPort %s is not a port of %s", s.Name, p.TargetPort.String(), d.Name)
			}
		}
	}
	ingresses := objects[*networkingv1.Ingress](ms)
	if len(ingresses) == 0 {
		t.Error("no Ingress for the webhooks")
	}
	for _, ing := range ingresses {
		if len(ing.Spec.TLS) == 0 {
			t.Errorf("Ingress %s: no TLS", ing.Name)
		}
		for _, r := range ing.Spec.Rules {
			if r.HTTP == nil {
				continue
			}
			for _, p := range r.HTTP.Paths {
				if !strings.HasPrefix(p.Path, "/webhooks/smsmode") {
					t.Errorf("Ingress %s: path %s: publish only the webhook routes (/metrics and /monitoring/ stay internal)", ing.Name, p.Path)
				}
				svc := p.Backend.Service
				if svc == nil || services[svc.Name] == nil {
					t.Errorf("Ingress %s: path %s: backend is not a Service of these manifests", ing.Name, p.Path)
					continue
				}
				found := false
				for _, sp := range services[svc.Name].Spec.Ports {
					if (svc.Port.Name != "" && sp.Name == svc.Port.Name) || (svc.Port.Number != 0 && sp.Port == svc.Port.Number) {
						found = true
					}
				}
				if !found {
					t.Errorf("Ingress %s: Service %s has no port %+v", ing.Name, svc.Name, svc.Port)
				}
			}
		}
		if env["WEBHOOK_PUBLIC_URL"] != "" && len(ing.Spec.Rules) > 0 && !strings.Contains(env["WEBHOOK_PUBLIC_URL"], "://"+ing.Spec.Rules[0].Host) {
			t.Errorf("WEBHOOK_PUBLIC_URL %s does not point at the Ingress host %s", env["WEBHOOK_PUBLIC_URL"], ing.Spec.Rules[0].Host)
		}
	}

	checkAutoscaling(t, ms, worker)
}

// checkDeployment checks one smsq Deployment and returns its role.
func checkDeployment(t *testing.T, d *appsv1.Deployment, configMap, secret string, shutdown time.Duration, port int) string {
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

	// The role comes from --role (the ConfigMap is shared by every role).
	role := ""
	for _, a := range append(slices.Clone(c.Command), c.Args...) {
		if r, ok := strings.CutPrefix(a, "--role="); ok {
			role = r
		}
	}
	if role != "tasks" && role != "webhooks" && role != "all" {
		t.Errorf("%s: args %q: want --role=tasks, --role=webhooks or --role=all", where, c.Args)
	}
	if len(c.Command) > 0 && c.Command[0] != "/worker" {
		t.Errorf("%s: command %q: the image's entrypoint /worker is the only long-running binary", where, c.Command)
	}

	// Probes: liveness on /healthz, readiness on /readyz, on the HTTP_ADDR port.
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
		if !containerHasPort(c, p.probe.HTTPGet.Port) {
			t.Errorf("%s: %s port %s is not a container port", where, p.name, p.probe.HTTPGet.Port.String())
		}
	}
	found := false
	for _, p := range c.Ports {
		found = found || int(p.ContainerPort) == port
	}
	if !found {
		t.Errorf("%s: no containerPort %d (HTTP_ADDR)", where, port)
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
	if spec.TerminationGracePeriodSeconds == nil {
		t.Errorf("%s: no terminationGracePeriodSeconds (default 30s) with SHUTDOWN_TIMEOUT=%v", where, shutdown)
	} else if g := time.Duration(*spec.TerminationGracePeriodSeconds) * time.Second; g <= shutdown {
		t.Errorf("%s: terminationGracePeriodSeconds %v must exceed SHUTDOWN_TIMEOUT %v", where, g, shutdown)
	}

	// Security: non-root, read-only root, no privilege escalation, no
	// capabilities, the runtime's seccomp profile.
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

	// Configuration: the shared ConfigMap and Secret; explicit env names are
	// smsq variables too.
	var cmRef, secRef bool
	for _, e := range c.EnvFrom {
		switch {
		case e.ConfigMapRef != nil:
			cmRef = cmRef || e.ConfigMapRef.Name == configMap
			if e.ConfigMapRef.Name != configMap {
				t.Errorf("%s: envFrom ConfigMap %s is not in these manifests", where, e.ConfigMapRef.Name)
			}
		case e.SecretRef != nil:
			secRef = secRef || e.SecretRef.Name == secret
			if e.SecretRef.Name != secret {
				t.Errorf("%s: envFrom Secret %s is not in these manifests", where, e.SecretRef.Name)
			}
		}
		if e.Prefix != "" {
			t.Errorf("%s: envFrom prefix %q would rename smsq's variables", where, e.Prefix)
		}
	}
	if !cmRef || !secRef {
		t.Errorf("%s: envFrom must reference ConfigMap %s and Secret %s", where, configMap, secret)
	}
	explicit := map[string]string{}
	for _, e := range c.Env {
		if e.ValueFrom != nil {
			if _, ok := smsqVars(t)[e.Name]; !ok {
				t.Errorf("%s: env %s is not an smsq variable", where, e.Name)
			}
			continue
		}
		explicit[e.Name] = e.Value
	}
	checkEnv(t, where+" env", explicit)

	// Metrics scraping.
	a := d.Spec.Template.Annotations
	if a["prometheus.io/scrape"] != "true" || a["prometheus.io/path"] != "/metrics" || a["prometheus.io/port"] != fmt.Sprint(port) {
		t.Errorf("%s: prometheus.io annotations %v: want scrape true, path /metrics, port %d", where, a, port)
	}
	return role
}

func containerHasPort(c corev1.Container, p intstr.IntOrString) bool {
	for _, cp := range c.Ports {
		if (p.Type == intstr.String && cp.Name == p.StrVal) || (p.Type == intstr.Int && cp.ContainerPort == p.IntVal) {
			return true
		}
	}
	return false
}

// selectedDeployment is the one Deployment whose pods sel selects.
func selectedDeployment(t *testing.T, where string, sel *metav1.LabelSelector, ds []*appsv1.Deployment) *appsv1.Deployment {
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
	if len(found) != 1 {
		t.Errorf("%s: selects the pods of %d Deployments, want 1", where, len(found))
		return nil
	}
	return found[0]
}

var promMetricRE = regexp.MustCompile(`\bsmsq_[a-z0-9_]+`)

// checkAutoscaling: one KEDA ScaledObject and one HPA alternative, both on
// the worker Deployment, kept out of the directory that `kubectl apply -f
// deploy/k8s/` applies (two autoscalers on one Deployment fight).
func checkAutoscaling(t *testing.T, ms []manifest, worker *appsv1.Deployment) {
	t.Helper()
	known := smsqMetrics(t)
	var keda, hpa int
	for _, m := range ms {
		top := filepath.Dir(m.File) == k8sDir
		switch o := m.Obj.(type) {
		case *scaledObject:
			keda++
			if top {
				t.Errorf("%s: autoscalers go under k8s/autoscaling/, not applied by kubectl apply -f deploy/k8s/", m)
			}
			ref := o.Spec.ScaleTargetRef
			if ref.Name != worker.Name || (ref.Kind != "" && ref.Kind != "Deployment") {
				t.Errorf("%s: scaleTargetRef %+v, want Deployment %s", m, ref, worker.Name)
			}
			checkReplicaRange(t, m.String(), o.Spec.MinReplicaCount, o.Spec.MaxReplicaCount)
			if len(o.Spec.Triggers) == 0 {
				t.Errorf("%s: no trigger", m)
			}
			for _, tr := range o.Spec.Triggers {
				if tr.Type != "prometheus" {
					t.Errorf("%s: trigger type %q, want prometheus", m, tr.Type)
					continue
				}
				for _, k := range []string{"serverAddress", "query", "threshold"} {
					if tr.Metadata[k] == "" {
						t.Errorf("%s: trigger %s: no %s", m, tr.Name, k)
					}
				}
				checkQuery(t, m.String()+" trigger "+tr.Name, tr.Metadata["query"], known)
			}
		case *autoscalingv2.HorizontalPodAutoscaler:
			hpa++
			if top {
				t.Errorf("%s: autoscalers go under k8s/autoscaling/, not applied by kubectl apply -f deploy/k8s/", m)
			}
			ref := o.Spec.ScaleTargetRef
			if ref.Name != worker.Name || ref.Kind != "Deployment" || ref.APIVersion != "apps/v1" {
				t.Errorf("%s: scaleTargetRef %+v, want apps/v1 Deployment %s", m, ref, worker.Name)
			}
			checkReplicaRange(t, m.String(), o.Spec.MinReplicas, &o.Spec.MaxReplicas)
			if len(o.Spec.Metrics) == 0 {
				t.Errorf("%s: no metric", m)
			}
			for _, mt := range o.Spec.Metrics {
				if mt.Type != autoscalingv2.ExternalMetricSourceType && mt.Type != autoscalingv2.ObjectMetricSourceType {
					t.Errorf("%s: metric type %s, want External or Object (prometheus-adapter)", m, mt.Type)
				}
				if mt.Type == autoscalingv2.ExternalMetricSourceType && (mt.External == nil || mt.External.Metric.Name == "") {
					t.Errorf("%s: External metric without a name", m)
				}
			}
		}
	}
	if keda != 1 || hpa != 1 {
		t.Errorf("want one KEDA ScaledObject and one HorizontalPodAutoscaler, have %d and %d", keda, hpa)
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
