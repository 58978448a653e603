package config_test

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/config"
)

func TestDefaults(t *testing.T) {
	c, err := config.Load()
	require.NoError(t, err)
	require.Equal(t, "Europe/Paris", c.Timezone.String())
	require.Equal(t, config.Queues{"critical": 6, "default": 3, "low": 1, "events": 2}, c.WorkerQueues)
	require.Equal(t, 15*time.Second, c.Timeout)
	require.Equal(t, 1000, c.BatchChunk)
	require.Equal(t, 20, c.MaxRetry)
	require.Error(t, c.RequireProvider())
}

// Defaults, read from the struct tags alone, are what Load gives in an
// empty environment.
func TestDefaultsMatchLoad(t *testing.T) {
	for _, v := range config.Vars() {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	c, err := config.Load()
	require.NoError(t, err)
	require.Equal(t, c, config.Defaults())
}

func TestMalformedNamesTheVariable(t *testing.T) {
	for _, tc := range []struct{ key, value, want string }{
		{"WORKER_CONCURRENCY", "abc", "WORKER_CONCURRENCY"},
		{"WORKER_QUEUES", "critical", "WORKER_QUEUES"},
		{"SMSMODE_TIMEZONE", "Mars/Olympus", "SMSMODE_TIMEZONE"},
		{"SMSMODE_TIMEOUT", "soon", "SMSMODE_TIMEOUT"},
		{"REDIS_URL", "mysql://u:hunter2@x", "REDIS_URL"},
		{"SMSMODE_BASE_URL", "ftp://x", "SMSMODE_BASE_URL"},
		{"BATCH_CHUNK", "0", "BATCH_CHUNK"},
	} {
		t.Run(tc.key, func(t *testing.T) {
			t.Setenv(tc.key, tc.value)
			_, err := config.Load()
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
			require.NotContains(t, err.Error(), "\n")
			require.NotContains(t, err.Error(), "hunter2", "a secret must not reach the error")
		})
	}
}

func TestVarsListsEverySetting(t *testing.T) {
	vars := config.Vars()
	for _, want := range []string{"REDIS_URL", "SMSMODE_ACCESS_TOKEN", "WEBHOOK_SECRET", "SHUTDOWN_TIMEOUT"} {
		require.Contains(t, vars, want)
	}
	for _, v := range vars {
		require.Regexp(t, `^[A-Z][A-Z0-9_]+$`, v)
	}
}

// With applies settings as Load would read them, without the process's
// environment (parallel tests).
func TestWith(t *testing.T) {
	t.Parallel()
	c, err := config.Defaults().With("MAX_RETRY=0", "WORKER_QUEUES=critical=1", "WEBHOOK_SECRET=a-secret-of-16-chars,old-secret-16-chars")
	require.NoError(t, err)
	require.Zero(t, c.MaxRetry)
	require.Equal(t, config.Queues{"critical": 1}, c.WorkerQueues)
	require.Equal(t, "a-secret-of-16-chars", c.WebhookSecret.Current())
	require.Equal(t, 20, config.Defaults().MaxRetry, "Defaults is untouched")
	_, err = config.Defaults().With("WORKER_CONCURRENCY=0")
	require.ErrorContains(t, err, "WORKER_CONCURRENCY")
	_, err = config.Defaults().With("NO_SUCH_VAR=1")
	require.ErrorContains(t, err, "NO_SUCH_VAR")
}
