package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/smsq/smsq/tasks"
)

func cmdBatch(ctx context.Context, a *app, args []string) error {
	fs := newFlagSet("batch")
	file := fs.String("file", "", "ROWS.csv", "the rows: numero,message,emetteur[,refClient], header optional, UTF-8 or ISO-8859-15; - reads standard input")
	from := fs.String("from", "", "SENDER", "sender (emetteur) of the rows that have none; not with --reply")
	ref := fs.String("ref", "", "REF", "reference (refClient) of the rows that have none")
	reply := fs.Bool("reply", false, "allow recipients to reply (classe_msg=4): no sender, GSM characters only")
	commercial := fs.Bool("marketing", false, "a commercial campaign: sent only within MARKETING_HOURS; with a sender, every row's text needs a STOP mention")
	common := addEnqueueFlags(fs, tasks.QueueLow)
	if _, err := a.parse(fs, args, nil, "file"); err != nil {
		return err
	}
	if err := a.loadConfig(); err != nil {
		return err
	}
	sendAt, err := parseAt(*common.at, a.cfg.Timezone.Location)
	if err != nil {
		return err
	}
	expires, err := common.expiry(a.cfg.Timezone.Location)
	if err != nil {
		return err
	}

	name, in := *file, a.stdin
	if name == "-" {
		name = "stdin"
	} else {
		f, err := os.Open(name)
		if err != nil {
			return invalidf("--file: %v", trimPathError(err))
		}
		defer f.Close()
		in = f
	}
	rows, lines, err := a.readRows(name, in)
	if err != nil {
		return err
	}
	p := tasks.BatchPayload{Rows: rows, Sender: *from, SendAt: sendAt, Ref: *ref, Reply: *reply, ExpiresAt: expires, Marketing: *commercial}
	if *common.dryRun {
		return a.dryRun(ctx, func(ctx context.Context, e *tasks.Enqueuer) ([]tasks.Plan, error) {
			return e.PlanBatch(ctx, p, common.options()...)
		}, func(err error) error { return batchValidationError(err, name, lines) })
	}

	// Enqueuer.Batch checks every row before it touches Redis: invalid
	// input exits 2 whatever the state of Redis, naming the file line.
	e, err := a.enqueuer()
	if err != nil {
		return err
	}
	chunks := (len(rows) + a.cfg.BatchChunk - 1) / a.cfg.BatchChunk
	octx, cancel := context.WithTimeout(ctx, redisTimeout+time.Duration(chunks)*time.Second)
	defer cancel()
	res, err := e.Batch(octx, p, common.options()...)
	for _, r := range res {
		fmt.Fprintln(a.stdout, r.ID)
	}
	if err != nil {
		if ve := new(tasks.ValidationError); errors.As(err, &ve) {
			return batchValidationError(err, name, lines)
		}
		if len(res) > 0 {
			base := strings.TrimSuffix(res[0].ID, "-1")
			return failf("enqueued %d of %d chunks, then: %s; run the same command with --id %s to enqueue only the missing chunks",
				len(res), chunks, oneLine(err), base)
		}
		return runtimeError(octx, err)
	}
	dup := 0
	for _, r := range res {
		if r.Duplicate {
			dup++
		}
	}
	switch {
	case dup == len(res):
		fmt.Fprintln(a.stderr, "enqueue: task ID already exists; nothing enqueued")
	case dup > 0:
		fmt.Fprintf(a.stderr, "enqueue: %d of %d chunk IDs already existed; enqueued only the other %d\n", dup, len(res), len(res)-dup)
	}
	return nil
}

// trimPathError keeps "open x.csv: no such file or directory" short.
func trimPathError(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Path + ": " + pe.Err.Error()
	}
	return err.Error()
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// progressEvery is how often (rows) the progress line is refreshed.
const progressEvery = 5000

// readRows streams the CSV into rows, remembering each row's line number
// (of its first field: a quoted message may span lines). The file is read
// once; memory grows with the rows kept, not with the file's encoding.
func (a *app) readRows(name string, r io.Reader) ([]tasks.BatchRow, []int, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, _ := br.Peek(len(utf8BOM)); bytes.Equal(b, utf8BOM) {
		br.Discard(len(utf8BOM)) //nolint:errcheck // peeked: cannot fail
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
	progress := func(final bool) {
		if !a.progress {
			return
		}
		end := ""
		if final {
			end = "\n"
		}
		fmt.Fprintf(a.stderr, "\renqueue: %d rows read%s", len(rows), end)
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			progress(true)
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, nil, invalidf("%s line %d: %v", name, pe.Line, pe.Err)
			}
			return nil, nil, invalidf("cannot read %s: %v", name, trimPathError(err))
		}
		line, _ := cr.FieldPos(0)
		for i, f := range rec {
			if !utf8.ValidString(f) {
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
			progress(true)
			hint := "quote a message that contains commas"
			if len(rec) == 1 && strings.Contains(rec[0], ";") {
				hint = "fields are separated by commas, not semicolons"
			}
			return nil, nil, invalidf("%s line %d: %d fields; want numero,message,emetteur[,refClient] (%s)", name, line, len(rec), hint)
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
		if len(rows)%progressEvery == 0 {
			progress(false)
		}
	}
	progress(true)
	if len(rows) == 0 {
		return nil, nil, invalidf("%s: no rows", name)
	}
	return rows, lines, nil
}

// isHeader: the first field of a data row is a phone number, which has
// digits; a header's ("numero") has none.
func isHeader(rec []string) bool {
	return len(rec) > 0 && !strings.ContainsAny(rec[0], "0123456789")
}

// decodeLatin9 decodes an ISO-8859-15 field. Bytes 0x80–0x9F are control
// characters in ISO-8859-15 that never belong in a message; files saved by
// Windows ("ANSI", Windows-1252) put € ’ “ ” … there, so those bytes are read
// as Windows-1252.
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

// batchValidationError names the file line of a row's error, or the flag of
// a batch-wide field.
func batchValidationError(err error, name string, lines []int) error {
	var ve *tasks.ValidationError
	if !errors.As(err, &ve) {
		return invalidf("%v", err)
	}
	if n, ok := ve.Row(); ok && n < len(lines) {
		_, field, _ := strings.Cut(ve.Field, ".")
		return invalidf("%s line %d: invalid %s: %s", name, lines[n], field, cleanReason(ve.Reason))
	}
	return invalidf("%s", describeField(ve, batchFlags))
}
