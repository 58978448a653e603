package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/redistest"
	"github.com/smsq/smsq/smsmode/smsmodetest"
)

// TestSentinelWithPasswords runs the worker and the CLI against a Sentinel
// topology where the primary, the replica and the sentinels all require a
// password, as the common Kubernetes charts deploy it, through
// REDIS_URL=redis-sentinel://:PASSWORD@…?master=mymaster. A wrong password is
// a plain failure (exit 1) that does not echo the password.
func TestSentinelWithPasswords(t *testing.T) {
	t.Parallel()
	const password = "pw-sentinel-e2e-7c1f"
	top := redistest.StartSentinel(t, redistest.WithAuth(password))
	fake := smsmodetest.NewServer()
	t.Cleanup(fake.Close)
	ctx := context.Background()

	// The data nodes really are protected: no password, no access.
	anon := redis.NewClient(&redis.Options{Addr: top.Master.Addr()})
	defer anon.Close()
	require.ErrorContains(t, anon.Ping(ctx).Err(), "NOAUTH")

	env := []string{
		"REDIS_URL=" + top.URL(),
		"SMSMODE_BASE_URL=" + fake.URL,
		"SMSMODE_ACCESS_TOKEN=" + smsmodetest.AccessToken,
	}
	w, _ := startWorker(t, env...)

	code, out, stderr := run(t, env, "send", "--to", "0612345678", "--message", "via sentinel with passwords", "--id", "auth-1")
	require.Equal(t, 0, code, stderr)
	require.Equal(t, "auth-1", out)
	var status string
	waitFor(t, 30*time.Second, "the send to complete", func() bool {
		_, status, _ = run(t, env, "status", "auth-1")
		return strings.Contains(status, "State:        completed")
	})
	require.Len(t, fake.Messages(), 1)

	bad := []string{
		"REDIS_URL=" + strings.Replace(top.URL(), password, "pw-wrong-e2e-0d2a", 1),
		"SMSMODE_BASE_URL=" + fake.URL,
		"SMSMODE_ACCESS_TOKEN=" + smsmodetest.AccessToken,
	}
	code, _, stderr = run(t, bad, "send", "--to", "0612345678", "--message", "refused", "--id", "auth-2")
	require.Equal(t, 1, code, stderr)
	require.NotContains(t, stderr, "pw-wrong-e2e-0d2a")
	require.Len(t, strings.Split(strings.TrimSpace(stderr), "\n"), 1, "one line: %s", stderr)
	require.NotContains(t, w.Output(), password, "the worker never logs the URL's password")
	require.NotContains(t, status, password)
}
