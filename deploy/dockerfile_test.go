package deploy

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	Cmd  string // upper case: FROM, RUN, COPY …
	Args string
}

// stage is one FROM … section.
type stage struct {
	From  string // image reference, ARGs substituted
	Name  string // AS name
	Instr []instruction
}

// dockerfile is deploy/Dockerfile, parsed just enough to check it.
type dockerfile struct {
	Args   map[string]string // global ARG defaults (before the first FROM)
	Stages []stage
}

var argRefRE = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?`)

func parseDockerfile(t *testing.T, path string) dockerfile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var instrs []instruction
	var cur strings.Builder
	for _, line := range strings.Split(string(b), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && cur.Len() == 0) {
			continue // comments (and parser directives) and blank lines
		}
		if s, ok := strings.CutSuffix(trimmed, `\`); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(trimmed)
		full := strings.TrimSpace(cur.String())
		cur.Reset()
		if full == "" {
			continue
		}
		cmd, args, _ := strings.Cut(full, " ")
		instrs = append(instrs, instruction{Cmd: strings.ToUpper(cmd), Args: strings.Join(strings.Fields(args), " ")})
	}
	df := dockerfile{Args: map[string]string{}}
	for _, in := range instrs {
		switch {
		case in.Cmd == "ARG" && len(df.Stages) == 0:
			k, v, _ := strings.Cut(in.Args, "=")
			df.Args[k] = v
		case in.Cmd == "FROM":
			f := strings.Fields(in.Args)
			var st stage
			for i := 0; i < len(f); i++ {
				switch {
				case strings.HasPrefix(f[i], "--"):
				case strings.EqualFold(f[i], "AS") && i+1 < len(f):
					st.Name = f[i+1]
					i++
				default:
					st.From = argRefRE.ReplaceAllStringFunc(f[i], func(ref string) string {
						name := argRefRE.FindStringSubmatch(ref)[1]
						if v, ok := df.Args[name]; ok {
							return v
						}
						return ref
					})
				}
			}
			df.Stages = append(df.Stages, st)
		case len(df.Stages) > 0:
			last := &df.Stages[len(df.Stages)-1]
			last.Instr = append(last.Instr, in)
		default:
			t.Errorf("%s: %s before the first FROM", path, in.Cmd)
		}
	}
	return df
}

func (s stage) all(cmd string) []string {
	var out []string
	for _, in := range s.Instr {
		if in.Cmd == cmd {
			out = append(out, in.Args)
		}
	}
	return out
}

// finalBinaries are the files the runtime stage copies from the build stage.
func (df dockerfile) finalBinaries() []string {
	final := df.Stages[len(df.Stages)-1]
	var out []string
	for _, c := range final.all("COPY") {
		f := strings.Fields(c)
		if len(f) >= 2 && strings.HasPrefix(f[0], "--from=") {
			out = append(out, f[len(f)-1])
		}
	}
	return out
}

// entrypoint is the runtime stage's ENTRYPOINT, exec form.
func (df dockerfile) entrypoint(t *testing.T) []string {
	t.Helper()
	eps := df.Stages[len(df.Stages)-1].all("ENTRYPOINT")
	if len(eps) != 1 {
		t.Fatalf("runtime stage: %d ENTRYPOINT, want 1", len(eps))
	}
	return execForm(t, eps[0])
}

// execForm parses ["a", "b"].
func execForm(t *testing.T, s string) []string {
	t.Helper()
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "[") || !strings.HasSuffix(s, "]") {
		t.Errorf("%q: use the exec (JSON) form so signals reach the process", s)
		return nil
	}
	var out []string
	for _, p := range strings.Split(strings.Trim(s, "[]"), ",") {
		v, err := strconv.Unquote(strings.TrimSpace(p))
		if err != nil {
			t.Errorf("%q: %v", s, err)
		}
		out = append(out, v)
	}
	return out
}

var commands = []string{"worker", "enqueue", "smsmode-fake"}

// adminPort is ADMIN_ADDR's port in the manifests and docker-compose.yml.
const adminPort = 9090

func TestDockerfile(t *testing.T) {
	t.Parallel()
	df := parseDockerfile(t, "Dockerfile")
	if len(df.Stages) < 2 {
		t.Fatalf("%d stages, want a multi-stage build (build + runtime)", len(df.Stages))
	}
	build, final := df.Stages[0], df.Stages[len(df.Stages)-1]

	// Every base image is pinned by digest (the ARG defaults).
	for _, st := range df.Stages {
		if !imagePinned(st.From) {
			t.Errorf("FROM %s: pin the base image by digest (IMAGE:TAG@sha256:…)", st.From)
		}
	}

	// The build stage: Debian golang image of the main module's Go version.
	goVersion := mainGoVersion(t)
	buildImage, _, _ := strings.Cut(build.From, "@")
	if !regexp.MustCompile(`^golang:` + regexp.QuoteMeta(goVersion) + `(\.\d+)?-(bookworm|trixie)$`).MatchString(buildImage) {
		t.Errorf("build stage FROM %s: want golang:%s-bookworm@sha256:… (go.mod says go %s)", build.From, goVersion, goVersion)
	}
	if build.Name == "" {
		t.Error("build stage has no name (FROM … AS build)")
	}
	runs := strings.Join(build.all("RUN"), "\n")
	for _, c := range commands {
		// The RUN that builds the command: static, reproducible paths, stripped.
		built := false
		for _, run := range build.all("RUN") {
			if !strings.Contains(run, "./cmd/"+c) {
				continue
			}
			built = true
			for _, want := range []string{"CGO_ENABLED=0", "go build", "-trimpath", `-ldflags="-s -w"`} {
				if !strings.Contains(run, want) {
					t.Errorf("build stage: the go build of ./cmd/%s lacks %s", c, want)
				}
			}
		}
		if !built {
			t.Errorf("build stage does not build ./cmd/%s", c)
		}
		if _, err := os.Stat(filepath.Join(repoRoot, "cmd", c)); err != nil {
			t.Errorf("./cmd/%s: %v", c, err)
		}
		// The image has no /usr/share/zoneinfo: the binaries carry their own.
		if !importsPackage(t, filepath.Join(repoRoot, "cmd", c), "time/tzdata") {
			t.Errorf("cmd/%s does not import time/tzdata: SMSMODE_TIMEZONE would fail in the distroless image", c)
		}
	}

	// The runtime stage: minimal and non-root.
	runtimeImage, _, _ := strings.Cut(final.From, "@")
	nonroot := strings.HasPrefix(runtimeImage, "gcr.io/distroless/") && strings.HasSuffix(runtimeImage, ":nonroot")
	users := final.all("USER")
	if len(users) > 0 {
		u := users[len(users)-1]
		name, _, _ := strings.Cut(u, ":")
		nonroot = name != "root" && name != "0"
		if !nonroot {
			t.Errorf("runtime stage: USER %s", u)
		}
	}
	if !nonroot {
		t.Errorf("runtime stage FROM %s runs as root: use distroless :nonroot or a non-root USER", final.From)
	}
	if !strings.HasPrefix(final.From, "gcr.io/distroless/static") && final.From != "scratch" {
		t.Errorf("runtime stage FROM %s: want distroless static or scratch", final.From)
	}
	if final.From == "scratch" && !strings.Contains(strings.Join(final.all("COPY"), "\n"), "ca-certificates") {
		t.Error("scratch runtime without CA certificates: https://api.smsmode.com would fail")
	}
	bins := df.finalBinaries()
	for _, c := range commands {
		if !slices.Contains(bins, "/"+c) {
			t.Errorf("runtime stage does not copy /%s (has %v)", c, bins)
		}
	}
	if ep := df.entrypoint(t); !slices.Equal(ep, []string{"/worker"}) {
		t.Errorf("ENTRYPOINT %q, want [\"/worker\"]", ep)
	}
	// The public port (HTTP_ADDR's default) and the admin port (ADMIN_ADDR
	// of the manifests and compose).
	var exposed []string
	for _, e := range final.all("EXPOSE") {
		for _, p := range strings.Fields(e) {
			exposed = append(exposed, strings.TrimSuffix(p, "/tcp"))
		}
	}
	for _, port := range []string{strconv.Itoa(httpPort(t, nil)), strconv.Itoa(adminPort)} {
		if !slices.Contains(exposed, port) {
			t.Errorf("EXPOSE %v, want %s", exposed, port)
		}
	}

	// The compose healthcheck probe builds offline: standard library only.
	if slices.Contains(bins, "/healthcheck") {
		if !strings.Contains(runs, "./healthcheck") {
			t.Error("/healthcheck is copied but not built")
		}
		for _, imp := range imports(t, "healthcheck") {
			if first, _, _ := strings.Cut(imp, "/"); strings.Contains(first, ".") {
				t.Errorf("healthcheck imports %s: it must use only the standard library (built with GOPROXY=off)", imp)
			}
		}
	}
}

// mainGoVersion is "1.26" from the main module's `go 1.26.0` line.
func mainGoVersion(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(b)
	if m == nil {
		t.Fatal("no go line in ../go.mod")
	}
	return string(m[1])
}

// imports lists the imports of the non-test Go files in dir.
func imports(t *testing.T, dir string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	var out []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			out = append(out, p)
		}
	}
	if len(files) == 0 {
		t.Errorf("no Go files in %s", dir)
	}
	return out
}

func importsPackage(t *testing.T, dir, pkg string) bool {
	return slices.Contains(imports(t, dir), pkg)
}
