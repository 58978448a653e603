package worker

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/logtest"
	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/tasks/handler"
)

// fakeClock runs timers when the test advances it.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
}

type fakeTimer struct {
	at      time.Time
	f       func()
	stopped bool
}

func (t *fakeTimer) Stop() bool { was := !t.stopped; t.stopped = true; return was }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) AfterFunc(d time.Duration, f func()) stopper {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return t
}

// advance moves the clock and runs the timers that are due.
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []*fakeTimer
	kept := c.timers[:0]
	for _, t := range c.timers {
		switch {
		case t.stopped:
		case !t.at.After(c.now):
			t.stopped = true
			due = append(due, t)
		default:
			kept = append(kept, t)
		}
	}
	c.timers = kept
	c.mu.Unlock()
	for _, t := range due {
		t.f()
	}
}

func newTestLogger(buf *bytes.Buffer, level slog.Level) (*slog.Logger, *fakeClock) {
	c := &fakeClock{now: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	h := slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: level, ReplaceAttr: durationsInMilliseconds})
	return slog.New(newRepeatFilter(h, 10*time.Second, c)), c
}

// 41 identical lines in 6 s while Redis is down: the first is written at
// once, the 40 others as one line when the interval ends.
func TestRepeatFilterFoldsIdenticalLines(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log, clock := newTestLogger(&buf, slog.LevelInfo)
	for range 41 {
		log.Error("Dequeue error: dial unix /run/redis.sock: connect: connection refused", "component", "asynq")
		clock.advance(150 * time.Millisecond)
	}
	log.Warn("another line")
	got := logtest.Lines(t, buf.String())
	require.Len(t, got, 2, buf.String())
	require.NotContains(t, got[0], "repeated")

	clock.advance(4 * time.Second) // the interval ends
	got = logtest.Lines(t, buf.String())
	require.Len(t, got, 3, buf.String())
	require.Equal(t, "Dequeue error: dial unix /run/redis.sock: connect: connection refused", got[2]["msg"])
	require.Equal(t, 40.0, got[2]["repeated"])
	require.Equal(t, "asynq", got[2]["component"])
	require.Equal(t, "2026-12-01T10:00:10.15Z", got[2]["time"], "written when the interval ended: times stay in order")

	// Still failing: at most one line per interval.
	for range 100 {
		log.Error("Dequeue error: dial unix /run/redis.sock: connect: connection refused", "component", "asynq")
		clock.advance(100 * time.Millisecond)
	}
	clock.advance(10 * time.Second)
	got = logtest.Lines(t, buf.String())
	require.Len(t, got, 4, buf.String())
	require.Equal(t, 100.0, got[3]["repeated"])

	// After a quiet interval the line is written at once, alone.
	clock.advance(time.Minute)
	log.Error("Dequeue error: dial unix /run/redis.sock: connect: connection refused", "component", "asynq")
	got = logtest.Lines(t, buf.String())
	require.Len(t, got, 5, buf.String())
	require.NotContains(t, got[4], "repeated")
}

func TestRepeatFilterKeepsDistinctLines(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log, _ := newTestLogger(&buf, slog.LevelInfo)
	log.Info("task done", "task_id", "a")
	log.Info("task done", "task_id", "b")
	log.Warn("task done", "task_id", "a")                            // another level
	log.With("component", "redis").Info("task done", "task_id", "a") // another scope
	log.WithGroup("g").Info("task done", "task_id", "a")
	log.Info("task done", "task_id", "a") // the only repetition
	require.Len(t, logtest.Lines(t, buf.String()), 5, buf.String())
}

// A line that comes after the interval, before its pending write ran,
// carries the count itself; the pending write then writes nothing.
func TestRepeatFilterLineAtIntervalEnd(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	c := &fakeClock{now: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	f := newRepeatFilter(slog.NewJSONHandler(&buf, nil), 10*time.Second, c)
	log := slog.New(f)
	log.Info("redis down")
	log.Info("redis down")
	log.Info("redis down")
	c.mu.Lock()
	c.now = c.now.Add(10 * time.Second) // the timer is due but has not run
	c.mu.Unlock()
	log.Info("redis down")
	got := logtest.Lines(t, buf.String())
	require.Len(t, got, 2)
	require.Equal(t, 3.0, got[1]["repeated"], "the two held back and this one")
	f.flush(f.key(slog.NewRecord(time.Time{}, slog.LevelInfo, "redis down", 0)))
	require.Len(t, logtest.Lines(t, buf.String()), 2)
}

// Unique lines (one per task) are forgotten after an interval.
func TestRepeatFilterForgetsOldLines(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log, clock := newTestLogger(&buf, slog.LevelInfo)
	for i := range 1000 {
		log.Info("task done", "n", i)
	}
	clock.advance(11 * time.Second)
	log.Info("task done", "n", -1)
	f := log.Handler().(*repeatFilter)
	f.state.mu.Lock()
	defer f.state.mu.Unlock()
	require.Len(t, f.state.lines, 1)
}

func TestDurationsInMilliseconds(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log, _ := newTestLogger(&buf, slog.LevelInfo)
	log.Info("x", slog.Duration("latency", 4964775*time.Nanosecond), slog.Group("g", slog.Duration("wait_ms", 2*time.Second)), slog.Any("grace", 30*time.Second))
	got := logtest.Lines(t, buf.String())[0]
	require.Equal(t, 4.965, got["latency_ms"])
	require.Equal(t, map[string]any{"wait_ms": 2000.0}, got["g"])
	require.Equal(t, 30000.0, got["grace_ms"])
	require.NotContains(t, got, "latency")
}

// The Logging middleware's line gets the same units.
func TestTaskLogLatencyInMilliseconds(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log, _ := newTestLogger(&buf, slog.LevelInfo)
	h := handler.Logging(log)(asynq.HandlerFunc(func(context.Context, *asynq.Task) error { return nil }))
	require.NoError(t, h.ProcessTask(context.Background(), asynq.NewTask(tasks.TypeSend, nil)))
	got := logtest.Lines(t, buf.String())[0]
	require.Equal(t, "task done", got["msg"])
	require.IsType(t, 0.0, got["latency_ms"])
	require.NotContains(t, got, "latency")
}

// asynq says "Retry exhausted" of a task archived without any retry: the
// line is reworded, and kept for debugging only.
func TestAsynqLoggerArchiveWording(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		level slog.Level
		want  int
	}{{slog.LevelInfo, 0}, {slog.LevelDebug, 1}} {
		var buf bytes.Buffer
		log, _ := newTestLogger(&buf, tc.level)
		asynqLogger{log}.Warn("Retry exhausted for task id=order-42")
		got := logtest.Lines(t, buf.String())
		require.Len(t, got, tc.want)
		if tc.want == 1 {
			require.Equal(t, "task moved to the archive", got[0]["msg"])
			require.Equal(t, "order-42", got[0]["task_id"])
			require.Equal(t, "asynq", got[0]["component"])
		}
		require.NotContains(t, buf.String(), "exhausted")
	}
	var buf bytes.Buffer
	log, _ := newTestLogger(&buf, slog.LevelInfo)
	asynqLogger{log}.Error("Dequeue error: ", "connection refused")
	require.Equal(t, "Dequeue error: connection refused", logtest.Lines(t, buf.String())[0]["msg"])
}

func TestRedisLoggerWritesJSON(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log, _ := newTestLogger(&buf, slog.LevelInfo)
	redisLogger{log}.Printf(context.Background(), "redis: connection pool: failed to dial after %d attempts: %v\n", 5, "dial tcp 127.0.0.1:6379: connect: connection refused")
	got := logtest.Lines(t, buf.String())
	require.Len(t, got, 1)
	require.Equal(t, "WARN", got[0]["level"])
	require.Equal(t, "redis", got[0]["component"])
	require.Equal(t, "redis: connection pool: failed to dial after 5 attempts: dial tcp 127.0.0.1:6379: connect: connection refused", got[0]["msg"])
}
