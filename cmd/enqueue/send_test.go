package main

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/tasks"
)

func TestSend(t *testing.T) {
	f := setup(t)
	r := f.run("send", "--to", "06 12 34 56 78, +33 6 98 76 54 32", "--message", "Votre code : 4821",
		"--from", "MYSHOP", "--ref", "order-42", "--at", "2026-12-24 18:30", "--stop", "1", "--max-segments", "2")
	ids := requireOK(t, r)
	require.Len(t, ids, 1)
	require.Empty(t, r.stderr)

	info := f.only()
	require.Equal(t, ids[0], info.ID)
	require.Equal(t, tasks.TypeSend, info.Type)
	require.Equal(t, "default", info.Queue)
	require.Equal(t, 21, info.MaxRetry, "MAX_RETRY 20, and one asynq retry kept in hand for rate-limited runs")
	p := decode[tasks.SendPayload](t, info)
	require.Equal(t, []string{"33612345678", "33698765432"}, p.To, "numbers are stored international")
	require.Equal(t, "Votre code : 4821", p.Message)
	require.Equal(t, "MYSHOP", p.Sender)
	require.Equal(t, "order-42", p.Ref)
	require.Equal(t, "auto", p.Encoding)
	require.Equal(t, 1, p.Stop)
	require.Equal(t, 2, p.MaxSegments)
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	require.True(t, time.Date(2026, 12, 24, 18, 30, 0, 0, paris).Equal(p.SendAt), "got %v", p.SendAt)
	_, offset := p.SendAt.Zone()
	require.Equal(t, 3600, offset, "winter time in Paris")
}

func TestSendFlagForms(t *testing.T) {
	f := setup(t)
	f.setenv("MAX_RETRY", "3")
	// --flag=value, flags in any order, single dash, RFC3339, summer time.
	r := f.run("send", "--queue=critical", "-message=Bonjour", "--reply", "--to=+33612345678",
		"--encoding", "gsm", "--at=2026-07-01T09:00:00+02:00", "--id", "otp-1")
	require.Equal(t, []string{"otp-1"}, requireOK(t, r))
	info := f.only()
	require.Equal(t, "otp-1", info.ID)
	require.Equal(t, "critical", info.Queue)
	require.Equal(t, 4, info.MaxRetry, "MAX_RETRY 3, and one kept in hand")
	p := decode[tasks.SendPayload](t, info)
	require.True(t, p.Reply)
	require.Equal(t, "gsm", p.Encoding)
	require.Equal(t, "2026-07-01T07:00:00Z", p.SendAt.UTC().Format(time.RFC3339))
}

func TestSendLocalTimeAcrossDST(t *testing.T) {
	f := setup(t)
	requireOK(t, f.run("send", "--to", "0612345678", "--message", "x", "--at", "2026-07-01 09:00", "--id", "summer"))
	p := decode[tasks.SendPayload](t, f.only())
	require.Equal(t, "2026-07-01T07:00:00Z", p.SendAt.UTC().Format(time.RFC3339), "09:00 CEST")

	f.setenv("SMSMODE_TIMEZONE", "America/New_York")
	requireOK(t, f.run("send", "--to", "0612345678", "--message", "x", "--at", "2026-01-15 09:00", "--id", "ny"))
	p = decode[tasks.SendPayload](t, f.tasks()["ny"])
	require.Equal(t, "2026-01-15T14:00:00Z", p.SendAt.UTC().Format(time.RFC3339))
}

func TestSendWithIDAndDuplicate(t *testing.T) {
	f := setup(t)
	args := []string{"send", "--to", "0612345678", "--message", "Votre colis arrive", "--id", "order-42-shipped"}
	r := f.run(args...)
	require.Equal(t, []string{"order-42-shipped"}, requireOK(t, r))
	require.Empty(t, r.stderr)

	// A producer retrying: same ID, exit 0, a note, still one task.
	r = f.run(args...)
	require.Equal(t, []string{"order-42-shipped"}, requireOK(t, r))
	require.Equal(t, "enqueue: task ID already exists; nothing enqueued\n", r.stderr)
	require.Equal(t, "order-42-shipped", f.only().ID)

	// Even with different content, the first task stands.
	r = f.run("send", "--to", "0698765432", "--message", "other", "--id", "order-42-shipped")
	require.Equal(t, 0, r.code)
	require.Equal(t, "Votre colis arrive", decode[tasks.SendPayload](t, f.only()).Message)
}

func TestSendMessageFromStdin(t *testing.T) {
	f := setup(t)
	for in, want := range map[string]string{
		"Bonjour,\nà demain\n": "Bonjour,\nà demain",
		"CRLF\r\n":             "CRLF",
		"two newlines\n\n":     "two newlines\n",
		"no newline":           "no newline",
	} {
		id := strings.Fields(want)[0]
		requireOK(t, f.runIn(in, "send", "--to", "0612345678", "--message", "-", "--id", id))
		require.Equal(t, want, decode[tasks.SendPayload](t, f.tasks()[id]).Message)
	}
	requireFails(t, f.runIn("\n", "send", "--to", "0612345678", "--message", "-"), 2, "invalid message: empty")
}

func TestSendInvalid(t *testing.T) {
	f := setup(t)
	long := strings.Repeat("Lorem ipsum dolor sit amet. ", 20) // 560 GSM characters: 4 segments
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"bad number", []string{"--to", "0612345678,06 12", "--message", "x"}, []string{`enqueue: invalid to: entry 2 "06 12": too short`}},
		{"letters", []string{"--to", "hello", "--message", "x"}, []string{"invalid to:", `"hello"`}},
		{"empty message", []string{"--to", "0612345678", "--message", ""}, []string{"invalid message: empty"}},
		{"blank message", []string{"--to", "0612345678", "--message", "   "}, []string{"invalid message: empty"}},
		{"sender too long", []string{"--to", "0612345678", "--message", "x", "--from", "MYSHOPISTOOLONG"}, []string{"invalid sender (--from):", "11"}},
		{"reply with sender", []string{"--to", "0612345678", "--message", "x", "--from", "MYSHOP", "--reply"}, []string{"(--from)", "reply"}},
		{"too many segments", []string{"--to", "0612345678", "--message", long, "--max-segments", "3"}, []string{"invalid message:", "needs 4 segments", "3"}},
		{"default 5 segments", []string{"--to", "0612345678", "--message", long + long}, []string{"needs 8 segments"}},
		{"bad at", []string{"--to", "0612345678", "--message", "x", "--at", "tomorrow 9am"}, []string{`invalid --at "tomorrow 9am"`, "RFC3339", "YYYY-MM-DD HH:MM"}},
		{"bad at date", []string{"--to", "0612345678", "--message", "x", "--at", "2026-02-30 10:00"}, []string{"invalid --at"}},
		{"bad encoding", []string{"--to", "0612345678", "--message", "x", "--encoding", "utf8"}, []string{"invalid encoding:", "utf8"}},
		{"bad stop", []string{"--to", "0612345678", "--message", "x", "--stop", "3"}, []string{"invalid stop:"}},
		{"bad max segments", []string{"--to", "0612345678", "--message", "x", "--max-segments", "11"}, []string{"invalid max_segments (--max-segments):"}},
		{"bad ref", []string{"--to", "0612345678", "--message", "x", "--ref", strings.Repeat("r", 41)}, []string{"invalid ref:"}},
		{"reply not gsm", []string{"--to", "0612345678", "--message", "日本", "--reply"}, []string{"invalid message:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requireFails(t, f.run(append([]string{"send"}, tt.args...)...), 2, tt.want...)
			f.requireNothingEnqueued()
		})
	}
}

// Invalid input is reported as such even when Redis is down.
func TestSendInvalidWithRedisDown(t *testing.T) {
	f := setup(t)
	f.srv.Kill() // Stop (SHUTDOWN) takes over a second; TestRedisUnreachable covers it
	requireFails(t, f.run("send", "--to", "06 12", "--message", "x"), 2, "invalid to:")
}

func TestVoice(t *testing.T) {
	f := setup(t)
	r := f.run("voice", "--to", "06 12 34 56 78", "--message", "Votre code est 4 8 2 1",
		"--title", "Code", "--language", "fr-FR", "--at", "2026-03-29 03:30", "--queue", "critical", "--id", "v1")
	require.Equal(t, []string{"v1"}, requireOK(t, r))
	info := f.only()
	require.Equal(t, tasks.TypeVoice, info.Type)
	require.Equal(t, "critical", info.Queue)
	p := decode[tasks.VoicePayload](t, info)
	require.Equal(t, []string{"33612345678"}, p.To)
	require.Equal(t, "Votre code est 4 8 2 1", p.Message)
	require.Equal(t, "Code", p.Title)
	require.Equal(t, "fr-FR", p.Language)
	require.False(t, p.SendAt.IsZero())

	requireOK(t, f.runIn("Bonjour\n", "voice", "--to", "0612345678", "--message", "-", "--id", "v2"))
	require.Equal(t, "Bonjour", decode[tasks.VoicePayload](t, f.tasks()["v2"]).Message)
}

func TestVoiceInvalid(t *testing.T) {
	f := setup(t)
	requireFails(t, f.run("voice", "--to", "0612345678", "--message", "x", "--language", "fr"), 2, "invalid language:", `"fr"`)
	requireFails(t, f.run("voice", "--to", "0612345678", "--message", strings.Repeat("a", 161)), 2, "invalid message:", "160")
	requireFails(t, f.run("voice", "--to", "06", "--message", "x"), 2, "invalid to:")
	requireFails(t, f.run("voice", "--to", "0612345678", "--message", "x", "--at", "24/12/2026"), 2, "--at")
	f.requireNothingEnqueued()
}

func TestParseAt(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	for in, want := range map[string]string{
		"":                          "0001-01-01T00:00:00Z",
		"2026-12-24T18:30:00+01:00": "2026-12-24T17:30:00Z",
		"2026-12-24T18:30:00Z":      "2026-12-24T18:30:00Z",
		"2026-12-24 18:30":          "2026-12-24T17:30:00Z",
		" 2026-06-24 18:30 ":        "2026-06-24T16:30:00Z",
		"2026-06-24T18:30":          "2026-06-24T16:30:00Z",
	} {
		got, err := parseAt(in, paris)
		require.NoError(t, err, in)
		require.Equal(t, want, got.UTC().Format(time.RFC3339), in)
	}
	for _, in := range []string{"now", "2026-12-24", "18:30", "24/12/2026 18:30", "2026-12-24 25:00"} {
		_, err := parseAt(in, paris)
		require.ErrorContains(t, err, "invalid --at", in)
	}
}
