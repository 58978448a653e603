package api

import (
	"errors"
	"fmt"
	"io"

	"github.com/smsq/smsq/internal/batchfile"
	"github.com/smsq/smsq/tasks"
)

// The CSV body of POST /v1/batches is the provider's batch file
// (sendSMSBatch.do's "fichier"), read by internal/batchfile as
// `enqueue batch --file` reads it: numero,message,emetteur[,refClient] per
// line, comma-separated, fields optionally quoted (a quoted message may
// span lines), an optional header line (its first field has no digit),
// UTF-8 or ISO-8859-15.

// readCSV reads the rows of a CSV body and the line of each row (of its
// first field), and words its refusals as problems. charset is
// charsetAuto (each field UTF-8 when valid, else ISO-8859-15) or
// charsetLatin9 (declared: every field is ISO-8859-15); limit is the
// body's size limit, named when the body crosses it.
func readCSV(r io.Reader, charset string, limit int64) ([]tasks.BatchRow, []int, *problem) {
	rows, lines, err := batchfile.Read(r, batchfile.Options{Latin9: charset == charsetLatin9})
	if err == nil {
		return rows, lines, nil
	}
	var le *batchfile.LineError
	switch {
	case errors.As(err, &le) && errors.Is(le, batchfile.ErrFieldCount):
		p := fieldProblem(fmt.Sprintf("rows[%d]", le.Row), fmt.Sprintf("line %d: %s", le.Line, le.Reason))
		p.line = le.Line
		return nil, nil, p
	case errors.As(err, &le):
		p := newProblem(problemMalformed, fmt.Sprintf("malformed CSV at line %d: %s", le.Line, le.Reason))
		p.line = le.Line
		return nil, nil, p
	case errors.Is(err, batchfile.ErrNoRows):
		return nil, nil, fieldProblem("rows", "the CSV has no row")
	}
	return nil, nil, readError(err, limit) // a *batchfile.ReadError: its message is the reader's
}
