package worker_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/worker"
	"github.com/smsq/smsq/tasks"
)

// chromium finds Debian's headless browser; CI installs it (.ci/run).
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium on PATH (apt-get install chromium); CI installs it")
	return ""
}

// The Asynq web UI renders our queues in a real browser, behind basic auth.
// SCREENSHOT_DIR=docs keeps the screenshot (docs/monitoring.png).
func TestMonitoringInBrowser(t *testing.T) {
	bin := chromium(t)
	b := setup(t, worker.RoleAll)
	ctx := context.Background()
	for i, q := range []string{"critical", "default", "low"} {
		_, err := b.enqueuer.Send(ctx, tasks.SendPayload{To: []string{"0612345678"}, Message: "hello"}, tasks.WithQueue(q), tasks.WithTaskID("ui-"+q))
		require.NoError(t, err, i)
		b.wait(t, "ui-"+q, "completed")
	}
	url := strings.Replace(b.base, "http://", "http://ops:pw@", 1) + "/monitoring/"
	dir := t.TempDir()
	if d := os.Getenv("SCREENSHOT_DIR"); d != "" {
		dir = d
	}
	shot := filepath.Join(dir, "monitoring.png")
	args := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(), "--window-size=1280,900", "--virtual-time-budget=8000",
	}
	run := func(extra ...string) string {
		cctx, cancel := context.WithTimeout(ctx, 90*time.Second)
		defer cancel()
		out, err := exec.CommandContext(cctx, bin, append(args, append(extra, url)...)...).Output()
		require.NoError(t, err)
		return string(out)
	}
	dom := run("--dump-dom")
	for _, q := range []string{"critical", "default", "low"} {
		require.Contains(t, dom, ">"+q+"<", "queue %s is on the rendered page", q)
	}
	run("--screenshot=" + shot)
	st, err := os.Stat(shot)
	require.NoError(t, err)
	require.Greater(t, st.Size(), int64(10_000), "a real picture, not an empty page")
}
