package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/smsq/smsq/internal/batchfile"
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

// progressEvery is how often (rows) the progress line is refreshed.
const progressEvery = 5000

// readRows reads the batch file, remembering each row's line number, and
// words its refusals for the command line: exit 2, naming the file and the
// line. On a terminal, a progress line counts the rows read.
func (a *app) readRows(name string, r io.Reader) ([]tasks.BatchRow, []int, error) {
	var opts batchfile.Options
	read := 0
	if a.progress {
		opts.Progress = func(n int) {
			read = n
			if n%progressEvery == 0 {
				fmt.Fprintf(a.stderr, "\renqueue: %d rows read", n)
			}
		}
	}
	rows, lines, err := batchfile.Read(r, opts)
	if a.progress {
		fmt.Fprintf(a.stderr, "\renqueue: %d rows read\n", read)
	}
	var le *batchfile.LineError
	switch {
	case err == nil:
		return rows, lines, nil
	case errors.As(err, &le):
		return nil, nil, invalidf("%s line %d: %s", name, le.Line, le.Reason)
	case errors.Is(err, batchfile.ErrNoRows):
		return nil, nil, invalidf("%s: no rows", name)
	}
	return nil, nil, invalidf("cannot read %s: %v", name, trimPathError(err)) // a *batchfile.ReadError
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
