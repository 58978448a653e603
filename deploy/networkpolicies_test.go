package deploy

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The namespaces networkpolicies.yaml admits traffic from (deploy/README.md,
// "NetworkPolicies"): the ingress controller's and Prometheus's.
const (
	ingressNamespace    = "ingress-nginx"
	prometheusNamespace = "monitoring"
)

// Address ranges that the "public internet on 443" rule must exclude, so
// that it does not open in-cluster and VPC services (and the cloud metadata
// endpoint 169.254.169.254) to the task pods.
var privateRanges = map[string][]string{
	"0.0.0.0/0": {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16", "127.0.0.0/8"},
	"::/0":      {"fc00::/7", "fe80::/10", "::1/128"},
}

// checkNetworkPolicies computes, for each role's pods, what the
// NetworkPolicies let in and out, and compares it with exactly what smsq
// needs: anything more is an opening, anything less an outage.
func checkNetworkPolicies(t *testing.T, nps []*networkingv1.NetworkPolicy, roles map[string]*appsv1.Deployment, envs map[string]roleEnv) {
	t.Helper()
	redis := []string{
		"TCP/6379 to ns:* pods:app.kubernetes.io/name=redis",
		"TCP/26379 to ns:* pods:app.kubernetes.io/name=redis",
		"UDP/53 to ns:kube-system pods:k8s-app=kube-dns",
		"TCP/53 to ns:kube-system pods:k8s-app=kube-dns",
	}
	admin := func(role string) string {
		return fmt.Sprintf("TCP/%d from ns:%s", addrPort(t, envs[role].Vars, "ADMIN_ADDR"), prometheusNamespace)
	}
	want := map[string]struct{ in, out []string }{
		roleTasks: {
			in: []string{admin(roleTasks)},
			out: append(slices.Clone(redis),
				"TCP/443 to ip:0.0.0.0/0", "TCP/443 to ip:::/0", // sMsmode
				"TCP/8080 to ns:app", // EVENTS_FORWARD_URL's example destination
			),
		},
		roleWebhooks: {
			in: []string{
				admin(roleWebhooks),
				fmt.Sprintf("TCP/%d from ns:%s", addrPort(t, envs[roleWebhooks].Vars, "HTTP_ADDR"), ingressNamespace),
			},
			out: redis,
		},
	}
	// A default deny for every smsq pod, so that removing or narrowing an
	// allow policy never leaves a pod open.
	denyAll := false
	for _, np := range nps {
		sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
		if err != nil || len(np.Spec.Ingress)+len(np.Spec.Egress) > 0 ||
			!slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) || !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) {
			continue
		}
		all := true
		for _, d := range roles {
			all = all && sel.Matches(labels.Set(d.Spec.Template.Labels))
		}
		denyAll = denyAll || all
	}
	if !denyAll {
		t.Error("no default-deny NetworkPolicy (both policyTypes, no rule) selecting every smsq pod")
	}
	for role, d := range roles {
		pod := labels.Set(d.Spec.Template.Labels)
		var in, out []string
		var isolatedIn, isolatedOut bool
		for _, np := range nps {
			sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
			if err != nil {
				t.Errorf("NetworkPolicy %s: %v", np.Name, err)
				continue
			}
			if sel.Empty() {
				t.Errorf("NetworkPolicy %s selects every pod of the namespace; select smsq's pods (Redis may run here)", np.Name)
			}
			if !sel.Matches(pod) {
				continue
			}
			for _, pt := range np.Spec.PolicyTypes {
				isolatedIn = isolatedIn || pt == networkingv1.PolicyTypeIngress
				isolatedOut = isolatedOut || pt == networkingv1.PolicyTypeEgress
			}
			for _, r := range np.Spec.Ingress {
				in = append(in, rules(t, np.Name, "from", r.Ports, r.From)...)
			}
			for _, r := range np.Spec.Egress {
				out = append(out, rules(t, np.Name, "to", r.Ports, r.To)...)
			}
		}
		if !isolatedIn || !isolatedOut {
			t.Errorf("role %s: pods not isolated for ingress (%v) and egress (%v): add a default-deny policy", role, isolatedIn, isolatedOut)
		}
		slices.Sort(in)
		slices.Sort(out)
		if w := sorted(want[role].in); !slices.Equal(in, w) {
			t.Errorf("role %s: NetworkPolicies let in\n\t%s\nwant\n\t%s", role, strings.Join(in, "\n\t"), strings.Join(w, "\n\t"))
		}
		if w := sorted(want[role].out); !slices.Equal(out, w) {
			t.Errorf("role %s: NetworkPolicies let out\n\t%s\nwant\n\t%s", role, strings.Join(out, "\n\t"), strings.Join(w, "\n\t"))
		}
	}
}

// rules renders one ingress or egress rule as "PROTO/PORT from|to PEER"
// lines, one per port and peer.
func rules(t *testing.T, policy, dir string, ports []networkingv1.NetworkPolicyPort, peers []networkingv1.NetworkPolicyPeer) []string {
	t.Helper()
	var ps []string
	for _, p := range ports {
		proto := "TCP"
		if p.Protocol != nil {
			proto = string(*p.Protocol)
		}
		if p.Port == nil || p.EndPort != nil {
			t.Errorf("NetworkPolicy %s: a rule without a single port opens a range", policy)
			continue
		}
		ps = append(ps, proto+"/"+p.Port.String())
	}
	if len(ports) == 0 {
		ps = append(ps, "ALL")
	}
	var peersS []string
	for _, peer := range peers {
		peersS = append(peersS, peerString(t, policy, peer))
	}
	if len(peers) == 0 {
		peersS = append(peersS, "anyone")
	}
	var out []string
	for _, p := range ps {
		for _, peer := range peersS {
			out = append(out, p+" "+dir+" "+peer)
		}
	}
	return out
}

func peerString(t *testing.T, policy string, p networkingv1.NetworkPolicyPeer) string {
	t.Helper()
	if p.IPBlock != nil {
		want := privateRanges[p.IPBlock.CIDR]
		for _, r := range want {
			if !slices.Contains(p.IPBlock.Except, r) {
				t.Errorf("NetworkPolicy %s: ipBlock %s does not except %s", policy, p.IPBlock.CIDR, r)
			}
		}
		return "ip:" + p.IPBlock.CIDR
	}
	s := ""
	switch ns := p.NamespaceSelector; {
	case ns == nil:
		s = "ns:(own)"
	case len(ns.MatchLabels) == 0 && len(ns.MatchExpressions) == 0:
		s = "ns:*"
	case len(ns.MatchLabels) == 1 && ns.MatchLabels["kubernetes.io/metadata.name"] != "" && len(ns.MatchExpressions) == 0:
		s = "ns:" + ns.MatchLabels["kubernetes.io/metadata.name"]
	default:
		s = "ns:" + metav1.FormatLabelSelector(ns)
	}
	if p.PodSelector != nil {
		s += " pods:" + metav1.FormatLabelSelector(p.PodSelector)
	}
	return s
}

// TestNetworkPolicyRules: the rendering that the comparison relies on.
func TestNetworkPolicyRules(t *testing.T) {
	t.Parallel()
	port := intstr.FromInt32(443)
	tcp := networkingv1.NetworkPolicyPort{Port: &port}
	got := rules(t, "x", "to", []networkingv1.NetworkPolicyPort{tcp}, []networkingv1.NetworkPolicyPeer{
		{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0", Except: privateRanges["0.0.0.0/0"]}},
		{NamespaceSelector: &metav1.LabelSelector{}, PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"a": "b"}}},
	})
	want := []string{"TCP/443 to ip:0.0.0.0/0", "TCP/443 to ns:* pods:a=b"}
	if !slices.Equal(got, want) {
		t.Errorf("rules = %q, want %q", got, want)
	}
	if got := rules(t, "x", "from", nil, nil); !slices.Equal(got, []string{"ALL from anyone"}) {
		t.Errorf("an empty rule renders as %q", got)
	}
}
