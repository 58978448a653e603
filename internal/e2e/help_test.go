package e2e

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/config"
)

// `worker --help` and `enqueue --help`, as shipped, list every variable
// each reads, and none the other reads alone.
func TestHelpListsEnvironment(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ bin, reader string }{{"worker", "worker"}, {"enqueue", "producer"}} {
		out, err := exec.Command(filepath.Join(bins.Dir, tc.bin), "--help").Output()
		require.NoError(t, err, tc.bin)
		for _, s := range config.Settings() {
			listed := regexp.MustCompile(`\n  ` + s.Name + `[ \n]`).Match(out)
			require.Equal(t, s.Reads(tc.reader), listed, "%s --help and %s (read by %s)", tc.bin, s.Name, s.ReadBy)
		}
	}
}
