package deploy

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// variant is one way to render deploy/k8s: the kustomization as shipped
// (KEDA), or with the other autoscaler component swapped in.
type variant struct {
	Name string
	// Swap replaces component From by To in kustomization.yaml ("" = as is).
	From, To string
}

var variants = []variant{
	{Name: "keda"},
	{Name: "hpa", From: "autoscaling/keda", To: "autoscaling/hpa"},
}

// object is one rendered Kubernetes object.
type object struct {
	APIVersion, Kind, Name, Namespace string
	YAML                              []byte
	JSON                              []byte
}

func (o object) String() string { return fmt.Sprintf("%s %s/%s", o.Kind, o.Namespace, o.Name) }

var (
	renderMu    sync.Mutex
	renderCache = map[string][]object{}
)

// render runs kustomize (its Go API, what `kubectl apply -k` embeds) on
// deploy/k8s for variant v. Results are cached: tests only read them.
func render(t *testing.T, v variant) []object {
	t.Helper()
	renderMu.Lock()
	defer renderMu.Unlock()
	if objs, ok := renderCache[v.Name]; ok {
		return objs
	}
	fsys, root := filesys.MakeFsOnDisk(), k8sDir
	if v.From != "" {
		fsys, root = swappedCopy(t, v)
	}
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fsys, root)
	if err != nil {
		t.Fatalf("kustomize build deploy/k8s (%s): %v", v.Name, err)
	}
	var objs []object
	for _, r := range m.Resources() {
		y, err := r.AsYAML()
		if err != nil {
			t.Fatal(err)
		}
		j, err := r.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, object{
			APIVersion: r.GetApiVersion(), Kind: r.GetKind(),
			Name: r.GetName(), Namespace: r.GetNamespace(),
			YAML: y, JSON: j,
		})
	}
	if len(objs) == 0 {
		t.Fatalf("kustomize build deploy/k8s (%s): no object", v.Name)
	}
	renderCache[v.Name] = objs
	return objs
}

// swappedCopy is deploy/k8s in memory with one component replaced.
func swappedCopy(t *testing.T, v variant) (filesys.FileSystem, string) {
	t.Helper()
	mem := filesys.MakeFsInMemory()
	err := filepath.WalkDir(k8sDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if p == filepath.Join(k8sDir, "kustomization.yaml") {
			old := "  - " + v.From + "\n"
			if strings.Count(string(b), old) != 1 {
				return fmt.Errorf("%s: want exactly one component line %q", p, strings.TrimSpace(old))
			}
			b = []byte(strings.Replace(string(b), old, "  - "+v.To+"\n", 1))
		}
		return mem.WriteFile("/"+filepath.ToSlash(p), b)
	})
	if err != nil {
		t.Fatal(err)
	}
	return mem, "/" + k8sDir
}

// kustomizationFiles reads the kustomization (or component) in dir and
// returns the files it renders, recursively, relative to deploy/.
func kustomizationFiles(t *testing.T, dir string, seen map[string]bool) {
	t.Helper()
	kf := path.Join(dir, "kustomization.yaml")
	b, err := os.ReadFile(kf)
	if err != nil {
		t.Fatal(err)
	}
	var k types.Kustomization
	if err := yaml.UnmarshalStrict(b, &k); err != nil {
		t.Fatalf("%s: %v", kf, err)
	}
	seen[kf] = true
	for _, r := range slices.Concat(k.Resources, k.Components) {
		p := path.Join(dir, r)
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			kustomizationFiles(t, p, seen)
			continue
		}
		seen[p] = true
	}
}

// TestKustomizationCoversEveryFile: every manifest under k8s/ is rendered
// by kustomization.yaml or one of its components, so every one is
// validated below; a file nobody renders would escape every check.
func TestKustomizationCoversEveryFile(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	kustomizationFiles(t, k8sDir, seen)
	// The alternative autoscaler is a component the default does not list.
	for _, v := range variants {
		if v.To != "" {
			kustomizationFiles(t, path.Join(k8sDir, v.To), seen)
		}
	}
	err := filepath.WalkDir(k8sDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if ext := filepath.Ext(p); ext != ".yaml" && ext != ".yml" {
			return nil
		}
		if !seen[filepath.ToSlash(p)] {
			t.Errorf("%s is not rendered by any kustomization: add it to resources (or delete it)", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSourceYAMLStrict parses every YAML document under k8s/ strictly:
// kustomize would silently keep one of two duplicate keys.
func TestSourceYAMLStrict(t *testing.T) {
	t.Parallel()
	err := filepath.WalkDir(k8sDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if ext := filepath.Ext(p); ext != ".yaml" && ext != ".yml" {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		docs := splitDocuments(b)
		if len(docs) == 0 {
			t.Errorf("%s: no YAML document", p)
		}
		for i, doc := range docs {
			if _, err := yaml.YAMLToJSONStrict(doc); err != nil {
				t.Errorf("%s#%d: %v", p, i+1, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
