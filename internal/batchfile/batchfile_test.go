package batchfile

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/charmap"

	"github.com/smsq/smsq/tasks"
)

func TestRead(t *testing.T) {
	t.Parallel()
	ansi, err := charmap.Windows1252.NewEncoder().String("0612345678,L’offre à 5 € …,MYSHOP\n")
	require.NoError(t, err)
	for _, tc := range []struct {
		name, file string
		latin9     bool
		rows       []tasks.BatchRow
		lines      []int
	}{
		{"header and four columns", "numero,message,emetteur,refClient\n0612345678,Bonjour,SHOP,r1\n", false,
			[]tasks.BatchRow{{To: "0612345678", Message: "Bonjour", Sender: "SHOP", Ref: "r1"}}, []int{2}},
		{"no header, two columns, CRLF", "0612345678,Bonjour\r\n 0698765432 ,Salut\r\n", false,
			[]tasks.BatchRow{{To: "0612345678", Message: "Bonjour"}, {To: "0698765432", Message: "Salut"}}, []int{1, 2}},
		{"trimmed but the message", " 0612345678 , Bonjour , SHOP , r1 \n", false,
			[]tasks.BatchRow{{To: "0612345678", Message: " Bonjour ", Sender: "SHOP", Ref: "r1"}}, []int{1}},
		{"quoted fields, empty ones", "\"+33 6 98 76 54 32\",\"Votre code, enfin : 4821 €\",,\n", false,
			[]tasks.BatchRow{{To: "+33 6 98 76 54 32", Message: "Votre code, enfin : 4821 €"}}, []int{1}},
		{"a quoted message over two lines", "0612345678,\"a,\nb\"\n0698765432,c\n", false,
			[]tasks.BatchRow{{To: "0612345678", Message: "a,\nb"}, {To: "0698765432", Message: "c"}}, []int{1, 3}},
		{"blank lines skipped", "\n0612345678,a\n\n\n0698765432,b\n", false,
			[]tasks.BatchRow{{To: "0612345678", Message: "a"}, {To: "0698765432", Message: "b"}}, []int{2, 5}},
		{"a stray quote is text", "0612345678,il a dit \"oui\",Shop\n", false,
			[]tasks.BatchRow{{To: "0612345678", Message: "il a dit \"oui\"", Sender: "Shop"}}, []int{1}},
		{"BOM", "\ufeffnumero,message\n0612345678,é\n", false,
			[]tasks.BatchRow{{To: "0612345678", Message: "é"}}, []int{2}},
		{"BOM alone before a row", "\ufeff0612345678,a\n", false,
			[]tasks.BatchRow{{To: "0612345678", Message: "a"}}, []int{1}},
		{"ISO-8859-15 and Windows-1252 bytes", "0612345678,\xe9t\xe9 \x80 \xa4 \xbc\n", false,
			[]tasks.BatchRow{{To: "0612345678", Message: "été € € Œ"}}, []int{1}},
		{"Windows-1252 from Excel", ansi, false,
			[]tasks.BatchRow{{To: "0612345678", Message: "L’offre à 5 € …", Sender: "MYSHOP"}}, []int{1}},
		{"a Latin-9 header is a header", "NUM\xc9RO,message\n0612345678,a\n", false,
			[]tasks.BatchRow{{To: "0612345678", Message: "a"}}, []int{2}},
		{"UTF-8 and ISO-8859-15 fields side by side", "0612345678,Zoé,Caf\xe9\n", false,
			[]tasks.BatchRow{{To: "0612345678", Message: "Zoé", Sender: "Café"}}, []int{1}},
		{"declared ISO-8859-15", "0612345678,\xc3\xa9\n", true,
			[]tasks.BatchRow{{To: "0612345678", Message: "Ã©"}}, []int{1}},
		{"a semicolon header is a header", "numero;message\n0612345678,a\n", false,
			[]tasks.BatchRow{{To: "0612345678", Message: "a"}}, []int{2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rows, lines, err := Read(strings.NewReader(tc.file), Options{Latin9: tc.latin9})
			require.NoError(t, err)
			require.Equal(t, tc.rows, rows)
			require.Equal(t, tc.lines, lines)
		})
	}
}

func TestReadRefusesARecordThatIsNotARow(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, file string
		err        LineError
	}{
		{"one field", "0612345678\n",
			LineError{Line: 1, Row: 0, Reason: "1 fields; want numero,message,emetteur[,refClient] (quote a message that contains commas)"}},
		{"five fields after two rows", "numero,message\n0612345678,a\n\n0612345679,b\n0612345670,a,b,c,d\n",
			LineError{Line: 5, Row: 2, Reason: "5 fields; want numero,message,emetteur[,refClient] (quote a message that contains commas)"}},
		{"semicolons", "numero;message\n0612345678;Bonjour\n",
			LineError{Line: 2, Row: 0, Reason: "1 fields; want numero,message,emetteur[,refClient] (fields are separated by commas, not semicolons)"}},
		{"after a message over two lines", "0612345678,\"a\nb\"\n0612345679\n",
			LineError{Line: 3, Row: 1, Reason: "1 fields; want numero,message,emetteur[,refClient] (quote a message that contains commas)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rows, lines, err := Read(strings.NewReader(tc.file), Options{})
			require.Nil(t, rows)
			require.Nil(t, lines)
			var le *LineError
			require.ErrorAs(t, err, &le)
			require.ErrorIs(t, err, ErrFieldCount)
			tc.err.Err = ErrFieldCount
			require.Equal(t, &tc.err, le)
			require.Equal(t, fmt.Sprintf("line %d: %s", tc.err.Line, tc.err.Reason), err.Error())
		})
	}
}

func TestReadWithoutRows(t *testing.T) {
	t.Parallel()
	for _, file := range []string{"", "\n\n", "\ufeff", "numero,message,emetteur\n", "numero\r\n\r\n"} {
		rows, lines, err := Read(strings.NewReader(file), Options{})
		require.ErrorIs(t, err, ErrNoRows, "%q", file)
		require.Nil(t, rows)
		require.Nil(t, lines)
	}
}

// onceErrReader fails once, then reads as r: a reader need not repeat its
// error, so the first one must not be lost.
type onceErrReader struct {
	r   io.Reader
	err error
}

func (o *onceErrReader) Read(p []byte) (int, error) {
	if err := o.err; err != nil {
		o.err = nil
		return 0, err
	}
	return o.r.Read(p)
}

func TestReadTellsAFailingReaderFromItsContent(t *testing.T) {
	t.Parallel()
	cut := errors.New("connection reset by peer")
	rows := strings.Repeat("0612345678,Bonjour\n", 10_000) // more than a buffer
	for name, r := range map[string]io.Reader{
		"at once":            iotest.ErrReader(cut),
		"once, at once":      &onceErrReader{r: strings.NewReader(rows), err: cut},
		"after rows":         io.MultiReader(strings.NewReader(rows), iotest.ErrReader(cut)),
		"inside a record":    io.MultiReader(strings.NewReader(rows+"0612345678,Bon"), iotest.ErrReader(cut)),
		"inside a quotation": io.MultiReader(strings.NewReader(rows+"0612345678,\"Bon\n"), iotest.ErrReader(cut)),
		"after a short read": iotest.OneByteReader(io.MultiReader(strings.NewReader("06"), iotest.ErrReader(cut))),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, lines, err := Read(r, Options{})
			require.Nil(t, got)
			require.Nil(t, lines)
			var re *ReadError
			require.ErrorAs(t, err, &re)
			require.ErrorIs(t, err, cut)
			require.Equal(t, cut.Error(), err.Error(), "the reader's own message")
			var le *LineError
			require.False(t, errors.As(err, &le))
		})
	}
}

func TestReadProgress(t *testing.T) {
	t.Parallel()
	var seen []int
	rows, _, err := Read(strings.NewReader("numero,message\n0612345678,a\n0612345679,b\n0612345670,c\n"),
		Options{Progress: func(n int) { seen = append(seen, n) }})
	require.NoError(t, err)
	require.Len(t, rows, 3)
	require.Equal(t, []int{1, 2, 3}, seen, "once per row, the header not counted")

	seen = nil
	_, _, err = Read(strings.NewReader("0612345678,a\n0612345679\n0612345670,c\n"),
		Options{Progress: func(n int) { seen = append(seen, n) }})
	require.Error(t, err)
	require.Equal(t, []int{1}, seen, "up to the refused record")
}

func TestIsHeader(t *testing.T) {
	t.Parallel()
	require.True(t, isHeader([]string{"numero", "message"}))
	require.True(t, isHeader([]string{"Numéro", "message"}))
	require.True(t, isHeader([]string{"to"}))
	require.False(t, isHeader([]string{"0612345678", "message"}))
	require.False(t, isHeader([]string{"+33 6 12 34 56 78"}))
}
