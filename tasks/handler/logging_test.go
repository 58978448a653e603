package handler_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/tasks/handler"
)

func TestLoggingOneLinePerRun(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err   error
		level string
		msg   string
	}{
		{nil, "INFO", "task done"},
		{&smsmode.Error{Endpoint: "sendSMS.do", Code: 50, Description: "Temporairement inaccessible"}, "WARN", "task will retry"},
		{errors.Join(errors.New("code 33"), asynq.SkipRetry), "ERROR", "task archived"},
		{&handler.RateLimitedError{}, "INFO", "task rate limited"},
	} {
		var buf bytes.Buffer
		h := handler.Logging(slog.New(slog.NewJSONHandler(&buf, nil)))(asynq.HandlerFunc(func(context.Context, *asynq.Task) error { return tc.err }))
		err := h.ProcessTask(context.Background(), asynq.NewTask(tasks.TypeSend, []byte(`{"message":"Votre code secret : 4821"}`)))
		require.Equal(t, tc.err, err)

		var line map[string]any
		require.NoError(t, json.Unmarshal(buf.Bytes(), &line), "exactly one JSON line: %s", buf.String())
		require.Equal(t, tc.level, line["level"])
		require.Equal(t, tc.msg, line["msg"])
		require.Equal(t, tasks.TypeSend, line["type"])
		require.NotContains(t, buf.String(), "4821", "the message text is never logged")
	}
}
