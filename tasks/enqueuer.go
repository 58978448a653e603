package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
)

// Options are the producer-side settings (DESIGN.md's environment).
type Options struct {
	Region     string        // SMSMODE_DEFAULT_REGION (default "FR")
	MaxRetry   int           // MAX_RETRY (default 20)
	Retention  time.Duration // TASK_RETENTION (default 24h)
	BatchChunk int           // BATCH_CHUNK (default 1000)
	// Timeout bounds one run of a task (default 5m); the provider call itself
	// is bounded by SMSMODE_TIMEOUT in the worker.
	Timeout time.Duration
}

func (o *Options) defaults() {
	if o.Region == "" {
		o.Region = "FR"
	}
	if o.MaxRetry == 0 {
		o.MaxRetry = 20
	}
	if o.Retention == 0 {
		o.Retention = 24 * time.Hour
	}
	if o.BatchChunk <= 0 {
		o.BatchChunk = 1000
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Minute
	}
}

// EnqueueOption adjusts one enqueue.
type EnqueueOption func(*enqueueOptions)

type enqueueOptions struct {
	id    string
	queue string
}

// WithTaskID sets the task ID. Enqueueing again with an ID that exists is
// reported as a duplicate, not an error, so producers can retry safely; batch
// chunks get ID-1, ID-2 ….
func WithTaskID(id string) EnqueueOption { return func(o *enqueueOptions) { o.id = id } }

// WithQueue sets the queue (default: "default" for sends and voice, "low" for batches).
func WithQueue(q string) EnqueueOption { return func(o *enqueueOptions) { o.queue = q } }

// Enqueued is one task stored in Redis.
type Enqueued struct {
	ID        string
	Queue     string
	Duplicate bool // a task with this ID existed already; nothing was enqueued
}

// Enqueuer validates payloads and enqueues them. It is safe for concurrent use.
type Enqueuer struct {
	client *asynq.Client
	opts   Options
}

// NewEnqueuer returns an Enqueuer writing to the Redis of r.
func NewEnqueuer(r asynq.RedisConnOpt, opts Options) *Enqueuer {
	opts.defaults()
	return &Enqueuer{client: asynq.NewClient(r), opts: opts}
}

// Close closes the Redis connection.
func (e *Enqueuer) Close() error { return e.client.Close() }

// NewSendTask validates p (numbers are rewritten to international digits)
// and returns the sms:send task. Errors are *ValidationError.
func NewSendTask(p SendPayload, region string, opts ...asynq.Option) (*asynq.Task, error) {
	if err := p.Validate(region); err != nil {
		return nil, err
	}
	return newTask(TypeSend, p, opts)
}

// NewVoiceTask validates p and returns the sms:voice task.
func NewVoiceTask(p VoicePayload, region string, opts ...asynq.Option) (*asynq.Task, error) {
	if err := p.Validate(region); err != nil {
		return nil, err
	}
	return newTask(TypeVoice, p, opts)
}

// NewBatchTask validates p (one chunk) and returns the sms:batch task.
func NewBatchTask(p BatchPayload, region string, opts ...asynq.Option) (*asynq.Task, error) {
	if err := p.Validate(region); err != nil {
		return nil, err
	}
	return newTask(TypeBatch, p, opts)
}

func newTask(typ string, p any, opts []asynq.Option) (*asynq.Task, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	return asynq.NewTask(typ, b, opts...), nil
}

// Send validates and enqueues an sms:send.
func (e *Enqueuer) Send(ctx context.Context, p SendPayload, opts ...EnqueueOption) (Enqueued, error) {
	o := e.options(QueueDefault, opts)
	t, err := NewSendTask(p, e.opts.Region)
	if err != nil {
		return Enqueued{}, err
	}
	return e.enqueue(ctx, t, o.id, o.queue)
}

// Voice validates and enqueues an sms:voice.
func (e *Enqueuer) Voice(ctx context.Context, p VoicePayload, opts ...EnqueueOption) (Enqueued, error) {
	o := e.options(QueueDefault, opts)
	t, err := NewVoiceTask(p, e.opts.Region)
	if err != nil {
		return Enqueued{}, err
	}
	return e.enqueue(ctx, t, o.id, o.queue)
}

// Batch validates every row, then enqueues chunks of at most BatchChunk rows
// with IDs ID-1, ID-2 … (ID from WithTaskID, else a new UUID). Nothing is
// enqueued when a row is invalid. If enqueueing fails half-way, calling Batch
// again with the same ID enqueues only the missing chunks.
func (e *Enqueuer) Batch(ctx context.Context, p BatchPayload, opts ...EnqueueOption) ([]Enqueued, error) {
	o := e.options(QueueLow, opts)
	if err := p.Validate(e.opts.Region); err != nil {
		return nil, err
	}
	base := o.id
	if base == "" {
		base = uuid.NewString()
	}
	var out []Enqueued
	for i, n := 0, 1; i < len(p.Rows); i, n = i+e.opts.BatchChunk, n+1 {
		chunk := p
		chunk.Rows = p.Rows[i:min(i+e.opts.BatchChunk, len(p.Rows))]
		t, err := newTask(TypeBatch, chunk, nil)
		if err != nil {
			return out, err
		}
		res, err := e.enqueue(ctx, t, fmt.Sprintf("%s-%d", base, n), o.queue)
		if err != nil {
			return out, err
		}
		out = append(out, res)
	}
	return out, nil
}

func (e *Enqueuer) options(queue string, opts []EnqueueOption) enqueueOptions {
	o := enqueueOptions{queue: queue}
	for _, f := range opts {
		f(&o)
	}
	return o
}

func (e *Enqueuer) enqueue(ctx context.Context, t *asynq.Task, id, queue string) (Enqueued, error) {
	if id == "" {
		id = uuid.NewString()
	}
	_, err := e.client.EnqueueContext(ctx, t,
		asynq.TaskID(id), asynq.Queue(queue), asynq.MaxRetry(e.opts.MaxRetry),
		asynq.Retention(e.opts.Retention), asynq.Timeout(e.opts.Timeout))
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return Enqueued{ID: id, Queue: queue, Duplicate: true}, nil
	}
	if err != nil {
		return Enqueued{}, fmt.Errorf("enqueue %s: %w", id, err)
	}
	return Enqueued{ID: id, Queue: queue}, nil
}
