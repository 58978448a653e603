package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/smsq/smsq/tasks/internal/rules"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/smsq/smsq/marketing"
	"github.com/smsq/smsq/tasks/store"
)

// Options are the producer-side settings. Zero values mean what the
// environment variables' zero means: MaxRetry 0 is no retry, Retention 0
// keeps no finished task. Package producer reads them from the
// environment with the documented defaults.
type Options struct {
	Region     string        // SMSMODE_DEFAULT_REGION, for national numbers; required
	MaxRetry   int           // MAX_RETRY: retries after a failed attempt
	Retention  time.Duration // TASK_RETENTION: how long finished tasks stay visible
	BatchChunk int           // BATCH_CHUNK: rows per batch task; required
	// Queues are the queues workers serve (WORKER_QUEUES, events aside):
	// a task for any other would wait forever, so Send, Voice and Batch
	// refuse it. Empty (a pod serving events alone), they refuse every
	// queue and only events are enqueued.
	Queues []string
	// Marketing is when commercial messages may be sent (MARKETING_HOURS,
	// MARKETING_HOLIDAYS); nil refuses "marketing": true.
	Marketing *marketing.Window
	// AllowedCountries are the destination regions allowed (ALLOWED_COUNTRIES,
	// ISO codes such as "FR"); empty allows any.
	AllowedCountries []string
	// DailyCap caps messages per destination region and day
	// (DAILY_COUNTRY_CAP): a region's own cap, "*" for the others; empty: none.
	DailyCap map[string]int
	// Location is the zone of the cap's days (SMSMODE_TIMEZONE); required
	// with DailyCap.
	Location *time.Location
	// Now replaces time.Now (tests).
	Now func() time.Time
}

func (o Options) check() error {
	switch {
	case o.Region == "":
		return errors.New("tasks: Options.Region is empty (SMSMODE_DEFAULT_REGION, e.g. FR)")
	case o.MaxRetry < 0:
		return errors.New("tasks: Options.MaxRetry is negative")
	case o.Retention < 0:
		return errors.New("tasks: Options.Retention is negative")
	case o.BatchChunk < 1:
		return errors.New("tasks: Options.BatchChunk must be at least 1")
	case len(o.DailyCap) > 0 && o.Location == nil:
		return errors.New("tasks: Options.Location is needed with DailyCap")
	}
	return nil
}

// taskTimeout bounds one run of a task; the provider call itself is bounded
// by SMSMODE_TIMEOUT in the worker.
const taskTimeout = 5 * time.Minute

// EnqueueOption adjusts one enqueue.
type EnqueueOption func(*enqueueOptions)

type enqueueOptions struct {
	id    string
	queue string
}

// WithTaskID sets the task ID. Enqueueing again with an ID that exists, in
// any queue, is reported as a duplicate, not an error, so producers can
// retry safely; batch chunks get ID-1, ID-2 ….
func WithTaskID(id string) EnqueueOption { return func(o *enqueueOptions) { o.id = id } }

// WithQueue sets the queue (default: "default" for sends and voice, "low"
// for batches); it must be one of Options.Queues.
func WithQueue(q string) EnqueueOption { return func(o *enqueueOptions) { o.queue = q } }

// Plan is what a validated message will do: what it costs and when it
// goes.
type Plan struct {
	Queue      string
	Encoding   string // gsm, unicode or voice
	Segments   int    // per recipient; a batch chunk: the sum over its rows
	Recipients int
	Messages   int // what the provider bills: segments × recipients
	// SendAt is when sMsmode will send it (zero: at once); Deferred is set
	// when the marketing window moved it there.
	SendAt   time.Time
	Deferred bool
}

// Enqueued is one task stored in Redis.
type Enqueued struct {
	ID        string
	Duplicate bool // a task with this ID existed already; nothing was enqueued
	Plan
}

// Enqueuer validates payloads and enqueues them. It is safe for concurrent use.
type Enqueuer struct {
	client *asynq.Client
	ledger *store.Ledger
	caps   *store.Caps
	opts   Options
}

// NewEnqueuer returns an Enqueuer writing to rdb (see OpenRedis). It does
// not close rdb: its owner does.
func NewEnqueuer(rdb redis.UniversalClient, opts Options) (*Enqueuer, error) {
	if rdb == nil {
		return nil, errors.New("tasks: NewEnqueuer needs a Redis client")
	}
	if err := opts.check(); err != nil {
		return nil, err
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	ledger, err := store.NewLedger(rdb, store.DefaultLedgerTTL)
	if err != nil {
		return nil, err
	}
	caps, err := store.NewCaps(rdb)
	if err != nil {
		return nil, err
	}
	return &Enqueuer{client: asynq.NewClientFromRedisClient(rdb), ledger: ledger, caps: caps, opts: opts}, nil
}

// PlanSend validates p as Send does, without enqueueing anything (a dry run).
func (e *Enqueuer) PlanSend(ctx context.Context, p SendPayload, opts ...EnqueueOption) (*Plan, error) {
	plan, _, err := e.planSend(ctx, &p, opts)
	return plan, err
}

func (e *Enqueuer) planSend(ctx context.Context, p *SendPayload, opts []EnqueueOption) (*Plan, enqueueOptions, error) {
	o, err := e.options(QueueDefault, opts)
	if err != nil {
		return nil, o, err
	}
	prep, err := p.Prepare(e.opts.Region)
	if err != nil {
		return nil, o, err
	}
	p.To = prep.SMS.Numbers
	plan, err := e.plan(ctx, prep, o.queue, p.SendAt, p.ExpiresAt, p.Marketing, recipientFields(prep.SMS.Numbers))
	return plan, o, err
}

// Send validates and enqueues an sms:send.
func (e *Enqueuer) Send(ctx context.Context, p SendPayload, opts ...EnqueueOption) (Enqueued, error) {
	plan, o, err := e.planSend(ctx, &p, opts)
	if err != nil {
		return Enqueued{}, err
	}
	return e.enqueue(ctx, TypeSend, p, o.id, plan)
}

// PlanVoice validates p as Voice does, without enqueueing anything.
func (e *Enqueuer) PlanVoice(ctx context.Context, p VoicePayload, opts ...EnqueueOption) (*Plan, error) {
	plan, _, err := e.planVoice(ctx, &p, opts)
	return plan, err
}

func (e *Enqueuer) planVoice(ctx context.Context, p *VoicePayload, opts []EnqueueOption) (*Plan, enqueueOptions, error) {
	o, err := e.options(QueueDefault, opts)
	if err != nil {
		return nil, o, err
	}
	prep, err := p.Prepare(e.opts.Region)
	if err != nil {
		return nil, o, err
	}
	p.To = prep.Voice.Numbers
	plan, err := e.plan(ctx, prep, o.queue, p.SendAt, p.ExpiresAt, false, recipientFields(prep.Voice.Numbers))
	return plan, o, err
}

// Voice validates and enqueues an sms:voice.
func (e *Enqueuer) Voice(ctx context.Context, p VoicePayload, opts ...EnqueueOption) (Enqueued, error) {
	plan, o, err := e.planVoice(ctx, &p, opts)
	if err != nil {
		return Enqueued{}, err
	}
	return e.enqueue(ctx, TypeVoice, p, o.id, plan)
}

// chunk is one batch task to be: its rows (numbers rewritten) and plan.
type chunk struct {
	payload BatchPayload
	plan    *Plan
}

// PlanBatch validates p as Batch does and returns the plan of each chunk,
// without enqueueing anything.
func (e *Enqueuer) PlanBatch(ctx context.Context, p BatchPayload, opts ...EnqueueOption) ([]Plan, error) {
	chunks, _, err := e.planBatch(ctx, p, opts)
	if err != nil {
		return nil, err
	}
	out := make([]Plan, len(chunks))
	for i, c := range chunks {
		out[i] = *c.plan
	}
	return out, nil
}

func (e *Enqueuer) planBatch(ctx context.Context, p BatchPayload, opts []EnqueueOption) ([]chunk, enqueueOptions, error) {
	o, err := e.options(QueueLow, opts)
	if err != nil {
		return nil, o, err
	}
	all, err := p.Prepare(e.opts.Region)
	if err != nil {
		return nil, o, err
	}
	fields := make(map[string]string, len(all.Batch.Rows))
	numbers := make([]string, len(all.Batch.Rows))
	for i, r := range all.Batch.Rows {
		numbers[i] = r.Number
		if _, ok := fields[r.Number]; !ok {
			fields[r.Number] = fmt.Sprintf("rows[%d].to", i)
		}
	}
	whole, err := e.plan(ctx, all, o.queue, p.SendAt, p.ExpiresAt, p.Marketing, rowFields(numbers))
	if err != nil {
		return nil, o, err
	}
	var out []chunk
	for i := 0; i < len(p.Rows); i += e.opts.BatchChunk {
		end := min(i+e.opts.BatchChunk, len(p.Rows))
		c := chunk{payload: p}
		c.payload.Rows = make([]BatchRow, end-i)
		plan := *whole
		plan.Segments, plan.Recipients = 0, end-i
		for j := range c.payload.Rows {
			c.payload.Rows[j] = p.Rows[i+j]
			c.payload.Rows[j].To = all.Batch.Rows[i+j].Number
			plan.Segments += all.rowSegments[i+j]
		}
		plan.Messages = plan.Segments
		c.plan = &plan
		out = append(out, c)
	}
	return out, o, nil
}

// Batch validates every row, then enqueues chunks of at most BatchChunk rows
// with IDs ID-1, ID-2 … (ID from WithTaskID, else a new UUID). Nothing is
// enqueued when a row is invalid. If enqueueing fails half-way, calling Batch
// again with the same ID enqueues only the missing chunks.
func (e *Enqueuer) Batch(ctx context.Context, p BatchPayload, opts ...EnqueueOption) ([]Enqueued, error) {
	chunks, o, err := e.planBatch(ctx, p, opts)
	if err != nil {
		return nil, err
	}
	base := o.id
	if base == "" {
		base = uuid.NewString()
	}
	var out []Enqueued
	for n, c := range chunks {
		res, err := e.enqueue(ctx, TypeBatch, c.payload, ChunkID(base, n+1), c.plan)
		if err != nil {
			return out, err
		}
		out = append(out, res)
	}
	return out, nil
}

// ChunkID is the task ID of the n-th chunk (from 1) of the batch base.
func ChunkID(base string, n int) string { return fmt.Sprintf("%s-%d", base, n) }

func (e *Enqueuer) options(queue string, opts []EnqueueOption) (enqueueOptions, error) {
	o := enqueueOptions{queue: queue}
	for _, f := range opts {
		f(&o)
	}
	if o.queue == QueueEvents {
		return o, invalid("queue", "%q is reserved for callbacks and delivery reports", o.queue)
	}
	if !slices.Contains(e.opts.Queues, o.queue) {
		return o, invalid("queue", "%q: no worker serves it (WORKER_QUEUES has %v)", o.queue, e.opts.Queues)
	}
	return o, nil
}

// plan checks what depends on the clock and the account's limits: expiry,
// the marketing window, the destinations allowed and their daily caps.
// field names the payload field of a recipient number for an error.
func (e *Enqueuer) plan(ctx context.Context, prep *Prepared, queue string, sendAt, expiresAt time.Time, commercial bool, field func(number string) string) (*Plan, error) {
	now := e.opts.Now()
	if commercial && e.opts.Marketing == nil {
		return nil, invalid("marketing", "no marketing window is configured (MARKETING_HOURS)")
	}
	if !expiresAt.IsZero() && !expiresAt.After(now) {
		return nil, invalid("expires_at", "%s has passed", expiresAt.Format(time.RFC3339))
	}
	t := rules.When(now, sendAt, expiresAt, commercial, e.opts.Marketing)
	if t.Expired {
		when := "send_at"
		if t.Deferred {
			when = "the next marketing window"
		}
		return nil, invalid("expires_at", "%s comes before %s: the message would never be sent", expiresAt.Format(time.RFC3339), when)
	}
	if err := e.checkDestinations(ctx, prep, now, field); err != nil {
		return nil, err
	}
	return &Plan{
		Queue: queue, Encoding: prep.Encoding, Segments: prep.Segments, Recipients: prep.Recipients,
		Messages: prep.Messages, SendAt: t.DateEnvoi, Deferred: t.Deferred,
	}, nil
}

func recipientFields(numbers []string) func(string) string {
	return func(n string) string { return fmt.Sprintf("to[%d]", slices.Index(numbers, n)) }
}

func rowFields(numbers []string) func(string) string {
	return func(n string) string { return fmt.Sprintf("rows[%d].to", slices.Index(numbers, n)) }
}

func (e *Enqueuer) enqueue(ctx context.Context, typ string, p any, id string, plan *Plan) (Enqueued, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return Enqueued{}, err
	}
	res := Enqueued{ID: id, Plan: *plan}
	if id == "" {
		res.ID = uuid.NewString()
	} else {
		// A task ID is unique across every queue: a second enqueue with it,
		// anywhere, is a duplicate.
		keys := make([]string, len(e.opts.Queues))
		for i, q := range e.opts.Queues {
			keys[i] = store.TaskKey(q, id)
		}
		known, err := e.ledger.Known(ctx, id, keys...)
		if err != nil {
			return Enqueued{}, fmt.Errorf("enqueue %s: %w", id, err)
		}
		if known {
			res.Duplicate = true
			return res, nil
		}
	}
	err = e.put(ctx, asynq.NewTask(typ, b), res.ID, plan.Queue, rules.AsynqMaxRetry(e.opts.MaxRetry))
	if errors.Is(err, errDuplicate) {
		res.Duplicate = true
		return res, nil
	}
	return res, err
}

var errDuplicate = errors.New("duplicate task ID")

func (e *Enqueuer) put(ctx context.Context, t *asynq.Task, id, queue string, maxRetry int) error {
	opts := []asynq.Option{asynq.TaskID(id), asynq.Queue(queue), asynq.MaxRetry(maxRetry), asynq.Timeout(taskTimeout)}
	if e.opts.Retention > 0 {
		opts = append(opts, asynq.Retention(e.opts.Retention))
	}
	_, err := e.client.EnqueueContext(ctx, t, opts...)
	switch {
	case errors.Is(err, asynq.ErrTaskIDConflict), errors.Is(err, asynq.ErrDuplicateTask):
		return errDuplicate
	case err != nil:
		return fmt.Errorf("enqueue %s: %w", id, err)
	}
	return nil
}
