package deploy

import (
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite k8s/monitoring/prometheusrule.yaml from prometheus/smsq-rules.yml")

const (
	rulesFile          = "prometheus/smsq-rules.yml"
	rulesTestFile      = "prometheus/smsq-rules_test.yml"
	prometheusRuleFile = "k8s/monitoring/prometheusrule.yaml"
)

// checkMonitoring: one PodMonitor scrapes the admin port of both roles, and
// KEDA queries the Prometheus that the NetworkPolicies let scrape.
func checkMonitoring(t *testing.T, ms []manifest, ns string, roles map[string]*appsv1.Deployment, envs map[string]roleEnv) {
	t.Helper()
	pms := objects[*podMonitor](ms)
	if len(pms) != 1 {
		t.Fatalf("%d PodMonitors, want 1", len(pms))
	}
	pm := pms[0]
	ds := make([]*appsv1.Deployment, 0, len(roles))
	for _, d := range roles {
		ds = append(ds, d)
	}
	if got := selectedDeployments(t, "PodMonitor "+pm.Name, &pm.Spec.Selector, ds); len(got) != len(ds) {
		t.Errorf("PodMonitor %s selects %d of the %d smsq Deployments", pm.Name, len(got), len(ds))
	}
	if len(pm.Spec.PodMetricsEndpoints) != 1 {
		t.Fatalf("PodMonitor %s: %d endpoints, want 1", pm.Name, len(pm.Spec.PodMetricsEndpoints))
	}
	ep := pm.Spec.PodMetricsEndpoints[0]
	if ep.Path != "/metrics" {
		t.Errorf("PodMonitor %s: path %q, want /metrics", pm.Name, ep.Path)
	}
	for role, d := range roles {
		p, ok := containerPort(d.Spec.Template.Spec.Containers[0], intstr.FromString(ep.Port))
		if want := addrPort(t, envs[role].Vars, "ADMIN_ADDR"); !ok || p != want {
			t.Errorf("PodMonitor %s: port %q is %d on Deployment %s, want the admin port %d", pm.Name, ep.Port, p, d.Name, want)
		}
	}
	if pm.Spec.JobLabel == "" {
		t.Errorf("PodMonitor %s: no jobLabel (the job label would be %s/%s)", pm.Name, ns, pm.Name)
	}

	// KEDA asks the Operator's Prometheus, in the namespace admitted on the
	// admin port, for the series that PodMonitor labels with namespace=ns.
	for _, so := range objects[*scaledObject](ms) {
		for _, tr := range so.Spec.Triggers {
			u, err := url.Parse(tr.Metadata["serverAddress"])
			if want := "prometheus-operated." + prometheusNamespace + ".svc"; err != nil || u.Hostname() != want || u.Port() != "9090" {
				t.Errorf("ScaledObject %s: serverAddress %s, want http://%s:9090 (the Prometheus that networkpolicies.yaml admits)", so.Name, tr.Metadata["serverAddress"], want)
			}
		}
	}

	prs := objects[*prometheusRule](ms)
	if len(prs) != 1 {
		t.Fatalf("%d PrometheusRules, want 1", len(prs))
	}
	if want := ruleGroups(t); !reflect.DeepEqual(prs[0].Spec.Groups, want) {
		t.Errorf("PrometheusRule %s: groups differ from %s: run `go test -run TestPrometheusRule -update`", prs[0].Name, rulesFile)
	}
}

// ruleGroups reads the groups of prometheus/smsq-rules.yml.
func ruleGroups(t *testing.T) []any {
	t.Helper()
	b, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Groups []any `json:"groups"`
	}
	if err := yaml.UnmarshalStrict(b, &f); err != nil {
		t.Fatalf("%s: %v", rulesFile, err)
	}
	return f.Groups
}

// TestPrometheusRule: the PrometheusRule is smsq-rules.yml's groups under
// a Kubernetes header; -update regenerates it.
func TestPrometheusRule(t *testing.T) {
	cur, err := os.ReadFile(prometheusRuleFile)
	if err != nil {
		t.Fatal(err)
	}
	rules, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	header, _, ok := strings.Cut(string(cur), "\nspec:\n")
	_, body, ok2 := strings.Cut(string(rules), "\ngroups:\n")
	if !ok || !ok2 {
		t.Fatalf("%s needs a spec: line and %s a groups: line", prometheusRuleFile, rulesFile)
	}
	var gen strings.Builder
	gen.WriteString(header + "\nspec:\n  groups:\n")
	for _, line := range strings.SplitAfter(body, "\n") {
		if strings.TrimSpace(line) != "" {
			gen.WriteString("  ")
		}
		gen.WriteString(line)
	}
	if *update {
		if err := os.WriteFile(prometheusRuleFile, []byte(gen.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if gen.String() != string(cur) {
		t.Errorf("%s is not %s's groups: run `go test -run TestPrometheusRule -update`", prometheusRuleFile, rulesFile)
	}
}

// alertTests reads the promtool unit tests: for each alert, whether some
// case expects it to fire and some case expects it not to.
func alertTests(t *testing.T) (fires, silent map[string]bool) {
	t.Helper()
	files, err := filepath.Glob("prometheus/*_test.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no promtool tests in prometheus/ (%v)", err)
	}
	fires, silent = map[string]bool{}, map[string]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var tf struct {
			Tests []struct {
				AlertRuleTest []struct {
					Alertname string `json:"alertname"`
					ExpAlerts []any  `json:"exp_alerts"`
				} `json:"alert_rule_test"`
			} `json:"tests"`
		}
		if err := yaml.Unmarshal(b, &tf); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, tc := range tf.Tests {
			for _, a := range tc.AlertRuleTest {
				if len(a.ExpAlerts) > 0 {
					fires[a.Alertname] = true
				} else {
					silent[a.Alertname] = true
				}
			}
		}
	}
	return fires, silent
}

// TestAlertRules: the rules use smsq's metrics, say how bad and what to do,
// and each has a promtool case that fires and one that does not.
func TestAlertRules(t *testing.T) {
	t.Parallel()
	known := smsqMetrics(t)
	fires, silent := alertTests(t)
	var alerts []string
	for _, g := range ruleGroups(t) {
		b, err := yaml.Marshal(g)
		if err != nil {
			t.Fatal(err)
		}
		var group struct {
			Name  string `json:"name"`
			Rules []struct {
				Alert       string            `json:"alert"`
				Expr        string            `json:"expr"`
				For         string            `json:"for"`
				Labels      map[string]string `json:"labels"`
				Annotations map[string]string `json:"annotations"`
			} `json:"rules"`
		}
		if err := yaml.UnmarshalStrict(b, &group); err != nil {
			t.Fatalf("%s: group: %v", rulesFile, err)
		}
		for _, r := range group.Rules {
			where := group.Name + "/" + r.Alert
			if r.Alert == "" {
				t.Errorf("%s: a rule without alert (recording rules belong elsewhere)", where)
				continue
			}
			alerts = append(alerts, r.Alert)
			if !strings.HasPrefix(r.Alert, "Smsq") {
				t.Errorf("%s: alert names start with Smsq", where)
			}
			names := promMetricRE.FindAllString(r.Expr, -1)
			if len(names) == 0 {
				t.Errorf("%s: uses no smsq metric", where)
			}
			for _, n := range names {
				if !known[n] {
					t.Errorf("%s: %s is not a metric of internal/metrics (nor of pendingMetrics)", where, n)
				}
			}
			if s := r.Labels["severity"]; s != "critical" && s != "warning" && s != "info" {
				t.Errorf("%s: severity %q, want critical, warning or info", where, s)
			}
			if r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("%s: needs a summary and a description", where)
			}
			if !fires[r.Alert] {
				t.Errorf("%s: no promtool case in prometheus/*_test.yml expects it to fire", where)
			}
			if !silent[r.Alert] {
				t.Errorf("%s: no promtool case in prometheus/*_test.yml expects it not to fire", where)
			}
		}
	}
	for _, want := range []string{
		"SmsqTasksArchived", "SmsqTasksExpired", "SmsqProviderCreditLow", "SmsqProviderCreditStale",
		"SmsqOTPWaiting", "SmsqProviderFailing", "SmsqCallbacksRefused", "SmsqDestinationCapReached",
		"SmsqMonitoringBruteForce", "SmsqQueueMetricsDown",
	} {
		if !slices.Contains(alerts, want) {
			t.Errorf("no alert %s", want)
		}
	}
	t.Logf("%d alerts: %s", len(alerts), strings.Join(alerts, ", "))
}
