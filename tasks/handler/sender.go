package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/tasks/store"
)

// Provider is the part of *smsmode.Client the send handlers use.
type Provider interface {
	SendSMS(ctx context.Context, m *smsmode.SMS) (*smsmode.SendResult, error)
	SendVoice(ctx context.Context, v *smsmode.Voice) (*smsmode.SendResult, error)
	SendBatch(ctx context.Context, b *smsmode.Batch) (*smsmode.SendResult, error)
	SMSList(ctx context.Context, opts smsmode.ListOptions) ([]smsmode.SentSMS, error)
}

// SenderConfig configures the handlers of sms:send, sms:voice and sms:batch.
type SenderConfig struct {
	Provider Provider      // required
	Ledger   *store.Ledger // required
	Limiter  Limiter       // nil: no rate limit

	Region   string         // SMSMODE_DEFAULT_REGION, for national numbers; required
	Location *time.Location // SMSMODE_TIMEZONE, for date_envoi; required

	// Defaults applied when a task names none (WEBHOOK_PUBLIC_URL).
	NotificationURL string // notification_url of sends and batches
	ReplyURL        string // notification_url_reponse of reply-allowed sends

	// Tunables; zero means the value given in brackets.
	InternalErrorRetries int           // retries on code 31 [3]
	MaxRateWait          time.Duration // wait in place for the rate limit before going back to the queue [2s]
	ReconcileWindow      int           // smsList.do rows per page when reconciling [1000]

	// Observer, when set, is told of acceptances and rate-limit waits (metrics).
	Observer Observer

	Now func() time.Time // for tests; default time.Now
}

// Observer is told what the send handlers do; the worker's metrics implement it.
type Observer interface {
	Accepted(a *store.Acceptance)
	RateLimitWait()
}

// Sender delivers send, voice and batch tasks through sMsmode, at most once
// per task ID.
type Sender struct {
	cfg SenderConfig
}

// NewSender returns the handlers for cfg, or an error naming what cfg lacks.
func NewSender(cfg SenderConfig) (*Sender, error) {
	switch {
	case cfg.Provider == nil:
		return nil, errors.New("handler: SenderConfig.Provider is nil")
	case cfg.Ledger == nil:
		return nil, errors.New("handler: SenderConfig.Ledger is nil")
	case cfg.Region == "":
		return nil, errors.New("handler: SenderConfig.Region is empty")
	case cfg.Location == nil:
		return nil, errors.New("handler: SenderConfig.Location is nil")
	}
	if cfg.InternalErrorRetries <= 0 {
		cfg.InternalErrorRetries = 3
	}
	if cfg.MaxRateWait <= 0 {
		cfg.MaxRateWait = 2 * time.Second
	}
	if cfg.ReconcileWindow <= 0 {
		cfg.ReconcileWindow = 1000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Sender{cfg: cfg}, nil
}

// Register adds the three handlers to mux.
func (s *Sender) Register(mux *asynq.ServeMux) {
	mux.HandleFunc(tasks.TypeSend, s.ProcessSend)
	mux.HandleFunc(tasks.TypeVoice, s.ProcessVoice)
	mux.HandleFunc(tasks.TypeBatch, s.ProcessBatch)
}

// job is one provider call, whatever the task type.
type job struct {
	typ        string
	sendAt     time.Time
	segments   int
	encoding   string
	recipients []string
	ref        string
	text       string // as sent, to recognise the message in smsList.do
	call       func(ctx context.Context, dateEnvoi time.Time) (*smsmode.SendResult, error)
}

// ProcessSend handles sms:send.
func (s *Sender) ProcessSend(ctx context.Context, t *asynq.Task) error {
	var p tasks.SendPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	ps, err := p.Prepare(s.cfg.Region)
	if err != nil {
		return Archive(fmt.Errorf("%w: %w", ErrInvalidPayload, err))
	}
	sms := *ps.SMS
	sms.RefClient = refOrID(p.Ref, ctx)
	if sms.NotificationURL == "" {
		sms.NotificationURL = s.cfg.NotificationURL
	}
	if sms.ReplyURL == "" && sms.Class == smsmode.ClassReply {
		sms.ReplyURL = s.cfg.ReplyURL
	}
	return s.deliver(ctx, t, job{
		typ: tasks.TypeSend, sendAt: p.SendAt, segments: ps.Segments, encoding: ps.Encoding,
		recipients: sms.Numbers, ref: sms.RefClient, text: sms.Message,
		call: func(ctx context.Context, at time.Time) (*smsmode.SendResult, error) {
			m := sms
			m.SendAt = at
			return s.cfg.Provider.SendSMS(ctx, &m)
		},
	})
}

// ProcessVoice handles sms:voice.
func (s *Sender) ProcessVoice(ctx context.Context, t *asynq.Task) error {
	var p tasks.VoicePayload
	if err := decode(t, &p); err != nil {
		return err
	}
	pv, err := p.Prepare(s.cfg.Region)
	if err != nil {
		return Archive(fmt.Errorf("%w: %w", ErrInvalidPayload, err))
	}
	v := pv.Voice
	return s.deliver(ctx, t, job{
		typ: tasks.TypeVoice, sendAt: p.SendAt, segments: 1, encoding: "voice",
		recipients: v.Numbers, text: v.Message,
		call: func(ctx context.Context, at time.Time) (*smsmode.SendResult, error) {
			m := *v
			m.SendAt = at
			return s.cfg.Provider.SendVoice(ctx, &m)
		},
	})
}

// ProcessBatch handles sms:batch: one sendSMSBatch.do call per chunk.
func (s *Sender) ProcessBatch(ctx context.Context, t *asynq.Task) error {
	var p tasks.BatchPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	pb, err := p.Prepare(s.cfg.Region)
	if err != nil {
		return Archive(fmt.Errorf("%w: %w", ErrInvalidPayload, err))
	}
	b := *pb.Batch
	b.RefClient = refOrID(p.Ref, ctx)
	if b.NotificationURL == "" {
		b.NotificationURL = s.cfg.NotificationURL
	}
	return s.deliver(ctx, t, job{
		typ: tasks.TypeBatch, sendAt: p.SendAt, segments: pb.Segments, encoding: pb.Encoding,
		recipients: batchNumbers(b.Rows), ref: b.RefClient, text: b.Rows[0].Message,
		call: func(ctx context.Context, at time.Time) (*smsmode.SendResult, error) {
			m := b
			m.SendAt = at
			return s.cfg.Provider.SendBatch(ctx, &m)
		},
	})
}

func batchNumbers(rows []smsmode.BatchRow) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Number
	}
	return out
}

func decode(t *asynq.Task, v any) error {
	if err := json.Unmarshal(t.Payload(), v); err != nil {
		return Archive(fmt.Errorf("%w: not the JSON of %s: %w", ErrInvalidPayload, t.Type(), err))
	}
	return nil
}

// refOrID is the refClient: the payload's ref, else the task ID when it fits
// the provider's 40 characters.
func refOrID(ref string, ctx context.Context) string {
	if ref != "" {
		return ref
	}
	if id, ok := asynq.GetTaskID(ctx); ok && len(id) <= 40 {
		return id
	}
	return ""
}

// deliver makes at most one accepted provider call per task ID.
func (s *Sender) deliver(ctx context.Context, t *asynq.Task, j job) error {
	id, _ := asynq.GetTaskID(ctx)
	info := logInfo(ctx)
	att, err := s.cfg.Ledger.Begin(ctx, id, s.cfg.Now())
	if err != nil {
		return err // Redis is unreachable: do not call the provider blind
	}
	if att.Accepted != nil {
		info.add(slog.String("sms_id", att.Accepted.SMSID), slog.Bool("already_accepted", true))
		return s.complete(t, att.Accepted)
	}
	if !att.Previous.IsZero() {
		if err := s.wait(ctx); err != nil {
			return err
		}
		acc, err := s.reconcile(ctx, id, j, att.Previous)
		if err != nil {
			return fmt.Errorf("an earlier attempt's outcome is unknown and smsList.do could not be checked: %w", err)
		}
		if acc != nil {
			info.add(slog.String("sms_id", acc.SMSID), slog.Bool("reconciled", true))
			if err := s.record(ctx, acc); err != nil {
				return err
			}
			return s.complete(t, acc)
		}
	}
	if err := s.wait(ctx); err != nil {
		if att.Previous.IsZero() {
			_ = s.cfg.Ledger.Forget(ctx, id) // no call was made
		}
		return err
	}
	dateEnvoi := tasks.ScheduleFor(j.sendAt, s.cfg.Now())
	start := time.Now()
	res, err := j.call(ctx, dateEnvoi)
	info.add(slog.Duration("provider_latency", time.Since(start)))
	if err != nil {
		var pe *smsmode.Error
		if errors.As(err, &pe) {
			info.add(slog.Int("provider_code", int(pe.Code)))
		}
		if !smsmode.IsAmbiguous(err) {
			_ = s.cfg.Ledger.Forget(ctx, id) // the provider did not accept it
		}
		return s.classify(ctx, err)
	}
	acc := &store.Acceptance{
		TaskID: id, Type: j.typ, SMSID: res.SMSID, Ref: j.ref, Recipients: j.recipients,
		Segments: j.segments, Encoding: j.encoding, AcceptedAt: s.cfg.Now(),
	}
	if !dateEnvoi.IsZero() {
		acc.DateEnvoi = dateEnvoi.In(s.cfg.Location).Format(smsmode.LayoutSendDate)
		acc.SendAt = dateEnvoi
	}
	info.add(slog.Int("provider_code", 0), slog.String("sms_id", res.SMSID), slog.Int("segments", j.segments))
	if s.cfg.Observer != nil {
		s.cfg.Observer.Accepted(acc)
	}
	if err := s.record(ctx, acc); err != nil {
		return err
	}
	return s.complete(t, acc)
}

// wait takes one request from the shared budget at the task's priority (its
// queue), waiting in place up to MaxRateWait; beyond that the task goes back
// to the queue without counting a failure. A booked slot (critical requests
// book ahead) is always waited for: it is at most a second (or one interval
// of the rate) away, and giving it up would waste it.
func (s *Sender) wait(ctx context.Context) error {
	if s.cfg.Limiter == nil {
		return nil
	}
	p := priorityOf(ctx)
	deadline := time.Now().Add(s.cfg.MaxRateWait)
	for {
		r, err := s.cfg.Limiter.Reserve(ctx, p)
		if err != nil {
			return fmt.Errorf("rate limiter: %w", err)
		}
		if r.Booked && r.Delay <= 0 {
			return nil
		}
		logInfo(ctx).rateWaits++
		if s.cfg.Observer != nil {
			s.cfg.Observer.RateLimitWait()
		}
		if !r.Booked && time.Now().Add(r.Delay).After(deadline) {
			return &RateLimitedError{RetryAfter: r.Delay}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(r.Delay):
		}
		if r.Booked {
			return nil
		}
	}
}

// record stores the acceptance, insisting: the provider has taken the money,
// so a failure here must not turn into a second call. It uses a context of
// its own so that a shutdown does not interrupt it.
func (s *Sender) record(ctx context.Context, a *store.Acceptance) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	delay := 50 * time.Millisecond
	for {
		err := s.cfg.Ledger.Record(ctx, a)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			// The in-flight marker stays: the next attempt reconciles instead of sending.
			return fmt.Errorf("provider accepted %s but the ledger could not record it: %w", a.SMSID, err)
		case <-time.After(delay):
		}
		delay = min(2*delay, 2*time.Second)
	}
}

// complete writes the task result. During a Redis blip it insists for a
// while: a task whose result cannot be written fails, and asynq (v0.26) may
// then fail to record even that, leaving the task active until its lease is
// recovered a minute or two later. The ledger makes the retry harmless either way.
func (s *Sender) complete(t *asynq.Task, a *store.Acceptance) error {
	b, err := json.Marshal(tasks.Result{SMSID: a.SMSID, Segments: a.Segments, Encoding: a.Encoding, DateEnvoi: a.DateEnvoi})
	if err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	delay := 50 * time.Millisecond
	for {
		_, err := t.ResultWriter().Write(b)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("write result: %w", err) // shutting down: the retry finds the ledger entry
		}
		time.Sleep(delay)
		delay = min(2*delay, 2*time.Second)
	}
}

// classify turns a provider error into retry or archive.
func (s *Sender) classify(ctx context.Context, err error) error {
	n, _ := asynq.GetRetryCount(ctx)
	switch {
	case ctx.Err() != nil:
		return err // shutting down: asynq puts the task back
	case smsmode.IsTemporary(err):
		if n >= retryBudget(ctx) {
			return Archive(fmt.Errorf("%w (retries exhausted: %d)", err, n))
		}
		return err
	case smsmode.IsInternal(err):
		if n >= min(s.cfg.InternalErrorRetries, retryBudget(ctx)) {
			return Archive(fmt.Errorf("%w (after %d retries)", err, n))
		}
		return err
	}
	return Archive(err)
}

// retryBudget is the MAX_RETRY of the running send task (see
// tasks.SendRetries): past it, a failure archives the task.
func retryBudget(ctx context.Context) int {
	m, ok := asynq.GetMaxRetry(ctx)
	if !ok {
		return 0
	}
	return tasks.SendRetries(m)
}
