package worker

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// RepeatInterval is how often an identical log line is written at most:
// the first one at once, then one per interval carrying the count of the
// lines it stands for ("repeated"). While Redis is down every component
// reports the same dial error several times a second.
const RepeatInterval = 10 * time.Second

// NewLogger returns the worker's logger: JSON lines when w is not a
// terminal (pods, CI), text otherwise. Durations are numbers of
// milliseconds in keys ending in _ms ("latency_ms":4.965), and identical
// lines are written at most once per RepeatInterval.
func NewLogger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{ReplaceAttr: durationsInMilliseconds}
	var h slog.Handler = slog.NewJSONHandler(w, opts)
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			h = slog.NewTextHandler(w, opts)
		}
	}
	return slog.New(newRepeatFilter(h, RepeatInterval, realClock{}))
}

// durationsInMilliseconds is the one place durations get their unit: slog's
// JSON handler would write nanoseconds without saying so ("latency":4964775).
// Milliseconds with microsecond precision, as a number, keep log queries
// (latency_ms > 1000) possible.
func durationsInMilliseconds(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() != slog.KindDuration {
		return a
	}
	key := a.Key
	if !strings.HasSuffix(key, "_ms") {
		key += "_ms"
	}
	return slog.Float64(key, math.Round(float64(a.Value.Duration())/1e3)/1e3)
}

// SetRedisLogger routes go-redis's own log lines (pool and dial errors,
// Sentinel changes) through logger, as JSON like every other line, instead
// of go-redis's plain "redis: 2026/12/01 … pool.go:770: …" on stderr.
// go-redis has one logger per process.
func SetRedisLogger(logger *slog.Logger) { redis.SetLogger(redisLogger{logger}) }

// redisLogger adapts slog to go-redis's logger interface.
type redisLogger struct{ l *slog.Logger }

// Printf implements go-redis's logger. go-redis logs problems only.
func (r redisLogger) Printf(ctx context.Context, format string, v ...any) {
	r.l.LogAttrs(ctx, slog.LevelWarn, strings.TrimSpace(fmt.Sprintf(format, v...)), slog.String("component", "redis"))
}

// asynqLogger adapts slog to asynq.Logger.
type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) log(level slog.Level, args []any) {
	msg := fmt.Sprint(args...)
	attrs := []slog.Attr{slog.String("component", "asynq")}
	if id, ok := strings.CutPrefix(msg, "Retry exhausted for task id="); ok {
		// asynq says so of every task it archives, also of one archived at
		// the handler's request without any retry (an invalid payload,
		// code 33). The Logging middleware has already written the outcome
		// with its reason ("task archived"): keep asynq's line for debugging
		// only, in words true in both cases.
		level, msg = slog.LevelDebug, "task moved to the archive"
		attrs = append(attrs, slog.String("task_id", id))
	}
	a.l.LogAttrs(context.Background(), level, msg, attrs...)
}

func (a asynqLogger) Debug(args ...any) { a.log(slog.LevelDebug, args) }
func (a asynqLogger) Info(args ...any)  { a.log(slog.LevelInfo, args) }
func (a asynqLogger) Warn(args ...any)  { a.log(slog.LevelWarn, args) }
func (a asynqLogger) Error(args ...any) { a.log(slog.LevelError, args) }

// Fatal is called by asynq on unrecoverable start-up errors only.
func (a asynqLogger) Fatal(args ...any) {
	a.log(slog.LevelError, args)
	os.Exit(1)
}
