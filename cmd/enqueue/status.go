package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/tasks/store"
)

// opTimeout bounds one status or cancel look-up (after the connection check).
const opTimeout = 30 * time.Second

// inspector checks that Redis answers and returns a tasks.Inspector.
func (a *app) inspector(ctx context.Context) (*tasks.Inspector, error) {
	rdb, err := a.ping(ctx)
	if err != nil {
		return nil, err
	}
	insp, err := tasks.NewInspector(rdb)
	if err != nil {
		return nil, invalidf("%v", err)
	}
	return insp, nil
}

func cmdStatus(ctx context.Context, a *app, args []string) error {
	fs := newFlagSet("status")
	pos, err := a.parse(fs, args, []string{"ID"})
	if err != nil {
		return err
	}
	id := pos[0]
	if err := a.loadConfig(); err != nil {
		return err
	}
	insp, err := a.inspector(ctx)
	if err != nil {
		return err
	}
	octx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()

	st, err := insp.Status(octx, id)
	if err == nil {
		a.printStatus(a.stdout, st)
		return nil
	}
	if !errors.Is(err, tasks.ErrNotFound) {
		return runtimeError(octx, err)
	}
	// Not a task: maybe a batch's base ID.
	var chunks []*tasks.TaskStatus
	for n := 1; ; n++ {
		cs, err := insp.Status(octx, tasks.ChunkID(id, n))
		if errors.Is(err, tasks.ErrNotFound) {
			break
		}
		if err != nil {
			return runtimeError(octx, err)
		}
		chunks = append(chunks, cs)
	}
	if len(chunks) == 0 {
		return invalidf("no task with ID %q", id)
	}
	fmt.Fprintf(a.stdout, "Batch %s: %d chunks\n", id, len(chunks))
	for _, cs := range chunks {
		fmt.Fprintln(a.stdout)
		a.printStatus(a.stdout, cs)
	}
	return nil
}

// printStatus prints one task as a readable block.
func (a *app) printStatus(w io.Writer, st *tasks.TaskStatus) {
	loc := a.cfg.Timezone.Location
	field := func(name, format string, args ...any) {
		fmt.Fprintf(w, "%-14s%s\n", name+":", fmt.Sprintf(format, args...))
	}
	ts := func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04:05 MST") }

	field("ID", "%s", st.ID)
	field("Type", "%s", st.Type)
	if st.Queue != "" {
		field("Queue", "%s", st.Queue)
	}
	field("State", "%s", st.State)
	if e := st.Ending; e != nil {
		switch {
		case e.State == tasks.StateCancelled && e.SMSID != "":
			field("Cancelled", "%s, at sMsmode (deleteSMS.do, smsID %s)", ts(e.At), e.SMSID)
		case e.State == tasks.StateCancelled:
			field("Cancelled", "%s, before it reached sMsmode", ts(e.At))
		default:
			field("Expired", "%s, without a send", ts(e.At))
		}
	}
	if !st.ExpiresAt.IsZero() {
		field("Expires at", "%s", ts(st.ExpiresAt))
	}
	if st.Queue != "" {
		field("Attempts", "%d of %d", st.Attempts, st.MaxRetry+1)
	}
	if st.LastError != "" {
		if st.LastFailedAt.IsZero() {
			field("Last error", "%s", st.LastError)
		} else {
			field("Last error", "%s (%s)", st.LastError, ts(st.LastFailedAt))
		}
	}
	if (st.State == "retry" || st.State == "scheduled") && !st.NextProcessAt.IsZero() {
		field("Next attempt", "%s", ts(st.NextProcessAt))
	}
	if !st.CompletedAt.IsZero() {
		field("Completed", "%s", ts(st.CompletedAt))
	}
	if r := st.Result; r != nil && r.SMSID != "" && st.Acceptance != nil {
		field("smsID", "%s", r.SMSID)
		field("Segments", "%d", r.Segments)
		field("Encoding", "%s", r.Encoding)
		if r.DateEnvoi != "" {
			field("date_envoi", "%s", r.DateEnvoi)
		} else {
			field("date_envoi", "none (sent at once)")
		}
		if !r.DeferredUntil.IsZero() {
			field("Deferred", "until %s (outside MARKETING_HOURS: sMsmode holds it)", ts(r.DeferredUntil))
		}
	}
	if acc := st.Acceptance; acc != nil {
		accepted := ts(acc.AcceptedAt)
		if acc.Reconciled {
			accepted += " (found in smsList after an ambiguous attempt)"
		}
		field("Accepted", "%s", accepted)
		if acc.Ref != "" {
			field("Ref", "%s", acc.Ref)
		}
	}
	printRecipients(w, st)
}

// printRecipients prints each recipient of an accepted task with its latest
// delivery report (by callback or polling). A send to a group knows its
// recipients from the reports only.
func printRecipients(w io.Writer, st *tasks.TaskStatus) {
	if st.Acceptance == nil {
		return
	}
	reports := make(map[string]store.RecipientState, len(st.Recipients))
	numbers := st.Acceptance.Recipients
	for _, r := range st.Recipients {
		reports[r.Number] = r
		if len(st.Acceptance.Recipients) == 0 {
			numbers = append(numbers, r.Number)
		}
	}
	if len(numbers) == 0 {
		return
	}
	fmt.Fprintf(w, "%-14s%d\n", "Recipients:", len(numbers))
	for _, n := range numbers {
		r, ok := reports[n]
		if !ok {
			fmt.Fprintf(w, "  %-15s no delivery report yet\n", n)
			continue
		}
		final := ""
		if !r.Final {
			final = " (may change)"
		}
		fmt.Fprintf(w, "  %-15s %s [%d]%s at %s\n", n, r.StatusText, r.Status, final, r.ReceivedAt.Format("2006-01-02 15:04:05 -07:00"))
	}
}

func cmdCancel(ctx context.Context, a *app, args []string) error {
	fs := newFlagSet("cancel")
	pos, err := a.parse(fs, args, []string{"ID"})
	if err != nil {
		return err
	}
	id := pos[0]
	if err := a.loadConfig(); err != nil {
		return err
	}
	provider, err := a.provider()
	if err != nil {
		return err
	}
	insp, err := a.inspector(ctx)
	if err != nil {
		return err
	}

	cancelOne := func(id string) (tasks.CancelOutcome, error) {
		// A look-up plus, for a message sMsmode holds, one deleteSMS.do
		// (ours, or a worker's on our behalf without credentials).
		cctx, cancel := context.WithTimeout(ctx, redisTimeout+2*a.cfg.Timeout)
		defer cancel()
		out, err := insp.Cancel(cctx, id, provider, time.Now())
		if err != nil && !errors.Is(err, tasks.ErrNotFound) && !isCancelError(err) {
			err = runtimeError(cctx, err)
		}
		return out, err
	}

	out, err := cancelOne(id)
	if err == nil {
		fmt.Fprintf(a.stdout, "%s: %s\n", id, out)
		return nil
	}
	if !errors.Is(err, tasks.ErrNotFound) {
		return cancelFailure(id, err)
	}
	// Not a task: maybe a batch's base ID; cancel every chunk.
	var (
		cancelled, n int
		refused      []error
	)
	for n = 1; ; n++ {
		cid := tasks.ChunkID(id, n)
		out, err := cancelOne(cid)
		if errors.Is(err, tasks.ErrNotFound) {
			break
		}
		if isCancelError(err) {
			refused = append(refused, err)
			fmt.Fprintf(a.stderr, "enqueue: %s: %v\n", cid, err)
			continue
		}
		if err != nil {
			return cancelFailure(cid, err)
		}
		cancelled++
		fmt.Fprintf(a.stdout, "%s: %s\n", cid, out)
	}
	switch {
	case n == 1:
		return invalidf("no task with ID %q", id)
	case len(refused) > 0:
		return &cliError{code: cancelExit(refused...), msg: fmt.Sprintf("batch %s: cancelled %d of %d chunks", id, cancelled, cancelled+len(refused))}
	}
	return nil
}

// cancelExit is 1 when one of the refusals may pass later (retry the same
// command), else 2.
func cancelExit(errs ...error) int {
	for _, err := range errs {
		var ce *tasks.CancelError
		if errors.As(err, &ce) && ce.Temporary {
			return exitFailure
		}
	}
	return exitInvalid
}

func isCancelError(err error) bool {
	var ce *tasks.CancelError
	return errors.As(err, &ce)
}

func cancelFailure(id string, err error) error {
	var ce *cliError
	if errors.As(err, &ce) {
		return err
	}
	if isCancelError(err) {
		return &cliError{code: cancelExit(err), msg: fmt.Sprintf("%s: %s", id, oneLine(err))}
	}
	return failf("%s: %s", id, oneLine(err))
}

// provider returns the sMsmode client cancel needs for messages sMsmode
// already holds, or nil without credentials.
func (a *app) provider() (tasks.Deleter, error) {
	c := a.cfg
	if c.SmsmodeAccessToken == "" && (c.SmsmodePseudo == "" || c.SmsmodePass == "") {
		return nil, nil
	}
	cl, err := smsmode.NewClient(c.ProviderConfig())
	if err != nil {
		return nil, invalidf("%s", strings.TrimPrefix(err.Error(), "smsmode: "))
	}
	return cl, nil
}
