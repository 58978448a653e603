package batchfile

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/tasks"
)

// FuzzBatchFile reads any file as `enqueue batch --file` and a CSV body of
// POST /v1/batches read it, both ways of decoding, and checks what their
// refusals rely on: no panic; a refusal is a *LineError naming a line and
// a one-line reason, or ErrNoRows (never a read error: the reader does not
// fail); rows read are valid UTF-8, trimmed, in file order; validation
// names a row that has a line.
func FuzzBatchFile(f *testing.F) {
	// More seeds live in testdata/fuzz/FuzzBatchFile.
	f.Add([]byte("numero,message,emetteur\n0612345678,Bonjour Anne,Shop\n"))
	f.Add([]byte("\xef\xbb\xbf+33612345678,\"Soldes, -50 %\",Shop,ref-1\r\n0612345679,\"Deux\nlignes\",,\n"))
	f.Add([]byte("0612345678,Caf\xe9 \xa4 \x80 offert,Shop\n"))
	f.Add([]byte("numero;message;emetteur\n0612345678;Bonjour;Shop\n"))
	f.Add([]byte("0612345678,\"unterminated\n"))
	f.Fuzz(func(t *testing.T, file []byte) {
		for _, latin9 := range []bool{false, true} {
			progress := 0
			rows, lines, err := Read(bytes.NewReader(file), Options{Latin9: latin9, Progress: func(n int) {
				require.Equal(t, progress+1, n, "counted once per row")
				progress = n
			}})
			if err != nil {
				requireRefusal(t, err, progress)
				continue
			}
			require.NotEmpty(t, rows)
			require.Len(t, lines, len(rows))
			require.Equal(t, len(rows), progress)
			for i, r := range rows {
				require.GreaterOrEqual(t, lines[i], 1)
				if i > 0 {
					require.Greater(t, lines[i], lines[i-1], "rows are in file order, one record per line at least")
				}
				for _, s := range []string{r.To, r.Message, r.Sender, r.Ref} {
					require.True(t, utf8.ValidString(s), "%q is UTF-8 (ISO-8859-15 is decoded)", s)
				}
				require.Equal(t, strings.TrimSpace(r.To), r.To)
				require.Equal(t, strings.TrimSpace(r.Sender), r.Sender)
				require.Equal(t, strings.TrimSpace(r.Ref), r.Ref)
			}
			p := tasks.BatchPayload{Rows: rows}
			if _, err := p.Prepare("FR"); err != nil {
				var ve *tasks.ValidationError
				require.ErrorAs(t, err, &ve)
				n, ok := ve.Row()
				require.True(t, ok, "rows alone are refused for a row: %v", err)
				require.Less(t, n, len(lines), "the refused row has a line")
			}
		}
	})
}

// requireRefusal checks a refusal after rows rows were read.
func requireRefusal(t *testing.T, err error, rows int) {
	t.Helper()
	var le *LineError
	if !errors.As(err, &le) {
		require.ErrorIs(t, err, ErrNoRows)
		require.Zero(t, rows)
		return
	}
	require.GreaterOrEqual(t, le.Line, 1)
	require.Equal(t, rows, le.Row, "the rows before the record were read")
	require.NotEmpty(t, le.Reason)
	require.NotContains(t, le.Error(), "\n", "one line")
	require.Error(t, le.Err)
}
