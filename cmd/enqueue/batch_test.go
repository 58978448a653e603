package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/charmap"

	"github.com/smsq/smsq/tasks"
)

func writeFile(tb testing.TB, name, content string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), name)
	require.NoError(tb, os.WriteFile(path, []byte(content), 0o600))
	return path
}

func latin9(tb testing.TB, s string) string {
	tb.Helper()
	b, err := charmap.ISO8859_15.NewEncoder().String(s)
	require.NoError(tb, err)
	return b
}

// genRows returns n valid rows without header.
func genRows(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "06%08d,Bonjour client %d : votre commande est prête,MYSHOP,ref-%d\n", i, i, i)
	}
	return b.String()
}

func (f *fixture) batchRows(ids ...string) [][]tasks.BatchRow {
	f.tb.Helper()
	all := f.tasks()
	require.Len(f.tb, all, len(ids))
	var out [][]tasks.BatchRow
	for _, id := range ids {
		info, ok := all[id]
		require.True(f.tb, ok, "task %s", id)
		require.Equal(f.tb, tasks.TypeBatch, info.Type)
		out = append(out, decode[tasks.BatchPayload](f.tb, info).Rows)
	}
	return out
}

func TestBatchUTF8(t *testing.T) {
	f := setup(t)
	csv := "\ufeffnumero,message,emetteur,refClient\n" +
		"06 12 34 56 78,Bonjour Zoé,MYSHOP,c-1\n" +
		`"+33 6 98 76 54 32","Votre code, enfin : 4821 €",,` + "\n" +
		"\n" + // blank lines are skipped
		"0756123456,\"Deux\nlignes\",SHOP2\n" +
		"0612345679,sans émetteur\n"
	r := f.run("batch", "--file", writeFile(t, "rows.csv", csv), "--from", "DEFAULT", "--ref", "spring",
		"--at", "2026-12-24 18:30", "--id", "camp")
	require.Equal(t, []string{"camp-1"}, requireOK(t, r))
	require.Empty(t, r.stderr)
	info := f.tasks()["camp-1"]
	require.Equal(t, "low", info.Queue, "batches default to the low queue")
	p := decode[tasks.BatchPayload](t, info)
	require.Equal(t, "DEFAULT", p.Sender)
	require.Equal(t, "spring", p.Ref)
	require.Equal(t, "2026-12-24T17:30:00Z", p.SendAt.UTC().Format("2006-01-02T15:04:05Z"))
	require.Equal(t, []tasks.BatchRow{
		{To: "33612345678", Message: "Bonjour Zoé", Sender: "MYSHOP", Ref: "c-1"},
		{To: "33698765432", Message: "Votre code, enfin : 4821 €"},
		{To: "33756123456", Message: "Deux\nlignes", Sender: "SHOP2"},
		{To: "33612345679", Message: "sans émetteur"},
	}, p.Rows)
}

func TestBatchLatin9(t *testing.T) {
	want := []tasks.BatchRow{
		{To: "33612345678", Message: "Café à 2 € ? Œuvre", Sender: "MYSHOP"},
		{To: "33698765432", Message: "Fenêtre ouverte", Sender: "MYSHOP", Ref: "r-2"},
	}
	body := "0612345678,Café à 2 € ? Œuvre,MYSHOP\n\"0698765432\",\"Fenêtre ouverte\",\"MYSHOP\",\"r-2\"\n"
	for name, content := range map[string]string{
		"with header":    latin9(t, "NUMERO;x,message,emetteur,refClient\n"+body),
		"without header": latin9(t, body),
	} {
		t.Run(name, func(t *testing.T) {
			f := setup(t)
			require.False(t, bytes.Equal([]byte(content), []byte(body)), "the file is not UTF-8")
			r := f.run("batch", "--file", writeFile(t, "latin9.csv", content), "--id", "l9")
			require.Equal(t, []string{"l9-1"}, requireOK(t, r))
			require.Equal(t, [][]tasks.BatchRow{want}, f.batchRows("l9-1"))
		})
	}
}

func TestBatchWindows1252(t *testing.T) {
	f := setup(t)
	// Excel's "CSV" on a French Windows: € is 0x80 and ’ is 0x92 there.
	content, err := charmap.Windows1252.NewEncoder().String("0612345678,L’offre à 5 € …,MYSHOP\n")
	require.NoError(t, err)
	requireOK(t, f.run("batch", "--file", writeFile(t, "ansi.csv", content), "--id", "w"))
	require.Equal(t, "L’offre à 5 € …", f.batchRows("w-1")[0][0].Message)
}

func TestBatchFromStdin(t *testing.T) {
	f := setup(t)
	r := f.runIn("numero,message,emetteur\n0612345678,Bonjour,MYSHOP\n", "batch", "--file", "-", "--queue", "default")
	ids := requireOK(t, r)
	require.Len(t, ids, 1)
	require.True(t, strings.HasSuffix(ids[0], "-1"), ids[0])
	require.Equal(t, "default", f.tasks()[ids[0]].Queue)
}

func TestBatchChunks(t *testing.T) {
	f := setup(t)
	f.setenv("BATCH_CHUNK", "1000")
	file := writeFile(t, "rows.csv", "numero,message,emetteur,refClient\n"+genRows(2500))
	r := f.run("batch", "--file", file, "--id", "promo")
	require.Equal(t, []string{"promo-1", "promo-2", "promo-3"}, requireOK(t, r))
	require.Empty(t, r.stderr, "no progress line when stderr is not a terminal")
	chunks := f.batchRows("promo-1", "promo-2", "promo-3")
	require.Len(t, chunks[0], 1000)
	require.Len(t, chunks[1], 1000)
	require.Len(t, chunks[2], 500)
	require.Equal(t, tasks.BatchRow{To: "33600000000", Message: "Bonjour client 0 : votre commande est prête", Sender: "MYSHOP", Ref: "ref-0"}, chunks[0][0])
	require.Equal(t, "33600002499", chunks[2][499].To)

	// Again with the same ID: nothing enqueued twice.
	r = f.run("batch", "--file", file, "--id", "promo")
	require.Equal(t, []string{"promo-1", "promo-2", "promo-3"}, requireOK(t, r))
	require.Equal(t, "enqueue: task ID already exists; nothing enqueued\n", r.stderr)
	require.Len(t, f.tasks(), 3)

	// Without --id: chunk IDs of one new base.
	f.setenv("BATCH_CHUNK", "1")
	ids := requireOK(t, f.run("batch", "--file", writeFile(t, "small.csv", genRows(3))))
	require.Len(t, ids, 3)
	base := strings.TrimSuffix(ids[0], "-1")
	require.Equal(t, []string{base + "-1", base + "-2", base + "-3"}, ids)
	require.Len(t, f.tasks(), 6)
}

func TestBatchPartialDuplicate(t *testing.T) {
	f := setup(t)
	f.setenv("BATCH_CHUNK", "2")
	requireOK(t, f.run("batch", "--file", writeFile(t, "a.csv", genRows(2)), "--id", "p"))
	r := f.run("batch", "--file", writeFile(t, "b.csv", genRows(5)), "--id", "p")
	require.Equal(t, []string{"p-1", "p-2", "p-3"}, requireOK(t, r))
	require.Equal(t, "enqueue: 1 of 3 chunk IDs already existed; enqueued only the other 2\n", r.stderr)
	require.Len(t, f.tasks(), 3)
}

func TestBatchInvalidRow(t *testing.T) {
	f := setup(t)
	f.setenv("BATCH_CHUNK", "10")
	rows := strings.Split(genRows(40), "\n")
	rows[5] = `0612345600,"a message` + "\n" + `on two lines",SHOP` // line 7-8 (after the header)
	rows[33] = "06 12,Bonjour,SHOP"                                 // line 36: chunk 4, row 3
	content := "numero,message,emetteur,refClient\n" + strings.Join(rows, "\n")
	r := f.run("batch", "--file", writeFile(t, "ROWS.csv", content), "--id", "bad")
	requireFails(t, r, 2, "ROWS.csv line 36: invalid to:", `"06 12"`, "too short")
	f.requireNothingEnqueued()

	// Several bad rows in several chunks (checked in parallel): the first
	// one in the file is reported.
	for range 5 {
		rows[38] = "0612345678,,SHOP"   // line 41, chunk 4
		rows[17] = "0612345678,,SHOP"   // line 20, chunk 2
		rows[19] = "+999 12,Hello,SHOP" // line 22, chunk 2
		content = "numero,message,emetteur,refClient\n" + strings.Join(rows, "\n")
		r = f.run("batch", "--file", writeFile(t, "ROWS.csv", content))
		requireFails(t, r, 2, "ROWS.csv line 20: invalid message: empty")
	}
	f.requireNothingEnqueued()

	tests := []struct {
		name, content string
		want          []string
	}{
		{"empty message", "0612345678,Bonjour,SHOP\n0612345679,,SHOP\n", []string{"line 2: invalid message: empty"}},
		{"bad sender", "0612345678,Bonjour,SHOP\n0612345679,Bonjour,WAYTOOLONGSENDER\n", []string{"line 2: invalid sender:"}},
		{"too long", "0612345678," + strings.Repeat("a", 900) + ",SHOP\n", []string{"line 1: invalid message:", "segments"}},
		{"unicode", "numero,message\n0612345678,Bonjour 日本\n", []string{"line 2: invalid message:"}},
		{"too many fields", "0612345678,Bonjour, à demain,SHOP,ref\n", []string{"line 1: 5 fields"}},
		{"one field", "0612345678\n", []string{"line 1: 1 fields"}},
		{"semicolons", "numero;message\n0612345678;Bonjour\n", []string{"line 2: 1 fields", "not semicolons"}},
		{"directory", "", nil},
		{"no rows", "numero,message,emetteur\n", []string{"no rows"}},
		{"empty file", "", []string{"no rows"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := writeFile(t, "f.csv", tt.content)
			if tt.name == "directory" {
				file, tt.want = filepath.Dir(file), []string{"cannot read", "is a directory"}
			}
			requireFails(t, f.run("batch", "--file", file), 2, tt.want...)
			f.requireNothingEnqueued()
		})
	}

	requireFails(t, f.run("batch", "--file", writeFile(t, "f.csv", "0612345678,Bonjour\n"), "--from", "SHOP", "--reply"), 2, "invalid sender (--from):")
	requireFails(t, f.run("batch", "--file", filepath.Join(t.TempDir(), "missing.csv")), 2, "--file:", "missing.csv", "no such file")
	requireFails(t, f.run("batch", "--file", writeFile(t, "f.csv", "0612345678,Bonjour\n"), "--at", "soon"), 2, "invalid --at")
	f.requireNothingEnqueued()
}

func TestBatchRedisDown(t *testing.T) {
	f := setup(t)
	file := writeFile(t, "rows.csv", genRows(3))
	f.srv.Kill() // Stop (SHUTDOWN) takes over a second; TestRedisUnreachable covers it
	requireFails(t, f.run("batch", "--file", file), 1, "Redis unreachable")
	// Invalid rows are reported as such even when Redis is down.
	requireFails(t, f.run("batch", "--file", writeFile(t, "bad.csv", "06,x,SHOP\n")), 2, "line 1: invalid to:")
}

func TestBatchProgressOnTerminal(t *testing.T) {
	var stderr bytes.Buffer
	a := &app{stderr: &stderr, progress: true}
	rows, lines, err := a.readRows("rows.csv", strings.NewReader(genRows(2*progressEvery+1)))
	require.NoError(t, err)
	require.Len(t, rows, 2*progressEvery+1)
	require.Equal(t, 2*progressEvery+1, lines[len(lines)-1])
	require.Equal(t, fmt.Sprintf("\renqueue: %d rows read\renqueue: %d rows read\renqueue: %d rows read\n",
		progressEvery, 2*progressEvery, 2*progressEvery+1), stderr.String())

	stderr.Reset()
	a.progress = false
	_, _, err = a.readRows("rows.csv", strings.NewReader(genRows(2*progressEvery)))
	require.NoError(t, err)
	require.Empty(t, stderr.String())
}
