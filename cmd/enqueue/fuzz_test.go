package main

import (
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/tasks"
)

// FuzzBatchFile reads any file as `enqueue batch --file` does and checks it
// the way the command does before touching Redis: no panic; a refusal is
// exit 2 with one line that names the file (and the line of a bad row); rows
// read are valid UTF-8, trimmed, in file order.
func FuzzBatchFile(f *testing.F) {
	// More seeds live in testdata/fuzz/FuzzBatchFile.
	f.Add([]byte("numero,message,emetteur\n0612345678,Bonjour Anne,Shop\n"))
	f.Add([]byte("\xef\xbb\xbf+33612345678,\"Soldes, -50 %\",Shop,ref-1\r\n0612345679,\"Deux\nlignes\",,\n"))
	f.Add([]byte("0612345678,Caf\xe9 \xa4 \x80 offert,Shop\n"))
	f.Add([]byte("numero;message;emetteur\n0612345678;Bonjour;Shop\n"))
	f.Add([]byte("0612345678,\"unterminated\n"))
	f.Fuzz(func(t *testing.T, file []byte) {
		a := &app{stderr: io.Discard}
		rows, lines, err := a.readRows("rows.csv", strings.NewReader(string(file)))
		if err != nil {
			requireRefusal(t, err)
			return
		}
		require.NotEmpty(t, rows)
		require.Len(t, lines, len(rows))
		for i, r := range rows {
			if i > 0 {
				require.Greater(t, lines[i], lines[i-1], "rows are in file order, one record per line at least")
			}
			for _, s := range []string{r.To, r.Message, r.Sender, r.Ref} {
				require.True(t, utf8.ValidString(s), "%q is UTF-8 (ISO-8859-15 is decoded)", s)
			}
			require.Equal(t, strings.TrimSpace(r.To), r.To)
			require.Equal(t, strings.TrimSpace(r.Sender), r.Sender)
		}
		p := tasks.BatchPayload{Rows: rows}
		if _, err := p.Prepare("FR"); err != nil {
			err = batchValidationError(err, "rows.csv", lines)
			requireRefusal(t, err)
		}
	})
}

func requireRefusal(t *testing.T, err error) {
	t.Helper()
	var ce *cliError
	require.True(t, errors.As(err, &ce), "%T %v", err, err)
	require.Equal(t, exitInvalid, ce.code, "bad input exits 2: %v", err)
	require.Contains(t, ce.msg, "rows.csv")
	require.NotContains(t, ce.msg, "\n", "one line")
}
