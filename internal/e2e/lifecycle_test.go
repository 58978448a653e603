package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/redistest"
	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/smsmode/smsmodetest"
)

// lifecycleEnv is a private Redis, the fake and the environment of both
// binaries pointed at them.
func lifecycleEnv(t *testing.T, fakeOpts ...smsmodetest.Option) (*smsmodetest.Server, []string) {
	t.Helper()
	srv := redistest.Start(t)
	fake := smsmodetest.NewServer(fakeOpts...)
	t.Cleanup(fake.Close)
	return fake, []string{
		"REDIS_URL=" + srv.URL(),
		"SMSMODE_BASE_URL=" + fake.URL,
		"SMSMODE_ACCESS_TOKEN=" + smsmodetest.AccessToken,
		"RETRY_BASE_DELAY=50ms", "RETRY_MAX_DELAY=200ms",
	}
}

// requireRun runs enqueue and checks its exit code; it returns stdout and stderr.
func requireRun(t *testing.T, env []string, code int, args ...string) (string, string) {
	t.Helper()
	got, stdout, stderr := run(t, env, args...)
	require.Equal(t, code, got, "enqueue %s\nstdout: %s\nstderr: %s", strings.Join(args, " "), stdout, stderr)
	return stdout, stderr
}

// waitStatus polls `enqueue status` until its State line says state.
func waitStatus(t *testing.T, env []string, id, state string) string {
	t.Helper()
	var out string
	require.Eventually(t, func() bool {
		_, out, _ = run(t, env, "status", id)
		return strings.Contains(out, "State:        "+state+"\n")
	}, 30*time.Second, 50*time.Millisecond, "%s never reached %s", id, state)
	return out
}

// Cancel before and after hand-over, then status and cancel again; a wrong
// queue; the same ID in two queues — with the built binaries.
func TestLifecycleWithTheBinaries(t *testing.T) {
	t.Parallel()
	fake, env := lifecycleEnv(t)

	// Before hand-over: no worker runs yet.
	requireRun(t, env, 0, "send", "--to", "0612345678", "--message", "jamais envoyé", "--id", "before")
	out, _ := requireRun(t, env, 0, "cancel", "before")
	require.Contains(t, out, "cancelled before it reached sMsmode")
	out, _ = requireRun(t, env, 0, "status", "before")
	require.Contains(t, out, "State:        cancelled\n")
	out, _ = requireRun(t, env, 0, "cancel", "before")
	require.Contains(t, out, "already cancelled")

	// A wrong queue is refused, naming the field; nothing waits forever.
	for _, q := range []string{"nosuchqueue", "Critical", "events"} {
		_, errOut := requireRun(t, env, 2, "send", "--to", "0612345678", "--message", "x", "--queue", q)
		require.Contains(t, errOut, "invalid queue")
	}
	// The same ID in another queue is a duplicate.
	requireRun(t, env, 0, "send", "--to", "0612345678", "--message", "une fois", "--id", "once")
	out, errOut := requireRun(t, env, 0, "send", "--to", "0612345678", "--message", "autre texte", "--id", "once", "--queue", "critical")
	require.Equal(t, "once", out)
	require.Contains(t, errOut, "already exists")

	startWorker(t, env...)
	waitStatus(t, env, "once", "completed")
	require.Len(t, fake.Messages(), 1, "the cancelled task was never sent, the duplicate once")
	require.Equal(t, "une fois", fake.Messages()[0].Text)

	// After hand-over: sMsmode holds it until tomorrow.
	at := time.Now().Add(24 * time.Hour).Format(time.RFC3339)
	requireRun(t, env, 0, "send", "--to", "0612345678", "--message", "demain", "--at", at, "--id", "after")
	waitStatus(t, env, "after", "completed")
	out, _ = requireRun(t, env, 0, "cancel", "after")
	require.Contains(t, out, "cancelled at sMsmode (deleteSMS.do)")
	out, _ = requireRun(t, env, 0, "status", "after")
	require.Contains(t, out, "State:        cancelled\n")
	require.Contains(t, out, "at sMsmode (deleteSMS.do")
	out, _ = requireRun(t, env, 0, "cancel", "after")
	require.Contains(t, out, "already cancelled", "no second deleteSMS.do")
	var deleted int
	for _, m := range fake.Messages() {
		if m.Deleted {
			deleted++
		}
	}
	require.Equal(t, 1, deleted)

	// Too late: an immediate send cannot be cancelled.
	requireRun(t, env, 0, "send", "--to", "0612345678", "--message", "maintenant", "--id", "now")
	waitStatus(t, env, "now", "completed")
	_, errOut = requireRun(t, env, 2, "cancel", "now")
	require.Contains(t, errOut, "too late")
}

// MAX_RETRY=0 means no retry at all: a code 50 archives at once.
func TestMaxRetryZeroWithTheBinaries(t *testing.T) {
	t.Parallel()
	fake, env := lifecycleEnv(t)
	fake.FailNext("sendSMS.do", smsmode.CodeTemporarilyUnavailable, 1)
	env = append(env, "MAX_RETRY=0")
	startWorker(t, env...)
	requireRun(t, env, 0, "send", "--to", "0612345678", "--message", "x", "--id", "noretry")
	out := waitStatus(t, env, "noretry", "archived")
	require.Contains(t, out, "Attempts:     1 of 1\n")
	require.Contains(t, out, "code 50")
	require.Empty(t, fake.Messages())
}

// An expired OTP is never sent: enqueued with --valid-for while no worker
// runs, it is reported expired, and the worker that starts later ends it
// without a call.
func TestExpiredWithTheBinaries(t *testing.T) {
	t.Parallel()
	fake, env := lifecycleEnv(t)
	requireRun(t, env, 0, "send", "--to", "0612345678", "--message", "code 4821", "--valid-for", "1s", "--queue", "critical", "--id", "otp")
	waitStatus(t, env, "otp", "expired")
	startWorker(t, env...)
	require.Eventually(t, func() bool {
		_, out, _ := run(t, env, "status", "otp")
		return strings.Contains(out, "Expired:      ")
	}, 30*time.Second, 50*time.Millisecond, "the worker records the expiry")
	require.Empty(t, fake.Messages())
}

// A commercial message enqueued "now", at a time outside the window,
// reaches sMsmode with date_envoi at the next opening; --dry-run says so.
func TestMarketingWindowWithTheBinaries(t *testing.T) {
	t.Parallel()
	fake, env := lifecycleEnv(t)
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	// A window opening two hours from now, every day, closing an hour
	// later: "now" is outside it whatever the day.
	now := time.Now().In(paris)
	open := now.Add(2 * time.Hour).Truncate(time.Minute)
	if open.Day() != now.Day() || open.Hour() == 23 { // keep the range within one day
		open = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, paris).AddDate(0, 0, 1).Add(time.Hour)
		if now.Hour() < 1 {
			open = time.Date(now.Year(), now.Month(), now.Day(), 1, 0, 0, 0, paris)
		}
	}
	hours := fmt.Sprintf("Mon-Sun %02d:%02d-%02d:%02d", open.Hour(), open.Minute(), open.Hour()+1, open.Minute())
	env = append(env, "MARKETING_HOURS="+hours, "MARKETING_HOLIDAYS=none")
	args := []string{"send", "--to", "0612345678", "--message", "Soldes -20 % ce week-end", "--from", "MYSHOP", "--stop", "1", "--marketing"}

	out, _ := requireRun(t, env, 0, append(args, "--dry-run")...)
	require.Contains(t, out, "deferred: outside MARKETING_HOURS")
	require.Contains(t, out, open.Format("2006-01-02 15:04"))

	_, errOut := requireRun(t, env, 2, "send", "--to", "0612345678", "--message", "Soldes", "--from", "MYSHOP", "--marketing")
	require.Contains(t, errOut, "stop", "a custom sender needs the STOP mention")

	startWorker(t, env...)
	requireRun(t, env, 0, append(args, "--id", "promo")...)
	out = waitStatus(t, env, "promo", "completed")
	require.Contains(t, out, "Deferred:     until "+open.Format("2006-01-02 15:04"))
	msgs := fake.Messages()
	require.Len(t, msgs, 1)
	require.True(t, msgs[0].SendAt.Equal(open), "date_envoi %v, want %v", msgs[0].SendAt, open)
}
