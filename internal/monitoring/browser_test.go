package monitoring_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"
)

// chromium finds Debian's headless browser. The browser tests are the only
// proof that the UI still works behind the protections, so a missing
// browser fails them rather than skipping them.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("chromium not found on PATH: install it (apt-get install -y chromium fonts-dejavu-core; scripts/deps.sh does it for CI)")
	return ""
}

// chromiumFlags are the flags that work on a closed network as root: without
// the background-networking ones, Chromium keeps dialling Google's hosts.
func chromiumFlags(t *testing.T) []string {
	return []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(),
	}
}

// authURL is the UI's URL at path with the credentials in it, the way a
// headless browser can log in without a prompt.
func (b *bundle) authURL(path string) string {
	return strings.Replace(b.base, "http://", "http://ops:pw@", 1) + path
}

// render loads url in a fresh headless Chromium and returns the DOM once
// the page's scripts have run (virtual time: no wall-clock wait).
func render(t *testing.T, bin, url string, extra ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := append(chromiumFlags(t), "--window-size=1440,900", "--virtual-time-budget=8000")
	out, err := exec.CommandContext(ctx, bin, append(append(args, extra...), url)...).Output()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		t.Fatalf("chromium %s: %v\n%s", url, err, exit.Stderr)
	}
	require.NoError(t, err)
	return string(out)
}

// Hyphenated task IDs, as smsq's producers choose them, in the archived and
// completed lists: the lists must show them whole (asynqmon's own bundle
// shows "otp" for "otp-42").
var (
	completedIDs = []string{"otp-42", "camp-7-1", "camp-7-2"}
	archivedIDs  = []string{"otp-43", "camp-8-1", "0b0c4a52-7d1e-4c1b-9f3a-2f6a1d1e9a10"}
)

// populate runs a tiny asynq server on the bundle's Redis until the tasks
// are completed (kept by their retention) and archived (SkipRetry).
func (b *bundle) populate(t *testing.T) {
	t.Helper()
	srv := asynq.NewServer(b.connOpt, asynq.Config{Concurrency: 2, Queues: map[string]int{"default": 1}, LogLevel: asynq.FatalLevel})
	mux := asynq.NewServeMux()
	mux.HandleFunc("sms:send", func(context.Context, *asynq.Task) error { return nil })
	mux.HandleFunc("sms:refused", func(context.Context, *asynq.Task) error {
		return fmt.Errorf("code 33, insufficient credit: %w", asynq.SkipRetry)
	})
	require.NoError(t, srv.Start(mux))
	defer srv.Shutdown()
	for _, id := range completedIDs {
		_, err := b.client.Enqueue(asynq.NewTask("sms:send", []byte(`{"to":["33612345678"],"message":"Votre code : 4242"}`)),
			asynq.TaskID(id), asynq.Retention(24*time.Hour))
		require.NoError(t, err)
	}
	for _, id := range archivedIDs {
		_, err := b.client.Enqueue(asynq.NewTask("sms:refused", []byte(`{"to":["33611111111"],"message":"Soldes -30 %"}`)),
			asynq.TaskID(id), asynq.MaxRetry(3))
		require.NoError(t, err)
	}
	// Waiting in queues no server of this test serves: the dashboard shows three queues.
	for q, id := range map[string]string{"critical": "otp-44", "low": "camp-9-1"} {
		_, err := b.client.Enqueue(asynq.NewTask("sms:send", []byte(`{"to":["33612345678"]}`)), asynq.TaskID(id), asynq.Queue(q))
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool {
		for _, id := range completedIDs {
			if b.state(t, id) != "completed" {
				return false
			}
		}
		for _, id := range archivedIDs {
			if b.state(t, id) != "archived" {
				return false
			}
		}
		return true
	}, 30*time.Second, 20*time.Millisecond)
}

// fromModuleRoot resolves a relative dir against the module's root, so that
// SCREENSHOT_DIR=docs means the repository's docs/ (go test runs in the
// package's directory).
func fromModuleRoot(t *testing.T, dir string) string {
	t.Helper()
	if filepath.IsAbs(dir) {
		return dir
	}
	root, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			return filepath.Join(root, dir)
		}
		parent := filepath.Dir(root)
		require.NotEqual(t, root, parent, "no go.mod above the test's directory")
		root = parent
	}
}

// shownAs returns the texts of the page that start like id (up to its first
// "-"): what the list shows instead of id.
func shownAs(dom, id string) []string {
	prefix, _, _ := strings.Cut(id, "-")
	var texts []string
	for _, m := range regexp.MustCompile(`>(`+regexp.QuoteMeta(prefix)+`[^<]*)<`).FindAllStringSubmatch(dom, -1) {
		texts = append(texts, m[1])
	}
	return texts
}

// The web UI renders in a real browser, behind basic auth and the
// cross-site protection, and its lists show whole task IDs.
// SCREENSHOT_DIR=docs keeps the screenshots (docs/monitoring*.png).
func TestListsShowWholeTaskIDsInBrowser(t *testing.T) {
	t.Parallel()
	bin := chromium(t)
	b := setup(t)
	b.populate(t)

	for _, page := range []struct {
		status string
		ids    []string
	}{
		{"completed", completedIDs},
		{"archived", archivedIDs},
	} {
		dom := render(t, bin, b.authURL("/monitoring/queues/default?status="+page.status), "--dump-dom")
		require.Contains(t, dom, page.status+" tasks table", "the %s list rendered", page.status)
		for _, id := range page.ids {
			require.True(t, strings.Contains(dom, ">"+id+"<"), "%s list: task %s not shown whole; the page shows %q",
				page.status, id, shownAs(dom, id))
		}
	}
	dom := render(t, bin, b.authURL("/monitoring/"), "--dump-dom")
	for _, q := range []string{"critical", "default", "low"} {
		require.Contains(t, dom, ">"+q+"<", "the dashboard lists queue %s", q)
	}

	dir := t.TempDir()
	if d := os.Getenv("SCREENSHOT_DIR"); d != "" {
		dir = fromModuleRoot(t, d)
	}
	for name, path := range map[string]string{
		"monitoring.png":           "/monitoring/",
		"monitoring-completed.png": "/monitoring/queues/default?status=completed",
		"monitoring-archived.png":  "/monitoring/queues/default?status=archived",
	} {
		shot, err := filepath.Abs(filepath.Join(dir, name))
		require.NoError(t, err)
		render(t, bin, b.authURL(path), "--screenshot="+shot)
		st, err := os.Stat(shot)
		require.NoError(t, err)
		require.Greater(t, st.Size(), int64(10_000), "%s: a real picture, not an empty page", name)
	}
}

// The protections do not break the UI: an operator's clicks on Pause, Run
// All (no body) and a batch Delete (JSON body) still change the queue.
func TestUIActionsStillWorkInBrowser(t *testing.T) {
	t.Parallel()
	bin := chromium(t)
	b := setup(t)
	b.archived(t, "camp-9-1")
	b.enqueue(t, "otp-50")
	br := startBrowser(t, bin)

	// Run All on the archived list: POST archived_tasks:run_all, no body.
	br.navigate(b.authURL("/monitoring/queues/default?status=archived"))
	br.waitFor(`[...document.querySelectorAll("td, th")].some(c => c.textContent.startsWith("camp-9-1"))`)
	br.waitFor(`(() => { const m = document.querySelector('[aria-label="actions"]'); m && m.click(); return m; })()`)
	br.waitFor(`(() => { const i = [...document.querySelectorAll('#action-menu li')].find(li => li.textContent === "Run All");
		i && i.click(); return i; })()`)
	require.Eventually(t, func() bool { return b.state(t, "camp-9-1") == "pending" }, 30*time.Second, 20*time.Millisecond,
		"Run All from the UI made the archived task pending")

	// Select all pending tasks, then Delete: POST pending_tasks:batch_delete, JSON.
	br.navigate(b.authURL("/monitoring/queues/default?status=pending"))
	br.waitFor(`[...document.querySelectorAll("td, th")].some(c => c.textContent.startsWith("otp-50"))`)
	br.waitFor(`(() => { const c = document.querySelector('input[aria-label="select all tasks shown in the table"]'); c && c.click(); return c; })()`)
	br.waitFor(`(() => { const d = document.querySelector('button[title="Delete"]'); d && d.click(); return d; })()`)
	require.Eventually(t, func() bool { return b.state(t, "otp-50") == "gone" && b.state(t, "camp-9-1") == "gone" }, 30*time.Second, 20*time.Millisecond,
		"the batch delete from the UI deleted the selected tasks")

	// Pause from the dashboard: the icons appear on hover.
	b.enqueue(t, "otp-51")
	br.navigate(b.authURL("/monitoring/"))
	br.waitFor(`(() => { const row = [...document.querySelectorAll('[aria-label="queues overview table"] tbody tr')].find(r => r.textContent.startsWith("default"));
		if (!row) return null;
		const cell = row.lastElementChild;
		cell.dispatchEvent(new MouseEvent("mouseover", {bubbles: true}));
		const p = cell.querySelector('button[title="Pause"]');
		p && p.click();
		return p; })()`)
	require.Eventually(t, func() bool { return b.paused(t) }, 30*time.Second, 20*time.Millisecond, "Pause from the UI paused the queue")
	require.NotContains(t, b.logs.String(), "refused", "no request of the UI was refused")
}

// The black-box review's attacks, in a real browser: the operator is logged
// in to the UI, then opens hostile pages on another site that submit forms
// to the UI. Chromium attaches the cached credentials to a form submitted at
// the top level (without the protection, each page below does its harm: the
// queue paused, the archived send pending again, the OTP deleted); the UI
// must refuse them before they reach asynqmon.
func TestHostilePagesCannotChangeQueuesInBrowser(t *testing.T) {
	t.Parallel()
	bin := chromium(t)
	b := setup(t)
	b.archived(t, "camp-10-1")
	b.enqueue(t, "otp-60")
	ui := b.base + "/monitoring/api/queues/default"
	forms := map[string]string{
		"pause": `<form method="POST" action="` + ui + `:pause"><input name="x" value="y"></form>`,
		"run":   `<form method="POST" enctype="text/plain" action="` + ui + `/archived_tasks:run_all"><input name="x" value="y"></form>`,
		// text/plain sends name=value: {"task_ids":["otp-60"]}=, which asynqmon decodes as JSON.
		"delete": `<form method="POST" enctype="text/plain" action="` + ui + `/pending_tasks:batch_delete"><input name='{"task_ids":["otp-60"]}' value=""></form>`,
	}
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html>%s<script>document.forms[0].submit()</script>", forms[r.URL.Query().Get("attack")])
	}))
	t.Cleanup(evil.Close)
	// localhost and 127.0.0.1 are different sites: a cross-site attack.
	evilURL := strings.Replace(evil.URL, "127.0.0.1", "localhost", 1)

	br := startBrowser(t, bin)
	br.navigate(b.authURL("/monitoring/queues/default?status=archived"))
	br.waitFor(`[...document.querySelectorAll("td, th")].some(c => c.textContent.startsWith("camp-10-1"))`)
	for i, attack := range []string{"pause", "run", "delete"} {
		br.navigate(evilURL + "/?attack=" + attack)
		require.Eventually(t, func() bool {
			return strings.Count(b.logs.String(), "state-changing request refused") == i+1
		}, 30*time.Second, 20*time.Millisecond, "%s: the forged request reached the UI and was refused:\n%s", attack, b.logs)
	}
	logs := b.logs.String()
	for _, path := range []string{"default:pause", "default/archived_tasks:run_all", "default/pending_tasks:batch_delete"} {
		require.Contains(t, logs, "path=/monitoring/api/queues/"+path+" ")
	}
	require.False(t, b.paused(t), "the queue still runs")
	require.Equal(t, "archived", b.state(t, "camp-10-1"), "the failed send is not sent again")
	require.Equal(t, "pending", b.state(t, "otp-60"), "the OTP is not deleted")
}
