package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/smsmode/smsmodetest"
	"github.com/smsq/smsq/tasks/store"
)

// The exit-code contract, case by case, for every subcommand: 0 done, 1
// retry the same command later, 2 retrying as is cannot succeed.
func TestExitCodes(t *testing.T) {
	f := setup(t)
	ok := func(args ...string) result {
		t.Helper()
		r := f.run(args...)
		require.Equal(t, 0, r.code, "%v: %s", args, r.stderr)
		return r
	}
	send := []string{"send", "--to", "0612345678", "--message", "x"}

	// 0: enqueued; duplicate (same queue, another queue); dry run; status;
	// cancelled; already cancelled.
	ok(append(send, "--id", "a")...)
	r := ok(append(send, "--id", "a")...)
	require.Contains(t, r.stderr, "already exists")
	r = ok(append(send, "--id", "a", "--queue", "critical")...)
	require.Contains(t, r.stderr, "already exists", "an ID is unique across every queue")
	require.Equal(t, "default", f.only().Queue, "nothing enqueued in critical")
	r = ok(append(send, "--dry-run")...)
	require.Contains(t, r.stdout, "nothing enqueued")
	ok("status", "a")
	ok("cancel", "a")
	r = ok("cancel", "a")
	require.Contains(t, r.stdout, "already cancelled")
	ok("voice", "--to", "0612345678", "--message", "Votre code", "--id", "v")
	ok("batch", "--file", writeFile(t, "rows.csv", genRows(2)), "--id", "b")

	// 2: invalid input, unknown or reserved queue, unknown ID, too late.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{append(send[:3:3], "--message", ""), "message"},
		{append(send, "--queue", "nosuchqueue"), "invalid queue: \"nosuchqueue\""},
		{append(send, "--queue", "Critical"), "invalid queue: \"Critical\""},
		{append(send, "--queue", "events"), "reserved"},
		{append(send, "--valid-for", "soon"), "--valid-for"},
		{append(send, "--expires-at", "2020-01-01 10:00"), "expires_at"},
		{append(send, "--valid-for", "1m", "--expires-at", "2099-01-01 10:00"), "not both"},
		{[]string{"voice", "--to", "0612345678", "--message", "x", "--queue", "nosuchqueue"}, "queue"},
		{[]string{"batch", "--file", writeFile(t, "b.csv", genRows(1)), "--queue", "nosuchqueue"}, "queue"},
		{[]string{"status", "nope"}, `no task with ID "nope"`},
		{[]string{"cancel", "nope"}, `no task with ID "nope"`},
		{[]string{"send", "--nosuchflag"}, "unknown flag"},
		{[]string{"nosuchcommand"}, "unknown command"},
	} {
		requireFails(t, f.run(tc.args...), 2, tc.want)
	}
	ok(append(send, "--id", "now")...)
	f.accept(store.Acceptance{TaskID: "now", SMSID: "A1", Encoding: "gsm", Segments: 1})
	requireFails(t, f.run("cancel", "now"), 2, "too late", "immediate")

	// 1: sMsmode unreachable during a cancel; Redis unreachable.
	ok(append(send, "--id", "held")...)
	f.accept(store.Acceptance{TaskID: "held", SMSID: "B2", Encoding: "gsm", Segments: 1,
		DateEnvoi: "24122036-18:30", SendAt: time.Now().Add(24 * time.Hour)})
	f.setenv("SMSMODE_BASE_URL", "http://127.0.0.1:"+closedPort(t)+"/http/1.6/")
	f.setenv("SMSMODE_ACCESS_TOKEN", smsmodetest.AccessToken)
	requireFails(t, f.run("cancel", "held"), 1, "deleteSMS.do")
	f.srv.Kill()
	for _, args := range [][]string{append(send, "--id", "c"), {"status", "a"}, {"cancel", "a"},
		{"batch", "--file", writeFile(t, "c.csv", genRows(1))}, {"voice", "--to", "0612345678", "--message", "x"}} {
		r := f.run(args...)
		require.Equal(t, 1, r.code, "%v: %s", args, r.stderr)
		require.True(t, strings.Contains(r.stderr, "Redis"), "%v: %s", args, r.stderr)
	}
}
