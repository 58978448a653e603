// Package e2e runs the real binaries against a private redis-server and the
// fake sMsmode: what a process-level failure (SIGKILL, a full log) shows.
package e2e

import (
	"fmt"
	"os"
	"testing"

	"github.com/smsq/smsq/internal/proctest"
)

var bins *proctest.Binaries

func TestMain(m *testing.M) {
	var err error
	bins, err = proctest.Build("github.com/smsq/smsq/cmd/worker", "github.com/smsq/smsq/cmd/enqueue")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	code := m.Run()
	bins.Close()
	os.Exit(code)
}

// startWorker runs the worker with env (KEY=VALUE) and waits for /readyz.
func startWorker(t *testing.T, env ...string) (*proctest.Proc, string) {
	t.Helper()
	return bins.StartWorker(t, env...)
}

// run runs enqueue and returns its exit code, stdout and stderr.
func run(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	return bins.Enqueue(t, env, args...)
}
