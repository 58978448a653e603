package api

import (
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"
)

// maxLoggedIDs bounds the task IDs of a batch in its log line.
const maxLoggedIDs = 5

// logRequest writes the one line of a request. It names the client by its
// token's name and never holds a token, a header, the query string or a
// message's text.
func (h *Handler) logRequest(r *http.Request, req *request, latency time.Duration) {
	level := slog.LevelInfo
	switch {
	case req.status >= 500:
		level = slog.LevelError
	case req.status >= 400:
		level = slog.LevelWarn
	}
	ctx := r.Context()
	if !h.log.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, 10)
	attrs = append(attrs,
		slog.String("route", req.route),
		slog.String("method", r.Method),
		slog.Int("status", req.status),
		slog.String("token", req.token),
		slog.Duration("latency", latency),
	)
	switch n := len(req.taskIDs); {
	case n == 1:
		attrs = append(attrs, slog.String("task_id", req.taskIDs[0]))
	case n > 1:
		ids := req.taskIDs[:min(n, maxLoggedIDs)]
		attrs = append(attrs, slog.Any("task_ids", ids), slog.Int("tasks", n))
	}
	if req.duplicate {
		attrs = append(attrs, slog.Bool("duplicate", true))
	}
	if req.dryRun {
		attrs = append(attrs, slog.Bool("dry_run", true))
	}
	if req.field != "" {
		attrs = append(attrs, slog.String("field", req.field))
	}
	if req.outcome != "" {
		attrs = append(attrs, slog.String("outcome", req.outcome))
	}
	if req.err != "" {
		attrs = append(attrs, slog.String("error", req.err))
	}
	h.log.LogAttrs(ctx, level, "api request", attrs...)
}

func stack() string { return string(debug.Stack()) }
