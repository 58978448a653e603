package bench

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWriteIntoReplacesOnlyTheMarkedSection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	rep := &Report{Command: "go run ./cmd/bench", Rows: []Row{{Scenario: "1. throughput", Smsq: "3,000 tasks/s"}}}

	require.NoError(t, os.WriteFile(path, []byte("# Benchmarks\n\nHand-written.\n"), 0o644))
	require.NoError(t, rep.WriteInto(path))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(b), "# Benchmarks\n\nHand-written.\n\n"+MarkStart+"\n"))
	require.Contains(t, string(b), "| 1. throughput |")

	// A second run replaces the section and keeps what surrounds it.
	require.NoError(t, os.WriteFile(path, []byte(string(b)+"\nAfter.\n"), 0o644))
	rep.Rows[0].Smsq = "4,000 tasks/s"
	require.NoError(t, rep.WriteInto(path))
	b, err = os.ReadFile(path)
	require.NoError(t, err)
	s := string(b)
	require.Equal(t, 1, strings.Count(s, MarkStart))
	require.Equal(t, 1, strings.Count(s, MarkEnd))
	require.Contains(t, s, "4,000 tasks/s")
	require.NotContains(t, s, "3,000 tasks/s")
	require.True(t, strings.HasPrefix(s, "# Benchmarks\n\nHand-written.\n"))
	require.True(t, strings.HasSuffix(s, MarkEnd+"\n\nAfter.\n"))
}

func TestFormatting(t *testing.T) {
	require.Equal(t, "0", num(0))
	require.Equal(t, "999", num(999))
	require.Equal(t, "1,000", num(999.6))
	require.Equal(t, "1,234,567", num(1_234_567))
	require.Equal(t, 2.0, median([]float64{3, 1, 2}))
	require.Equal(t, 2.5, median([]float64{4, 1, 2, 3}))
	require.Equal(t, "1–3", spread([]float64{3, 1, 2}))
}

// Options.Only's godoc is what users read to pick scenarios: it names them
// all.
func TestOnlyDocNamesEveryScenario(t *testing.T) {
	t.Parallel()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "run.go", nil, parser.ParseComments)
	require.NoError(t, err)
	var only string
	ast.Inspect(f, func(n ast.Node) bool {
		if field, ok := n.(*ast.Field); ok && len(field.Names) == 1 && field.Names[0].Name == "Only" && field.Doc != nil {
			only = field.Doc.Text()
		}
		return only == ""
	})
	require.NotEmpty(t, only, "Options.Only has a doc comment")
	words := strings.FieldsFunc(only, func(r rune) bool { return r == ',' || r == ':' || r == ';' || r == ' ' || r == '\n' })
	for _, s := range Scenarios {
		require.Contains(t, words, s, "Options.Only's doc names scenario %q", s)
	}
}
