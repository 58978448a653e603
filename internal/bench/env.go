package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/smsq/smsq/internal/config"
	"github.com/smsq/smsq/internal/proctest"
	"github.com/smsq/smsq/smsmode/smsmodetest"
)

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

// buildBinaries builds cmd/enqueue and cmd/worker (as they ship, with
// proctest.Build) unless BinDir has them; the returned func removes what
// it built.
func (e *env) buildBinaries() (func(), error) {
	if e.opts.BinDir != "" {
		for _, b := range []string{"enqueue", "worker"} {
			if _, err := os.Stat(filepath.Join(e.opts.BinDir, b)); err != nil {
				return nil, fmt.Errorf("-bin %s: %w", e.opts.BinDir, err)
			}
		}
		e.binDir = e.opts.BinDir
		return func() {}, nil
	}
	e.progress("building enqueue and worker")
	bins, err := proctest.Build("github.com/smsq/smsq/cmd/enqueue", "github.com/smsq/smsq/cmd/worker")
	if err != nil {
		return nil, err
	}
	e.binDir = bins.Dir
	e.progress("built into %s", e.binDir)
	return bins.Close, nil
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

// redisInfo returns a field of the server section of INFO ("" when
// unavailable).
func redisInfo(ctx context.Context, rdb *redis.Client, field string) string {
	info, err := rdb.Info(ctx, "server").Result()
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
			return v
		}
	}
	return ""
}

func redisVersion(ctx context.Context, rdb *redis.Client) string {
	if v := redisInfo(ctx, rdb, "redis_version"); v != "" {
		return v
	}
	return "unknown"
}

// discardLogger is a production JSON logger writing to w.
func discardLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewJSONHandler(w, nil)) }
