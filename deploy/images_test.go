package deploy

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// pinnedRE is an image reference pinned by digest: REPOSITORY[:TAG]@sha256:HEX.
// A tag alone (ghcr.io/smsq/smsq:latest, redis:7) can be moved to other
// content at any time; a digest cannot.
var pinnedRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._/:-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?@sha256:[0-9a-f]{64}$`)

// placeholderDigest is the documented all-zero digest of the examples: a
// valid reference that no registry serves.
const placeholderDigest = "sha256:0000000000000000000000000000000000000000000000000000000000000000"

// imagePinned reports whether ref is pinned by digest.
func imagePinned(ref string) bool { return pinnedRE.MatchString(ref) }

func checkImagePinned(t *testing.T, where, ref string) {
	t.Helper()
	if !imagePinned(ref) {
		t.Errorf("%s: image %q is not pinned by digest (REPOSITORY@sha256:…; set it with kustomize's images: digest)", where, ref)
	}
}

func TestImagePinned(t *testing.T) {
	t.Parallel()
	for ref, want := range map[string]bool{
		"ghcr.io/smsq/smsq@" + placeholderDigest:                            true,
		"ghcr.io/smsq/smsq:1.2.3@" + placeholderDigest:                      true,
		"registry.example.com:5000/smsq@sha256:" + strings.Repeat("ab", 32): true,
		"ghcr.io/smsq/smsq:latest":                                          false,
		"ghcr.io/smsq/smsq":                                                 false,
		"redis:7":                                                           false,
		"ghcr.io/smsq/smsq@sha256:abc":                                      false,
		"ghcr.io/smsq/smsq@sha512:" + strings.Repeat("ab", 64):              false,
	} {
		if got := imagePinned(ref); got != want {
			t.Errorf("imagePinned(%q) = %v, want %v", ref, got, want)
		}
	}
}

// TestManifestImagesUntagged: the manifests name the image without a tag;
// kustomization.yaml's images: pins it by digest. A tag written in a
// manifest (`:latest` above all) would be what a plain kubectl apply -f
// deploys.
func TestManifestImagesUntagged(t *testing.T) {
	t.Parallel()
	imageLine := regexp.MustCompile(`(?m)^\s*(?:-\s*)?image:\s*"?([^"\s#]+)`)
	err := filepath.WalkDir(k8sDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || (filepath.Ext(p) != ".yaml" && filepath.Ext(p) != ".yml") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range imageLine.FindAllStringSubmatch(string(b), -1) {
			ref := m[1]
			last := ref[strings.LastIndex(ref, "/")+1:]
			if strings.Contains(last, ":") && !imagePinned(ref) {
				t.Errorf("%s: image %s carries a tag: name the image without one and pin it in kustomization.yaml's images:", p, ref)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
