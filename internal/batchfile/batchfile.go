// Package batchfile reads the provider's batch file (sMsmode's
// sendSMSBatch.do "fichier") into batch rows, for `enqueue batch --file`
// and for the CSV body of the HTTP API's POST /v1/batches.
//
// The format:
//
//   - one row per record: numero,message,emetteur[,refClient] (2 to 4
//     fields), separated by commas, not semicolons;
//   - fields optionally quoted; a quoted field may hold commas and line
//     breaks (so a row may span lines), and a stray quote is kept as text;
//   - blank lines are skipped, CRLF or LF line ends, a UTF-8 BOM is ignored;
//   - an optional header: the first record when its first field has no
//     digit (a phone number always has one, "numero" none);
//   - each field is read as UTF-8 when it is valid UTF-8, otherwise as
//     ISO-8859-15 with bytes 0x80–0x9F read as Windows-1252 (€ ’ “ ” …, as
//     Windows saves "ANSI" files); [Options.Latin9] reads every field so;
//   - numero, emetteur and refClient are trimmed of spaces; the message is
//     kept as written.
//
// The rows are not validated here: tasks.BatchPayload does that, and the
// line of each row lets a caller name the file line of a refused row.
package batchfile

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/smsq/smsq/tasks"
)

// Options adjusts how a file is read. The zero value reads any file of the
// format.
type Options struct {
	// Latin9 reads every field as ISO-8859-15 (0x80–0x9F as Windows-1252),
	// even one that happens to be valid UTF-8: the sender declared it.
	Latin9 bool

	// Progress, when not nil, is called after each row is read with the
	// number of rows read so far. It runs once per row: keep it cheap.
	Progress func(rows int)
}

// ErrNoRows is returned for a file without any row (empty, blank lines or
// a header alone).
var ErrNoRows = errors.New("no rows")

// ErrFieldCount is the cause of a [LineError] for a record with fewer than
// 2 or more than 4 fields.
var ErrFieldCount = errors.New("wrong number of fields")

// LineError is a record of the file that is not a row: too few or too many
// fields ([ErrFieldCount]), or malformed CSV (encoding/csv's syntax errors).
type LineError struct {
	// Line is the file line (from 1) where the record starts.
	Line int
	// Row is the index the record would have had among the rows (the
	// header excluded): the rows before it were read.
	Row int
	// Reason says what is wrong and how to fix it, on one line, such as
	// "1 fields; want numero,message,emetteur[,refClient] (fields are
	// separated by commas, not semicolons)".
	Reason string
	// Err is the cause: ErrFieldCount, or the encoding/csv error.
	Err error
}

// Error returns "line N: reason".
func (e *LineError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }

// Unwrap returns the cause, for errors.Is(err, ErrFieldCount).
func (e *LineError) Unwrap() error { return e.Err }

// ReadError is a failure of the reader the file comes from (a size limit,
// a dropped connection, a directory), not of the file's content.
type ReadError struct {
	// Err is the reader's error, as it returned it.
	Err error
}

// Error returns the reader's error message.
func (e *ReadError) Error() string { return e.Err.Error() }

// Unwrap returns the reader's error, for errors.As(err, &http.MaxBytesError{}).
func (e *ReadError) Unwrap() error { return e.Err }

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// Read reads a batch file from r and returns its rows, in file order, and
// the line of each row (where the row's record starts: a quoted message
// may span lines). The file is read once; memory grows with the rows kept.
//
// The error is a *[LineError] for a record that is not a row, a
// *[ReadError] when r fails, or [ErrNoRows]; the rows read before it are
// not returned.
func Read(r io.Reader, opts Options) ([]tasks.BatchRow, []int, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	b, err := br.Peek(len(utf8BOM))
	switch {
	case bytes.Equal(b, utf8BOM):
		_, _ = br.Discard(len(utf8BOM)) // peeked: cannot fail
	case err != nil && err != io.EOF:
		// Peek consumed the error: a reader need not return it again.
		return nil, nil, &ReadError{Err: err}
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true

	var (
		rows  []tasks.BatchRow
		lines []int
		first = true
	)
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, recordError(err, len(rows))
		}
		line, _ := cr.FieldPos(0)
		for i, f := range rec {
			if opts.Latin9 || !utf8.ValidString(f) {
				rec[i] = decodeLatin9(f)
			}
		}
		if first {
			first = false
			if isHeader(rec) {
				continue
			}
		}
		if len(rec) < 2 || len(rec) > 4 {
			hint := "quote a message that contains commas"
			if len(rec) == 1 && strings.Contains(rec[0], ";") {
				hint = "fields are separated by commas, not semicolons"
			}
			return nil, nil, &LineError{
				Line: line, Row: len(rows), Err: ErrFieldCount,
				Reason: fmt.Sprintf("%d fields; want numero,message,emetteur[,refClient] (%s)", len(rec), hint),
			}
		}
		row := tasks.BatchRow{To: strings.TrimSpace(rec[0]), Message: rec[1]}
		if len(rec) > 2 {
			row.Sender = strings.TrimSpace(rec[2])
		}
		if len(rec) > 3 {
			row.Ref = strings.TrimSpace(rec[3])
		}
		rows = append(rows, row)
		lines = append(lines, line)
		if opts.Progress != nil {
			opts.Progress(len(rows))
		}
	}
	if len(rows) == 0 {
		return nil, nil, ErrNoRows
	}
	return rows, lines, nil
}

// recordError tells malformed CSV from a failure of the reader, which
// encoding/csv returns as is (a *csv.ParseError only wraps its own syntax
// errors, none of which lazy quotes leave; they are mapped should the
// settings change).
func recordError(err error, row int) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) && pe.Err != nil {
		if errors.Is(pe.Err, csv.ErrBareQuote) || errors.Is(pe.Err, csv.ErrQuote) || errors.Is(pe.Err, csv.ErrFieldCount) {
			return &LineError{Line: pe.Line, Row: row, Reason: pe.Err.Error(), Err: pe.Err}
		}
		err = pe.Err
	}
	return &ReadError{Err: err}
}

// isHeader: the first field of a data row is a phone number, which has
// digits; a header's ("numero") has none.
func isHeader(rec []string) bool {
	return len(rec) > 0 && !strings.ContainsAny(rec[0], "0123456789")
}

// decodeLatin9 decodes an ISO-8859-15 field. Bytes 0x80–0x9F are control
// characters in ISO-8859-15 that never belong in a message; files saved by
// Windows ("ANSI", Windows-1252) put € ’ “ ” … there, so those bytes are
// read as Windows-1252.
func decodeLatin9(s string) string {
	var b strings.Builder
	b.Grow(len(s) * 2)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c < 0x80:
			b.WriteByte(c)
		case c < 0xA0:
			b.WriteRune(charmap.Windows1252.DecodeByte(c))
		default:
			b.WriteRune(charmap.ISO8859_15.DecodeByte(c))
		}
	}
	return b.String()
}
