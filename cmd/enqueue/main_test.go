package main

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/config"
	"github.com/smsq/smsq/internal/redistest"
)

// fixture is one test's private Redis, its environment and the CLI.
type fixture struct {
	tb   testing.TB
	srv  *redistest.Server
	insp *asynq.Inspector
}

// result is one run of the CLI.
type result struct {
	code           int
	stdout, stderr string
}

// setup starts a private Redis and points the environment at it. Every
// variable config.Load reads is cleared first, so the developer's
// environment does not leak into the tests.
func setup(tb testing.TB) *fixture {
	tb.Helper()
	srv := redistest.Start(tb)
	for _, name := range config.Vars() {
		tb.Setenv(name, "") // restored when the test ends
		os.Unsetenv(name)   // unset, not empty: empty overrides the defaults
	}
	tb.Setenv("REDIS_URL", srv.URL())
	tb.Setenv("SMSMODE_TIMEZONE", "Europe/Paris")
	tb.Setenv("SMSMODE_DEFAULT_REGION", "FR")
	insp := asynq.NewInspector(srv.ConnOpt())
	tb.Cleanup(func() { insp.Close() })
	return &fixture{tb: tb, srv: srv, insp: insp}
}

func (f *fixture) setenv(name, value string) { f.tb.Setenv(name, value) }

// run runs the CLI with args and an empty standard input.
func (f *fixture) run(args ...string) result { return f.runIn("", args...) }

// runIn runs the CLI with stdin as standard input.
func (f *fixture) runIn(stdin string, args ...string) result {
	f.tb.Helper()
	var out, errOut bytes.Buffer
	code := run(f.tb.Context(), args, strings.NewReader(stdin), &out, &errOut)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// tasks returns every pending task in Redis, by ID.
func (f *fixture) tasks() map[string]*asynq.TaskInfo {
	f.tb.Helper()
	queues, err := f.insp.Queues()
	require.NoError(f.tb, err)
	all := map[string]*asynq.TaskInfo{}
	for _, q := range queues {
		for _, list := range []func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error){
			f.insp.ListPendingTasks, f.insp.ListScheduledTasks,
		} {
			infos, err := list(q, asynq.PageSize(100_000))
			require.NoError(f.tb, err)
			for _, info := range infos {
				all[info.ID] = info
			}
		}
	}
	return all
}

// only returns the one task in Redis.
func (f *fixture) only() *asynq.TaskInfo {
	f.tb.Helper()
	all := f.tasks()
	require.Len(f.tb, all, 1)
	for _, info := range all {
		return info
	}
	return nil
}

func (f *fixture) requireNothingEnqueued() {
	f.tb.Helper()
	require.Empty(f.tb, f.tasks(), "nothing may be enqueued")
}

func decode[T any](tb testing.TB, info *asynq.TaskInfo) T {
	tb.Helper()
	var v T
	require.NoError(tb, json.Unmarshal(info.Payload, &v))
	return v
}

// requireOK checks exit 0 and returns the printed IDs.
func requireOK(tb testing.TB, r result) []string {
	tb.Helper()
	require.Equal(tb, 0, r.code, "stderr: %s", r.stderr)
	return strings.Fields(r.stdout)
}

// requireFails checks the exit code, that stderr is exactly one line
// containing each of want, and that stdout is empty.
func requireFails(tb testing.TB, r result, code int, want ...string) {
	tb.Helper()
	require.Equal(tb, code, r.code, "stdout: %q stderr: %q", r.stdout, r.stderr)
	require.Empty(tb, r.stdout)
	require.True(tb, strings.HasSuffix(r.stderr, "\n"), "stderr: %q", r.stderr)
	require.Equal(tb, 1, strings.Count(r.stderr, "\n"), "one line on stderr, got %q", r.stderr)
	require.True(tb, strings.HasPrefix(r.stderr, "enqueue: "), "stderr: %q", r.stderr)
	for _, w := range want {
		require.Contains(tb, r.stderr, w)
	}
}

func TestHelp(t *testing.T) {
	f := setup(t)
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		r := f.run(args...)
		require.Equal(t, 0, r.code, args)
		require.Empty(t, r.stderr)
		for _, cmd := range []string{"send", "voice", "batch", "status", "cancel"} {
			require.Contains(t, r.stdout, "enqueue "+cmd)
		}
		require.Contains(t, r.stdout, "Examples:")
	}
	wantFlags := map[string][]string{
		"send":   {"--to LIST", "--message TEXT", "--from SENDER", "--at TIME", "--ref REF", "--reply", "--encoding", "--stop", "--max-segments N", "--queue Q", "--id ID"},
		"voice":  {"--to LIST", "--message TEXT", "--title T", "--language L", "--at TIME", "--queue Q", "--id ID"},
		"batch":  {"--file ROWS.csv", "--from SENDER", "--at TIME", "--ref REF", "--reply", "--queue Q", "--id ID"},
		"status": {"status ID"},
		"cancel": {"cancel ID"},
	}
	for cmd, flags := range wantFlags {
		for _, args := range [][]string{{cmd, "--help"}, {cmd, "-h"}, {"help", cmd}, {cmd, "--queue", "x", "--help"}} {
			if cmd == "status" || cmd == "cancel" {
				args = slicesReplace(args, "--queue", "x")
			}
			r := f.run(args...)
			require.Equal(t, 0, r.code, "%v: %s", args, r.stderr)
			require.Empty(t, r.stderr)
			require.True(t, strings.HasPrefix(r.stdout, "Usage: enqueue "+cmd), r.stdout)
			require.Contains(t, r.stdout, "Examples:\n  enqueue "+cmd)
			for _, fl := range flags {
				require.Contains(t, r.stdout, fl, "%s help", cmd)
			}
		}
	}
	f.requireNothingEnqueued()
}

// slicesReplace drops the (flag, value) pair, for commands without flags.
func slicesReplace(args []string, flag, value string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		if args[i] == flag && i+1 < len(args) && args[i+1] == value {
			i++
			continue
		}
		out = append(out, args[i])
	}
	return out
}

func TestUsageErrors(t *testing.T) {
	f := setup(t)
	tests := []struct {
		args []string
		want []string
	}{
		{nil, []string{"missing command", "--help"}},
		{[]string{"sned"}, []string{`unknown command "sned"`, `"enqueue --help"`}},
		{[]string{"send", "--to", "0612345678", "--message", "x", "--bogus"}, []string{"unknown flag --bogus", `"enqueue send --help"`}},
		{[]string{"send", "--message", "x"}, []string{"missing --to", `"enqueue send --help"`}},
		{[]string{"send", "--to", "0612345678"}, []string{"missing --message"}},
		{[]string{"send", "--to", "0612345678", "--message"}, []string{"flag --message needs a value"}},
		{[]string{"send", "--to", "0612345678", "--message", "x", "--stop", "two"}, []string{`invalid --stop "two"`}},
		{[]string{"send", "--to", "0612345678", "--message", "x", "--reply=maybe"}, []string{`invalid --reply "maybe"`}},
		{[]string{"send", "--to", "0612345678", "--message", "x", "extra"}, []string{`unexpected argument "extra"`}},
		{[]string{"voice", "--message", "x"}, []string{"missing --to", `"enqueue voice --help"`}},
		{[]string{"batch"}, []string{"missing --file", `"enqueue batch --help"`}},
		{[]string{"status"}, []string{"missing ID", `"enqueue status --help"`}},
		{[]string{"status", "a", "b"}, []string{`unexpected argument "b"`}},
		{[]string{"cancel", "--force", "x"}, []string{"unknown flag --force"}},
	}
	for _, tt := range tests {
		requireFails(t, f.run(tt.args...), 2, tt.want...)
	}
	f.requireNothingEnqueued()
}

func TestMalformedConfig(t *testing.T) {
	f := setup(t)
	f.setenv("BATCH_CHUNK", "lots")
	requireFails(t, f.run("send", "--to", "0612345678", "--message", "x"), 2, "BATCH_CHUNK")
	f.setenv("BATCH_CHUNK", "1000")
	f.setenv("SMSMODE_TIMEZONE", "Mars/Olympus")
	requireFails(t, f.run("status", "x"), 2, "SMSMODE_TIMEZONE")
	f.requireNothingEnqueued()
}

func TestRedisUnreachable(t *testing.T) {
	f := setup(t)
	f.srv.Stop()
	for _, args := range [][]string{
		{"send", "--to", "0612345678", "--message", "x"},
		{"voice", "--to", "0612345678", "--message", "x"},
		{"status", "x"},
		{"cancel", "x"},
	} {
		requireFails(t, f.run(args...), 1, "Redis unreachable")
	}
	f.srv.Restart()
	f.requireNothingEnqueued()
}

// closedPort returns a loopback port nothing listens on.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())
	return strconv.Itoa(port)
}

func TestRedisPasswordNeverPrinted(t *testing.T) {
	f := setup(t)
	const password = "Pa55-w0rd-never-shown"
	f.srv.Kill()
	urls := []string{
		"redis://:" + password + "@127.0.0.1:" + closedPort(t) + "/0",
		"redis://user:" + password + "@127.0.0.1:" + closedPort(t) + "/3",
		"redis-socket://:" + password + "@" + f.srv.Addr(),
	}
	csv := writeFile(t, "rows.csv", "0612345678,Bonjour,\n")
	for _, u := range urls {
		f.setenv("REDIS_URL", u)
		for _, args := range [][]string{
			{"send", "--to", "0612345678", "--message", "x"},
			{"batch", "--file", csv},
			{"status", "x"},
			{"cancel", "x"},
		} {
			r := f.run(args...)
			requireFails(t, r, 1, "Redis unreachable (REDIS_URL)")
			require.NotContains(t, r.stderr, password)
			require.NotContains(t, r.stderr, u)
		}
	}
	// A malformed URL is named, not quoted.
	f.setenv("REDIS_URL", "mysql://root:"+password+"@db/0")
	r := f.run("send", "--to", "0612345678", "--message", "x")
	requireFails(t, r, 2, "REDIS_URL")
	require.NotContains(t, r.stderr, password)
}

func TestScrubSecrets(t *testing.T) {
	cfg := &config.Config{RedisURL: "redis://u:s%40cret@h:6379/0", SmsmodeAccessToken: "tok-123456"}
	got := scrubSecrets("dial redis://u:s%40cret@h:6379/0 failed: s@cret s%40cret tok-123456", cfg)
	require.NotContains(t, got, "cret")
	require.NotContains(t, got, "tok-123456")
}

func TestFlagErrorText(t *testing.T) {
	got := []string{}
	for _, args := range [][]string{{"--x"}, {"--to"}, {"--stop=a"}, {"--reply=z"}} {
		fs := newFlagSet("send")
		fs.String("to", "", "", "")
		fs.Int("stop", 0, "", "")
		fs.Bool("reply", false, "")
		got = append(got, flagErrorText(fs.Parse(args)))
	}
	sort.Strings(got)
	require.Equal(t, []string{
		"flag --to needs a value",
		`invalid --reply "z": want true or false`,
		`invalid --stop "a": not a whole number`,
		"unknown flag --x",
	}, got)
}

func TestMain(m *testing.M) {
	redis.SetLogger(silentLogger{}) // as main does: failures are reported by the CLI
	os.Exit(m.Run())
}
