package webhook

import (
	"context"
	"log/slog"
	"time"
)

// logRecord collects what the one log line of a callback says. It never
// holds the secret, the query string or a reply's text.
type logRecord struct {
	route, method, kind, outcome string
	status                       int
	taskID, sendTask, smsID      string
	statusCode                   int // delivery status
	param, err, ledgerErr        string
}

func (h *Handler) logCallback(ctx context.Context, rec *logRecord, latency time.Duration) {
	level := slog.LevelInfo
	switch {
	case rec.status >= 500:
		level = slog.LevelError
	case rec.status >= 400:
		level = slog.LevelWarn
	}
	if !h.log.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, 12)
	attrs = append(attrs,
		slog.String("kind", rec.kind),
		slog.String("outcome", rec.outcome),
		slog.Int("status", rec.status),
		slog.Duration("latency", latency),
		slog.String("method", rec.method),
		slog.String("route", rec.route),
	)
	if rec.taskID != "" {
		attrs = append(attrs, slog.String("task_id", rec.taskID))
	}
	if rec.smsID != "" {
		attrs = append(attrs, slog.String("sms_id", rec.smsID))
	}
	if rec.kind == KindDelivery && rec.smsID != "" { // parsed
		attrs = append(attrs, slog.Int("delivery_status", rec.statusCode))
	}
	if rec.sendTask != "" {
		attrs = append(attrs, slog.String("send_task_id", rec.sendTask))
	}
	if rec.param != "" {
		attrs = append(attrs, slog.String("param", rec.param))
	}
	if rec.err != "" {
		attrs = append(attrs, slog.String("error", rec.err))
	}
	if rec.ledgerErr != "" {
		attrs = append(attrs, slog.String("ledger_error", rec.ledgerErr))
	}
	h.log.LogAttrs(ctx, level, "webhook callback", attrs...)
}
