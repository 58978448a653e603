package handler

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/hibiken/asynq"
)

// taskLog collects what a handler learnt (provider code, smsID, latency) for
// the one log line the Logging middleware writes per task run.
type taskLog struct {
	mu        sync.Mutex
	attrs     []slog.Attr
	rateWaits int
	ended     string // store.StateCancelled or StateExpired: the run ended the task without a send
}

func (l *taskLog) add(attrs ...slog.Attr) {
	l.mu.Lock()
	l.attrs = append(l.attrs, attrs...)
	l.mu.Unlock()
}

type taskLogKey struct{}

// logInfo returns the run's collector, or a throwaway one outside Logging.
func logInfo(ctx context.Context) *taskLog {
	if l, ok := ctx.Value(taskLogKey{}).(*taskLog); ok {
		return l
	}
	return &taskLog{}
}

// Logging is an asynq middleware writing one structured line per task run:
// task ID, type, queue, attempt, latency, outcome, and what the handler
// recorded (provider code, smsID, segments, provider latency). It never logs
// the message text, and provider errors carry no credentials.
func Logging(logger *slog.Logger) asynq.MiddlewareFunc {
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			l := &taskLog{}
			ctx = context.WithValue(ctx, taskLogKey{}, l)
			start := time.Now()
			err := next.ProcessTask(ctx, t)

			id, _ := asynq.GetTaskID(ctx)
			queue, _ := asynq.GetQueueName(ctx)
			retried, _ := asynq.GetRetryCount(ctx)
			attrs := []slog.Attr{
				slog.String("task_id", id),
				slog.String("type", t.Type()),
				slog.String("queue", queue),
				slog.Int("attempt", retried+1),
				slog.Duration("latency", time.Since(start)),
			}
			l.mu.Lock()
			attrs = append(attrs, l.attrs...)
			if l.rateWaits > 0 {
				attrs = append(attrs, slog.Int("rate_waits", l.rateWaits))
			}
			l.mu.Unlock()

			level, msg := slog.LevelInfo, "task done"
			switch Classify(ctx, err) {
			case RateLimited:
				msg = "task rate limited"
			case Archived:
				level, msg = slog.LevelError, "task archived"
			case Retried:
				level, msg = slog.LevelWarn, "task will retry"
			case Expired:
				level, msg = slog.LevelWarn, "task expired"
			case Cancelled:
				msg = "task cancelled"
			}
			if err != nil {
				attrs = append(attrs, slog.String("error", err.Error()))
			}
			logger.LogAttrs(ctx, level, msg, attrs...)
			return err
		})
	}
}
