// Package bench runs smsq's end-to-end benchmarks (`make bench`): the
// production handler stack against a bare asynq server, a provider-bound
// run, OTP latency, the webhook receiver, a 100,000-row batch and the
// producers, each against a private redis-server and the fake sMsmode on
// loopback. cmd/bench only wires flags to Run.
package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/smsq/smsq/internal/config"
	"github.com/smsq/smsq/smsmode/smsmodetest"
	"github.com/smsq/smsq/tasks"
)

// Options select what Run measures.
type Options struct {
	// Only lists scenario names to run (throughput, provider, otp, webhook,
	// batch, enqueue); empty runs them all.
	Only []string
	// Scale multiplies every task count (1 for the recorded figures; smaller
	// for a quick check of the harness).
	Scale float64
	// Rounds is how many times the throughput comparison alternates bare
	// and smsq runs; the median of each is reported.
	Rounds int
	// CPUProfile, when set, receives a CPU profile of the smsq throughput
	// runs (the production handler stack draining the queue).
	CPUProfile string
	// ProviderCPUProfile, when set, receives a CPU profile of the
	// provider-bound run.
	ProviderCPUProfile string
	// WebhookCPUProfile, when set, receives a CPU profile of the first
	// receiver round of the webhook comparison.
	WebhookCPUProfile string
	// MemProfile, when set, receives the allocation profiles before
	// (MemProfile+".base") and after the first smsq throughput run.
	MemProfile string
	// BareCPUProfile, when set, receives a CPU profile of the first bare
	// throughput run, for comparison.
	BareCPUProfile string
	// BinDir holds prebuilt enqueue and worker binaries; empty builds them
	// into a temporary directory.
	BinDir string
	// MaxLoad and LoadWait: before starting, wait up to LoadWait for the
	// 1-minute load average to drop below MaxLoad (the machine is shared).
	MaxLoad  float64
	LoadWait time.Duration
	// Progress receives one line per step (stderr).
	Progress io.Writer
}

// env is what every scenario shares: one redis-server, the settings of a
// production worker pointed at it, binaries and a log sink.
type env struct {
	opts     Options
	redisPID int
	rdb      *redis.Client
	connOpt  asynq.RedisClientOpt
	binDir   string
	tmp      string
	devnull  *os.File
	logger   *slog.Logger // production JSON logs, written to /dev/null
}

func (e *env) progress(format string, args ...any) {
	if e.opts.Progress != nil {
		fmt.Fprintf(e.opts.Progress, "bench: "+format+"\n", args...)
	}
}

// n scales a task count, keeping at least min.
func (e *env) n(count, min int) int {
	return max(min, int(float64(count)*e.opts.Scale))
}

// flush empties Redis between runs.
func (e *env) flush(ctx context.Context) error {
	return e.rdb.FlushAll(ctx).Err()
}

// isolateEnv clears every smsq variable inherited from the caller, so that
// the worker and the CLI run with the documented defaults plus what a
// scenario sets.
func isolateEnv(redisURL string) error {
	for _, name := range config.Vars() {
		if err := os.Unsetenv(name); err != nil {
			return err
		}
	}
	os.Setenv("REDIS_URL", redisURL)
	os.Setenv("SMSMODE_ACCESS_TOKEN", smsmodetest.AccessToken)
	os.Setenv("HTTP_ADDR", "127.0.0.1:0")
	return nil
}

// workerConfig returns the production configuration (defaults) pointed at
// the private Redis and the fake at baseURL.
func (e *env) workerConfig(baseURL string) (*config.Config, error) {
	os.Setenv("SMSMODE_BASE_URL", baseURL)
	defer os.Unsetenv("SMSMODE_BASE_URL")
	return config.Load()
}

// buildBinaries builds cmd/enqueue and cmd/worker unless BinDir has them.
func (e *env) buildBinaries(ctx context.Context) error {
	if e.opts.BinDir != "" {
		for _, b := range []string{"enqueue", "worker"} {
			if _, err := os.Stat(filepath.Join(e.opts.BinDir, b)); err != nil {
				return fmt.Errorf("-bin %s: %w", e.opts.BinDir, err)
			}
		}
		e.binDir = e.opts.BinDir
		return nil
	}
	e.binDir = filepath.Join(e.tmp, "bin")
	e.progress("building enqueue and worker into %s", e.binDir)
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", e.binDir+"/", "./cmd/enqueue", "./cmd/worker")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	return nil
}

// Machine describes where the figures were measured.
type Machine struct {
	CPU        string
	Cores      int
	Go         string
	Redis      string
	LoadStart  string
	LoadEnd    string
	StartedAt  time.Time
	FinishedAt time.Time
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// loadAvg returns the three load averages of /proc/loadavg.
func loadAvg() (one float64, text string) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0, "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return 0, "unknown"
	}
	one, _ = strconv.ParseFloat(f[0], 64)
	return one, strings.Join(f[:3], " ")
}

// waitQuiet waits (bounded) for the 1-minute load average to fall below max.
func (e *env) waitQuiet(ctx context.Context) {
	if e.opts.MaxLoad <= 0 {
		return
	}
	deadline := time.Now().Add(e.opts.LoadWait)
	for {
		one, text := loadAvg()
		if one < e.opts.MaxLoad || !time.Now().Before(deadline) {
			if one >= e.opts.MaxLoad {
				e.progress("load average %s still above %.1f after %s: measuring anyway", text, e.opts.MaxLoad, e.opts.LoadWait)
			}
			return
		}
		e.progress("load average %s above %.1f: waiting", text, e.opts.MaxLoad)
		select {
		case <-ctx.Done():
			return
		case <-time.After(10 * time.Second):
		}
	}
}

func redisVersion(ctx context.Context, rdb *redis.Client) string {
	info, err := rdb.Info(ctx, "server").Result()
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "redis_version:"); ok {
			return v
		}
	}
	return "unknown"
}

// enqueuer is a Go producer on the benchmark's Redis, with the default
// producer settings.
func (e *env) enqueuer() (*tasks.Enqueuer, error) {
	cfg, err := e.workerConfig("http://127.0.0.1:1/unused/")
	if err != nil {
		return nil, err
	}
	return tasks.NewEnqueuer(e.rdb, cfg.TaskOptions())
}
