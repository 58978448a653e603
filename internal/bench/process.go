package bench

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Child processes (the built enqueue and worker binaries) and what they
// cost: wall time, peak RSS, CPU time.

// childEnv is the environment of the enqueue and worker binaries: this
// process's (isolateEnv cleared every smsq variable) plus extra.
func childEnv(extra ...string) []string {
	return append(os.Environ(), extra...)
}

// runMeasured runs a binary and returns its wall time and max RSS in KiB,
// with /usr/bin/time -v when present (it forks the binary itself), else the
// child's rusage, which is only an upper bound: Go starts children with
// vfork, and Linux counts this process's RSS in the child's ru_maxrss.
func runMeasured(ctx context.Context, env []string, bin string, args ...string) (wall time.Duration, rssKiB int64, how string, out []byte, err error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	var cmd *exec.Cmd
	const timeTool = "/usr/bin/time"
	useTime := false
	if st, err := os.Stat(timeTool); err == nil && !st.IsDir() {
		useTime = true
		cmd = exec.CommandContext(ctx, timeTool, append([]string{"-v", bin}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, bin, args...)
	}
	cmd.Env = env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	out, err = cmd.Output()
	wall = time.Since(start)
	if err != nil {
		return 0, 0, "", out, fmt.Errorf("%s: %v: %s", filepath.Base(bin), err, tail(stderr.String(), 400))
	}
	if useTime {
		for _, line := range strings.Split(stderr.String(), "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Maximum resident set size (kbytes):"); ok {
				rssKiB, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			}
		}
		return wall, rssKiB, "/usr/bin/time -v", out, nil
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rssKiB = int64(ru.Maxrss) // KiB on Linux
	}
	return wall, rssKiB, "rusage, an upper bound", out, nil
}

// tail keeps the last n bytes of a child's output, for error messages.
func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// workerProc is the worker binary (role tasks) running as a child, its
// output in a log file under the benchmark's temporary directory.
type workerProc struct {
	cmd     *exec.Cmd
	log     *os.File
	started time.Time     // just before exec
	done    chan struct{} // closed once the process has exited
	err     error         // Wait's result, set before done is closed
}

// startWorker runs the worker binary with env on top of the defaults,
// writing its output to logName under e.tmp.
func (e *env) startWorker(logName string, env ...string) (*workerProc, error) {
	logf, err := os.Create(filepath.Join(e.tmp, logName))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(filepath.Join(e.binDir, "worker"), "--role=tasks")
	cmd.Env = childEnv(env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	p := &workerProc{cmd: cmd, log: logf, done: make(chan struct{}), started: time.Now()}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	return p, nil
}

func (p *workerProc) pid() int { return p.cmd.Process.Pid }

// exitError describes a worker that exited on its own (call after done).
func (p *workerProc) exitError(what string) error {
	return fmt.Errorf("%s: %v (log %s)", what, p.err, p.log.Name())
}

// stop sends SIGTERM, gives the worker its graceful shutdown (45 s at
// most, then SIGKILL) and closes the log.
func (p *workerProc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(45 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	p.log.Close()
}

// kill ends the worker at once (a failed run) and closes the log.
func (p *workerProc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
	p.log.Close()
}

// vmHWM reads a process's peak RSS (KiB) from /proc; 0 when unavailable.
// It is exact for a child, unlike the child's rusage: Go starts children
// with vfork, and Linux then counts this process's RSS in the child's
// ru_maxrss.
func vmHWM(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb
		}
	}
	return 0
}

// selfCPU is the user+system CPU time of this process so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// redisCPU is the user+system CPU time of the private redis-server so far
// (from /proc; 0 when unavailable).
func (e *env) redisCPU() time.Duration {
	if e.redisPID == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", e.redisPID))
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces): state is
	// field 3, utime 14 and stime 15, in clock ticks (100 Hz on Linux).
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}
