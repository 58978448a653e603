// Package proctest builds smsq's commands and runs them as separate
// processes, for the tests that need a real process: SIGKILL, SIGTERM, a
// full log, exit codes (internal/e2e, internal/faults).
package proctest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Binaries is a directory of freshly built smsq commands.
type Binaries struct{ Dir string }

// Build builds the given commands (import paths, e.g.
// "github.com/smsq/smsq/cmd/worker") into a new temporary directory as they
// ship (`make build`: CGO_ENABLED=0, -trimpath, no race detector), whatever
// the caller's own CGO_ENABLED. Call it from TestMain (or internal/bench); Close
// removes them. The compiler's output goes into the error, not to stdout.
func Build(cmds ...string) (*Binaries, error) {
	dir, err := os.MkdirTemp("", "smsq-bin-")
	if err != nil {
		return nil, err
	}
	build := exec.Command("go", append([]string{"build", "-trimpath", "-o", dir + string(os.PathSeparator)}, cmds...)...)
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("proctest: building %v: %w\n%s", cmds, err, bytes.TrimSpace(out))
	}
	return &Binaries{Dir: dir}, nil
}

// Close removes the binaries.
func (b *Binaries) Close() { os.RemoveAll(b.Dir) }

// Proc is a running smsq binary whose output is captured.
type Proc struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
}

// Write captures the process's stdout and stderr.
func (p *Proc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

// Output returns everything the process printed so far.
func (p *Proc) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// Tail returns the last n lines of the output, for failure messages.
func (p *Proc) Tail(n int) string {
	lines := strings.Split(strings.TrimRight(p.Output(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Exited reports whether the process has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Kill sends SIGKILL and waits for the process to be gone.
func (p *Proc) Kill() {
	if p.Exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// Terminate sends SIGTERM and returns how long the process took to exit; it
// fails the test after within.
func (p *Proc) Terminate(t testing.TB, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-p.done:
		return time.Since(start)
	case <-time.After(within):
		t.Fatalf("process did not exit within %v after SIGTERM:\n%s", within, p.Tail(40))
		return 0
	}
}

// FreeAddr returns a loopback host:port nothing listens on right now.
func FreeAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().String()
}

// StartWorker runs the worker with env (KEY=VALUE, added to this process's
// environment), waits until /readyz answers 200 and returns the process and
// its HTTP address (HTTP_ADDR from env, or a free port). The worker is
// killed when t ends.
func (b *Binaries) StartWorker(t testing.TB, env ...string) (*Proc, string) {
	t.Helper()
	addr := ""
	for _, kv := range env {
		if a, ok := strings.CutPrefix(kv, "HTTP_ADDR="); ok {
			addr = a // the caller needs the address in advance (WEBHOOK_PUBLIC_URL)
		}
	}
	if addr == "" {
		addr = FreeAddr(t)
	}
	p := &Proc{done: make(chan struct{})}
	p.cmd = exec.Command(filepath.Join(b.Dir, "worker"))
	p.cmd.Env = append(os.Environ(), append([]string{"HTTP_ADDR=" + addr}, env...)...)
	p.cmd.Stdout, p.cmd.Stderr = p, p
	require.NoError(t, p.cmd.Start())
	go func() { p.cmd.Wait(); close(p.done) }() //nolint:errcheck // the exit status is not needed
	t.Cleanup(p.Kill)
	hc := &http.Client{Timeout: 2 * time.Second}
	require.Eventually(t, func() bool {
		if p.Exited() {
			t.Fatalf("worker exited early:\n%s", p.Tail(40))
		}
		resp, err := hc.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 30*time.Second, 20*time.Millisecond, "worker never became ready")
	return p, addr
}

// Enqueue runs the enqueue command with env and args, and returns its exit
// code, its stdout (trimmed) and its stderr.
func (b *Binaries) Enqueue(t testing.TB, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(b.Dir, "enqueue"), args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return code, strings.TrimSpace(out.String()), errOut.String()
}
