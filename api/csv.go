package api

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

// The CSV body of POST /v1/batches is the provider's batch file
// (sendSMSBatch.do's "fichier"), read as `enqueue batch --file` reads it:
// numero,message,emetteur[,refClient] per line, comma-separated, fields
// optionally quoted (a quoted message may span lines), an optional header
// line (its first field has no digit), UTF-8 or ISO-8859-15. This is a
// small copy of cmd/enqueue's reader: sharing it would mean editing the
// CLI, which belongs to another change.

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// readCSV reads the rows of a CSV body and the line of each row (of its
// first field). charset is charsetAuto (each field UTF-8 when valid, else
// ISO-8859-15) or charsetLatin9 (declared: every field is ISO-8859-15).
func readCSV(r io.Reader, charset string, limit int64) ([]tasks.BatchRow, []int, *problem) {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, _ := br.Peek(len(utf8BOM)); bytes.Equal(b, utf8BOM) {
		_, _ = br.Discard(len(utf8BOM))
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
			var pe *csv.ParseError
			if errors.As(err, &pe) && pe.Err != nil && !isReadError(pe.Err) {
				p := newProblem(problemMalformed, fmt.Sprintf("malformed CSV at line %d: %v", pe.Line, pe.Err))
				p.line = pe.Line
				return nil, nil, p
			}
			return nil, nil, readError(err, limit)
		}
		line, _ := cr.FieldPos(0)
		for i, f := range rec {
			if charset == charsetLatin9 || !utf8.ValidString(f) {
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
			p := fieldProblem(fmt.Sprintf("rows[%d]", len(rows)),
				fmt.Sprintf("line %d: %d fields; want numero,message,emetteur[,refClient] (%s)", line, len(rec), hint))
			p.line = line
			return nil, nil, p
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
	}
	if len(rows) == 0 {
		return nil, nil, fieldProblem("rows", "the CSV has no row")
	}
	return rows, lines, nil
}

// isReadError tells a failure of the underlying reader (the size limit,
// a dropped connection), which csv wraps in a ParseError too, from bad CSV.
func isReadError(err error) bool {
	return !errors.Is(err, csv.ErrBareQuote) && !errors.Is(err, csv.ErrQuote) && !errors.Is(err, csv.ErrFieldCount)
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
