package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// Options are the producer-side settings. Zero values mean what the
// environment variables' zero means: MaxRetry 0 is no retry, Retention 0
// keeps no finished task. OptionsFromEnv reads them with the documented
// defaults.
type Options struct {
	Region     string        // SMSMODE_DEFAULT_REGION, for national numbers; required
	MaxRetry   int           // MAX_RETRY: retries after a failed attempt
	Retention  time.Duration // TASK_RETENTION: how long finished tasks stay visible
	BatchChunk int           // BATCH_CHUNK: rows per batch task; required
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

	Encoding string // what the validated message will be sent as
	Segments int    // per recipient (a batch chunk: the sum over its rows)
}

// Enqueuer validates payloads and enqueues them. It is safe for concurrent use.
type Enqueuer struct {
	client *asynq.Client
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
	return &Enqueuer{client: asynq.NewClientFromRedisClient(rdb), opts: opts}, nil
}

// Send validates and enqueues an sms:send.
func (e *Enqueuer) Send(ctx context.Context, p SendPayload, opts ...EnqueueOption) (Enqueued, error) {
	o := e.options(QueueDefault, opts)
	prep, err := p.Prepare(e.opts.Region)
	if err != nil {
		return Enqueued{}, err
	}
	p.To = prep.SMS.Numbers
	return e.enqueue(ctx, TypeSend, p, o.id, o.queue, prep)
}

// Voice validates and enqueues an sms:voice.
func (e *Enqueuer) Voice(ctx context.Context, p VoicePayload, opts ...EnqueueOption) (Enqueued, error) {
	o := e.options(QueueDefault, opts)
	prep, err := p.Prepare(e.opts.Region)
	if err != nil {
		return Enqueued{}, err
	}
	p.To = prep.Voice.Numbers
	return e.enqueue(ctx, TypeVoice, p, o.id, o.queue, prep)
}

// Batch validates every row, then enqueues chunks of at most BatchChunk rows
// with IDs ID-1, ID-2 … (ID from WithTaskID, else a new UUID). Nothing is
// enqueued when a row is invalid. If enqueueing fails half-way, calling Batch
// again with the same ID enqueues only the missing chunks.
func (e *Enqueuer) Batch(ctx context.Context, p BatchPayload, opts ...EnqueueOption) ([]Enqueued, error) {
	o := e.options(QueueLow, opts)
	all, err := p.Prepare(e.opts.Region)
	if err != nil {
		return nil, err
	}
	base := o.id
	if base == "" {
		base = uuid.NewString()
	}
	var out []Enqueued
	for i, n := 0, 1; i < len(p.Rows); i, n = i+e.opts.BatchChunk, n+1 {
		end := min(i+e.opts.BatchChunk, len(p.Rows))
		chunk := p
		chunk.Rows = make([]BatchRow, end-i)
		prep := &Prepared{Encoding: all.Encoding, Recipients: end - i}
		for j := range chunk.Rows {
			chunk.Rows[j] = p.Rows[i+j]
			chunk.Rows[j].To = all.Batch.Rows[i+j].Number
			prep.Segments += all.rowSegments[i+j]
		}
		prep.Messages = prep.Segments
		res, err := e.enqueue(ctx, TypeBatch, chunk, ChunkID(base, n), o.queue, prep)
		if err != nil {
			return out, err
		}
		out = append(out, res)
	}
	return out, nil
}

// ChunkID is the task ID of the n-th chunk (from 1) of the batch base.
func ChunkID(base string, n int) string { return fmt.Sprintf("%s-%d", base, n) }

func (e *Enqueuer) options(queue string, opts []EnqueueOption) enqueueOptions {
	o := enqueueOptions{queue: queue}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// sendRetryMargin is one asynq retry more than MAX_RETRY on send tasks:
// asynq archives any error, even "rate limited", once a task's retries reach
// its MaxRetry, so the worker keeps one in hand and archives a real failure
// itself when MAX_RETRY retries are spent (handler.RetryBudget).
const sendRetryMargin = 1

// SendRetries returns the MAX_RETRY an sms:send, sms:voice or sms:batch
// task was enqueued with, given asynq's retry maximum of the task.
func SendRetries(asynqMaxRetry int) int { return max(asynqMaxRetry-sendRetryMargin, 0) }

func (e *Enqueuer) enqueue(ctx context.Context, typ string, p any, id, queue string, prep *Prepared) (Enqueued, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return Enqueued{}, err
	}
	if id == "" {
		id = uuid.NewString()
	}
	res := Enqueued{ID: id, Queue: queue, Encoding: prep.Encoding, Segments: prep.Segments}
	err = e.put(ctx, asynq.NewTask(typ, b), id, queue, e.opts.MaxRetry+sendRetryMargin)
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
