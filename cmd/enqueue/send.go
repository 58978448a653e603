package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/smsq/smsq/tasks"
)

// common flags of send, voice and batch.
type enqueueFlags struct {
	at        *string
	queue     *string
	id        *string
	validFor  *string
	expiresAt *string
	dryRun    *bool
}

func addEnqueueFlags(fs *flagSet, defaultQueue string) enqueueFlags {
	return enqueueFlags{
		at:        fs.String("at", "", "TIME", "send time: RFC3339 (2026-12-24T18:30:00+01:00) or \"YYYY-MM-DD HH:MM\" in SMSMODE_TIMEZONE; default now"),
		queue:     fs.String("queue", "", "Q", "queue: one of WORKER_QUEUES but events (default \""+defaultQueue+"\")"),
		id:        fs.String("id", "", "ID", "task ID (default a new UUID); enqueueing again with an existing ID, in any queue, enqueues nothing"),
		validFor:  fs.String("valid-for", "", "DURATION", "never send it after this long from now (90s, 10m): it ends expired instead"),
		expiresAt: fs.String("expires-at", "", "TIME", "never send it at or after TIME (same forms as --at): it ends expired instead"),
		dryRun:    fs.Bool("dry-run", false, "validate and print what would be sent, without enqueueing anything"),
	}
}

// expiry reads --valid-for or --expires-at (zero: none).
func (f enqueueFlags) expiry(loc *time.Location) (time.Time, error) {
	switch {
	case *f.validFor != "" && *f.expiresAt != "":
		return time.Time{}, invalidf("give --valid-for or --expires-at, not both")
	case *f.validFor != "":
		d, err := time.ParseDuration(*f.validFor)
		if err != nil || d <= 0 {
			return time.Time{}, invalidf("invalid --valid-for %q: want a positive duration such as 90s or 10m", *f.validFor)
		}
		return time.Now().Add(d), nil
	case *f.expiresAt != "":
		t, err := parseAt(*f.expiresAt, loc)
		if err != nil {
			return time.Time{}, invalidf("invalid --expires-at %q: want RFC3339 or \"YYYY-MM-DD HH:MM\" in %s", *f.expiresAt, loc)
		}
		return t, nil
	}
	return time.Time{}, nil
}

func (f enqueueFlags) options() []tasks.EnqueueOption {
	var opts []tasks.EnqueueOption
	if *f.id != "" {
		opts = append(opts, tasks.WithTaskID(*f.id))
	}
	if *f.queue != "" {
		opts = append(opts, tasks.WithQueue(*f.queue))
	}
	return opts
}

func cmdSend(ctx context.Context, a *app, args []string) error {
	fs := newFlagSet("send")
	to := fs.String("to", "", "LIST", "recipients: comma-separated numbers, national (06 12 34 56 78) or international (+33 6 12 34 56 78)")
	message := fs.String("message", "", "TEXT|-", "the text, or - to read it from standard input")
	from := fs.String("from", "", "SENDER", "sender name shown to recipients (emetteur), at most 11 characters; not with --reply")
	ref := fs.String("ref", "", "REF", "your reference (refClient), echoed in delivery reports; default the task ID")
	reply := fs.Bool("reply", false, "allow recipients to reply (classe_msg=4): no --from, GSM characters only")
	encoding := fs.String("encoding", "auto", "auto|gsm|unicode", "auto replaces look-alikes (’ → ') and uses unicode only for characters without one")
	stop := fs.Int("stop", 0, "0|1|2", "STOP mention: 0 none, 1 only when the text leaves room for it, 2 always")
	maxSeg := fs.Int("max-segments", 0, "N", "refuse a message needing more than N segments, 1 to 10 (default 5)")
	commercial := fs.Bool("marketing", false, "a commercial message: sent only within MARKETING_HOURS (else held by sMsmode until the next opening); with --from it needs --stop 1 or 2")
	common := addEnqueueFlags(fs, tasks.QueueDefault)
	text, sendAt, expires, err := a.messageAndTime(fs, args, message, common)
	if err != nil {
		return err
	}
	p := tasks.SendPayload{
		To: splitList(*to), Message: text, Sender: *from, SendAt: sendAt, Ref: *ref,
		Reply: *reply, Encoding: *encoding, Stop: *stop, MaxSegments: *maxSeg,
		ExpiresAt: expires, Marketing: *commercial,
	}
	if *common.dryRun {
		return a.dryRun(ctx, func(ctx context.Context, e *tasks.Enqueuer) ([]tasks.Plan, error) {
			plan, err := e.PlanSend(ctx, p, common.options()...)
			return plans(plan, err)
		}, func(err error) error { return validationError(err, sendFlags) })
	}
	return a.enqueueOne(ctx, func(ctx context.Context, e *tasks.Enqueuer) (tasks.Enqueued, error) {
		return e.Send(ctx, p, common.options()...)
	}, sendFlags)
}

func cmdVoice(ctx context.Context, a *app, args []string) error {
	fs := newFlagSet("voice")
	to := fs.String("to", "", "LIST", "recipients: comma-separated numbers, national or international")
	message := fs.String("message", "", "TEXT|-", "the text read aloud (at most 160 characters), or - to read it from standard input")
	title := fs.String("title", "", "T", "title of the message (shown in the sMsmode account)")
	language := fs.String("language", "", "L", "voice language: fr-FR, en-GB, de-DE or es-ES (default: the account's)")
	common := addEnqueueFlags(fs, tasks.QueueDefault)
	text, sendAt, expires, err := a.messageAndTime(fs, args, message, common)
	if err != nil {
		return err
	}
	p := tasks.VoicePayload{To: splitList(*to), Message: text, Title: *title, Language: *language, SendAt: sendAt, ExpiresAt: expires}
	if *common.dryRun {
		return a.dryRun(ctx, func(ctx context.Context, e *tasks.Enqueuer) ([]tasks.Plan, error) {
			plan, err := e.PlanVoice(ctx, p, common.options()...)
			return plans(plan, err)
		}, func(err error) error { return validationError(err, voiceFlags) })
	}
	return a.enqueueOne(ctx, func(ctx context.Context, e *tasks.Enqueuer) (tasks.Enqueued, error) {
		return e.Voice(ctx, p, common.options()...)
	}, voiceFlags)
}

// enqueuer returns the run's producer. It does no I/O: the Enqueuer
// validates a payload before it touches Redis, so invalid input exits 2
// whatever the state of Redis.
func (a *app) enqueuer() (*tasks.Enqueuer, error) {
	rdb, err := a.redis()
	if err != nil {
		return nil, err
	}
	e, err := tasks.NewEnqueuer(rdb, a.cfg.TaskOptions())
	if err != nil {
		return nil, invalidf("%v", err)
	}
	return e, nil
}

// enqueueOne validates, enqueues and prints the task ID.
func (a *app) enqueueOne(ctx context.Context, do func(context.Context, *tasks.Enqueuer) (tasks.Enqueued, error), flags map[string]string) error {
	e, err := a.enqueuer()
	if err != nil {
		return err
	}
	octx, cancel := context.WithTimeout(ctx, redisTimeout)
	defer cancel()
	res, err := do(octx, e)
	if err != nil {
		if ve := new(tasks.ValidationError); errors.As(err, &ve) {
			return validationError(err, flags)
		}
		return runtimeError(octx, err)
	}
	if res.Duplicate {
		fmt.Fprintln(a.stderr, "enqueue: task ID already exists; nothing enqueued")
	}
	fmt.Fprintln(a.stdout, res.ID)
	return nil
}

// readMessage returns --message, or standard input for "-" without one
// trailing newline.
func (a *app) readMessage(m string) (string, error) {
	if m != "-" {
		return m, nil
	}
	b, err := io.ReadAll(a.stdin)
	if err != nil {
		return "", failf("reading the message from standard input: %v", err)
	}
	s := string(b)
	if strings.HasSuffix(s, "\r\n") {
		s = s[:len(s)-2]
	} else {
		s = strings.TrimSuffix(s, "\n")
	}
	return s, nil
}

// splitList splits --to on commas. Entries are trimmed but kept, empty ones
// included, so "entry N" in an error is the user's N-th entry.
func splitList(s string) []string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
	}
	return parts
}

// atLayouts are the local forms --at accepts besides RFC3339.
var atLayouts = []string{"2006-01-02 15:04", "2006-01-02T15:04"}

// parseAt reads --at: RFC3339, or "YYYY-MM-DD HH:MM" in loc (DST-aware).
func parseAt(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range atLayouts {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, invalidf("invalid --at %q: want RFC3339 (2026-12-24T18:30:00+01:00) or \"YYYY-MM-DD HH:MM\" in %s", s, loc)
}

// Payload field → flag, for the error line.
var (
	sendFlags = map[string]string{
		"to": "to", "group": "to", "message": "message", "sender": "from", "send_at": "at", "ref": "ref",
		"reply": "reply", "encoding": "encoding", "stop": "stop", "max_segments": "max-segments",
		"queue": "queue", "expires_at": "expires-at", "marketing": "marketing",
	}
	voiceFlags = map[string]string{
		"to": "to", "message": "message", "title": "title", "language": "language", "send_at": "at",
		"queue": "queue", "expires_at": "expires-at",
	}
	batchFlags = map[string]string{
		"sender": "from", "send_at": "at", "ref": "ref", "reply": "reply",
		"queue": "queue", "expires_at": "expires-at", "marketing": "marketing",
	}
)

// validationError is the exit-2 line of a *tasks.ValidationError: the
// payload field, and the flag when it is spelt differently.
func validationError(err error, flags map[string]string) error {
	var ve *tasks.ValidationError
	if !errors.As(err, &ve) {
		return invalidf("%v", err)
	}
	return invalidf("%s", describeField(ve, flags))
}

func describeField(ve *tasks.ValidationError, flags map[string]string) string {
	field, reason := ve.Field, cleanReason(ve.Reason)
	// "to[1]" is the second entry of --to, as people count.
	if name, idx, ok := strings.Cut(strings.TrimSuffix(field, "]"), "["); ok && !strings.Contains(name, ".") {
		if n, err := strconv.Atoi(idx); err == nil {
			field, reason = name, fmt.Sprintf("entry %d %s", n+1, reason)
		}
	}
	if f, ok := flags[field]; ok && f != field {
		return fmt.Sprintf("invalid %s (--%s): %s", field, f, reason)
	}
	return fmt.Sprintf("invalid %s: %s", field, reason)
}

// reReasonPrefix matches what some reasons repeat from the layers below
// ("text: …", "invalid emetteur: …"): the line already says which field.
var reReasonPrefix = regexp.MustCompile(`^(?:(?:text|phone|smsmode): )*(?:invalid [\w.\[\]]+: )?`)

func cleanReason(reason string) string {
	if r := reReasonPrefix.ReplaceAllString(reason, ""); r != "" {
		return r
	}
	return reason
}

// messageAndTime is what send and voice do first: parse the flags (--to and
// --message required), load the configuration, read the message (stdin for
// "-") and parse --at and the expiry.
func (a *app) messageAndTime(fs *flagSet, args []string, message *string, common enqueueFlags) (string, time.Time, time.Time, error) {
	if _, err := a.parse(fs, args, nil, "to", "message"); err != nil {
		return "", time.Time{}, time.Time{}, err
	}
	if err := a.loadConfig(); err != nil {
		return "", time.Time{}, time.Time{}, err
	}
	text, err := a.readMessage(*message)
	if err != nil {
		return "", time.Time{}, time.Time{}, err
	}
	sendAt, err := parseAt(*common.at, a.cfg.Timezone.Location)
	if err != nil {
		return "", time.Time{}, time.Time{}, err
	}
	expires, err := common.expiry(a.cfg.Timezone.Location)
	return text, sendAt, expires, err
}

func plans(p *tasks.Plan, err error) ([]tasks.Plan, error) {
	if err != nil {
		return nil, err
	}
	return []tasks.Plan{*p}, nil
}

// dryRun validates as an enqueue would and prints what would be sent.
// Only the daily caps read Redis; invalid input exits 2 whatever its state.
// refused renders a *tasks.ValidationError as the exit-2 line.
func (a *app) dryRun(ctx context.Context, plan func(context.Context, *tasks.Enqueuer) ([]tasks.Plan, error), refused func(error) error) error {
	e, err := a.enqueuer()
	if err != nil {
		return err
	}
	octx, cancel := context.WithTimeout(ctx, redisTimeout)
	defer cancel()
	ps, err := plan(octx, e)
	if err != nil {
		if ve := new(tasks.ValidationError); errors.As(err, &ve) {
			return refused(err)
		}
		return runtimeError(octx, err)
	}
	var total tasks.Plan
	for _, p := range ps {
		total.Segments += p.Segments
		total.Recipients += p.Recipients
		total.Messages += p.Messages
	}
	p := ps[0]
	field := func(name, format string, args ...any) {
		fmt.Fprintf(a.stdout, "%-14s%s\n", name+":", fmt.Sprintf(format, args...))
	}
	field("Dry run", "nothing enqueued")
	field("Queue", "%s", p.Queue)
	if len(ps) > 1 {
		field("Chunks", "%d (BATCH_CHUNK)", len(ps))
	}
	field("Encoding", "%s", p.Encoding)
	if len(ps) > 1 || p.Encoding == "gsm" && p.Recipients > 0 && p.Segments != p.Messages/max(p.Recipients, 1) {
		field("Segments", "%d in all", total.Segments)
	} else {
		field("Segments", "%d", p.Segments)
	}
	field("Recipients", "%d", total.Recipients)
	field("Messages", "%d (segments × recipients: what sMsmode bills)", total.Messages)
	switch {
	case p.SendAt.IsZero():
		field("Send at", "now")
	case p.Deferred:
		field("Send at", "%s (deferred: outside MARKETING_HOURS)", p.SendAt.In(a.cfg.Timezone.Location).Format("2006-01-02 15:04 MST"))
	default:
		field("Send at", "%s", p.SendAt.In(a.cfg.Timezone.Location).Format("2006-01-02 15:04 MST"))
	}
	return nil
}
