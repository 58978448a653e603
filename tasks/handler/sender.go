package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/smsq/smsq/tasks/internal/rules"

	"github.com/hibiken/asynq"

	"github.com/smsq/smsq/marketing"
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
	DeleteSMS(ctx context.Context, smsID string) error
}

// SenderConfig configures the handlers of sms:send, sms:voice and sms:batch.
type SenderConfig struct {
	Provider Provider      // required
	Ledger   *store.Ledger // required
	Limiter  Limiter       // nil: no rate limit

	Region   string         // SMSMODE_DEFAULT_REGION, for national numbers; required
	Location *time.Location // SMSMODE_TIMEZONE, for date_envoi; required

	// Marketing is when commercial messages may be handed over
	// (MARKETING_HOURS, MARKETING_HOLIDAYS); nil archives them.
	Marketing *marketing.Window
	// The fraud guard, checked again right before each provider call:
	// destination regions allowed (ALLOWED_COUNTRIES; empty: any) and
	// daily caps per region (DAILY_COUNTRY_CAP, "*" for the others),
	// counted in Caps (required with DailyCap).
	AllowedCountries []string
	DailyCap         map[string]int
	Caps             *store.Caps

	// Defaults applied when a task names none (WEBHOOK_PUBLIC_URL), given
	// the task's ID (webhook.DeliveryURL puts it in the path); nil: none.
	NotificationURL func(taskID string) string // notification_url of sends and batches
	ReplyURL        func(taskID string) string // notification_url_reponse of reply-allowed sends

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
	Deferred(typ string)                      // the marketing window moved a send to its next opening
	DestinationRefused(region, reason string) // reason: country_not_allowed or daily_cap
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
	case len(cfg.DailyCap) > 0 && cfg.Caps == nil:
		return nil, errors.New("handler: SenderConfig.Caps is nil while DailyCap is set")
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
	mux.HandleFunc(rules.TypeCancel, s.ProcessCancel)
}

// job is one provider call, whatever the task type.
type job struct {
	typ        string
	sendAt     time.Time
	expiresAt  time.Time
	marketing  bool
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
	id, _ := asynq.GetTaskID(ctx)
	if sms.NotificationURL == "" && s.cfg.NotificationURL != nil {
		sms.NotificationURL = s.cfg.NotificationURL(id)
	}
	if sms.ReplyURL == "" && sms.Class == smsmode.ClassReply && s.cfg.ReplyURL != nil {
		sms.ReplyURL = s.cfg.ReplyURL(id)
	}
	return s.deliver(ctx, t, job{
		typ: tasks.TypeSend, sendAt: p.SendAt, expiresAt: p.ExpiresAt, marketing: p.Marketing, segments: ps.Segments, encoding: ps.Encoding,
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
		typ: tasks.TypeVoice, sendAt: p.SendAt, expiresAt: p.ExpiresAt, segments: 1, encoding: "voice",
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
	if id, _ := asynq.GetTaskID(ctx); b.NotificationURL == "" && s.cfg.NotificationURL != nil {
		b.NotificationURL = s.cfg.NotificationURL(id)
	}
	return s.deliver(ctx, t, job{
		typ: tasks.TypeBatch, sendAt: p.SendAt, expiresAt: p.ExpiresAt, marketing: p.Marketing, segments: pb.Segments, encoding: pb.Encoding,
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

// deliver makes at most one accepted provider call per task ID, and none
// for a task that was cancelled or has expired.
func (s *Sender) deliver(ctx context.Context, t *asynq.Task, j job) error {
	id, _ := asynq.GetTaskID(ctx)
	info := logInfo(ctx)
	att, err := s.cfg.Ledger.Begin(ctx, id, s.cfg.Now())
	if err != nil {
		return err // Redis is unreachable: do not call the provider blind
	}
	if att.Ended != nil {
		info.add(slog.String("ended", att.Ended.State))
		return s.writeResult(t, tasks.Result{State: att.Ended.State, At: att.Ended.At, SMSID: att.Ended.SMSID})
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
			return s.record(ctx, acc) // the result too
		}
	}
	// Nothing left the worker yet: forget the in-flight marker on the way
	// out unless a call is made.
	noCall := func(err error) error {
		if att.Previous.IsZero() {
			_ = s.cfg.Ledger.Forget(ctx, id)
		}
		return err
	}
	// The instant of hand-over decides, whatever happened before (a retry,
	// a backlog, a crash): expiry and the marketing window.
	timing := rules.When(s.cfg.Now(), j.sendAt, j.expiresAt, j.marketing, s.cfg.Marketing)
	if timing.Expired {
		return s.expire(ctx, t, id)
	}
	if j.marketing && s.cfg.Marketing == nil {
		return noCall(Archive(errors.New("a marketing message, but this worker has no marketing window (MARKETING_HOURS)")))
	}
	taken, err := s.takeDestinations(ctx, j)
	if err != nil {
		return noCall(err)
	}
	if err := s.wait(ctx); err != nil {
		s.giveDestinations(ctx, taken)
		return noCall(err)
	}
	start := time.Now()
	res, err := j.call(ctx, timing.DateEnvoi)
	info.add(slog.Duration("provider_latency", time.Since(start)))
	if err != nil {
		var pe *smsmode.Error
		if errors.As(err, &pe) {
			info.add(slog.Int("provider_code", int(pe.Code)))
		}
		// Only an answer that proves a refusal clears the marker: after any
		// other (no answer, a 5xx from a proxy, code 31) the next attempt
		// looks in smsList.do before it may call again.
		if !smsmode.IsAmbiguous(err) {
			_ = s.cfg.Ledger.Forget(ctx, id)
			s.giveDestinations(ctx, taken)
		} else {
			info.add(slog.Bool("outcome_unknown", true))
		}
		return s.classify(ctx, err)
	}
	acc := &store.Acceptance{
		TaskID: id, Type: j.typ, SMSID: res.SMSID, Ref: j.ref, Recipients: j.recipients,
		Segments: j.segments, Encoding: j.encoding, AcceptedAt: s.cfg.Now(),
	}
	if !timing.DateEnvoi.IsZero() {
		acc.DateEnvoi = timing.DateEnvoi.In(s.cfg.Location).Format(smsmode.LayoutSendDate)
		acc.SendAt = timing.DateEnvoi
	}
	if timing.Deferred {
		acc.DeferredUntil = timing.DateEnvoi
		info.add(slog.Time("deferred_until", timing.DateEnvoi))
	}
	info.add(slog.Int("provider_code", 0), slog.String("sms_id", res.SMSID), slog.Int("segments", j.segments))
	if s.cfg.Observer != nil {
		s.cfg.Observer.Accepted(acc)
		if timing.Deferred {
			s.cfg.Observer.Deferred(j.typ)
		}
	}
	return s.record(ctx, acc) // the result too: one round trip
}

// expire ends a task whose expires_at has come without a send (it clears
// the in-flight marker too: no call was made, or the last one's outcome
// was checked).
func (s *Sender) expire(ctx context.Context, t *asynq.Task, id string) error {
	e := store.Ending{State: store.StateExpired, At: s.cfg.Now()}
	prior, err := s.cfg.Ledger.End(ctx, id, e)
	if err != nil {
		return err
	}
	if prior != nil { // cancelled meanwhile
		return s.writeResult(t, tasks.Result{State: prior.State, At: prior.At, SMSID: prior.SMSID})
	}
	// The run's outcome is Expired, not Done (logs, smsq_tasks_expired_total).
	endedAs(ctx, e.State)
	return s.writeResult(t, tasks.Result{State: e.State, At: e.At})
}

// ProcessCancel handles sms:cancel: a producer without the provider's
// credentials asks a worker to delete a message sMsmode holds
// (tasks.Inspector.Cancel), and waits for the ledger to record it.
func (s *Sender) ProcessCancel(ctx context.Context, t *asynq.Task) error {
	var p rules.CancelPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	if p.TaskID == "" || p.SMSID == "" {
		return Archive(fmt.Errorf("%w of %s: task_id and sms_id are required", ErrInvalidPayload, t.Type()))
	}
	if e, err := s.cfg.Ledger.Ending(ctx, p.TaskID); err != nil {
		return err
	} else if e != nil {
		return s.writeResult(t, tasks.Result{State: e.State, At: e.At, SMSID: e.SMSID})
	}
	if err := s.cfg.Provider.DeleteSMS(ctx, p.SMSID); err != nil {
		if rules.IsNotHeld(err) {
			return Archive(fmt.Errorf("sMsmode no longer holds smsID %s (sent or deleted already): %w", p.SMSID, err))
		}
		return err
	}
	e := store.Ending{State: store.StateCancelled, At: s.cfg.Now(), SMSID: p.SMSID}
	if _, err := s.cfg.Ledger.End(context.WithoutCancel(ctx), p.TaskID, e); err != nil {
		return err
	}
	return s.writeResult(t, tasks.Result{State: e.State, At: e.At, SMSID: e.SMSID})
}

// taken is what takeDestinations counted against the daily caps.
type taken struct {
	day    time.Time
	counts map[string]int
}

// takeDestinations checks the fraud guard again right before the call:
// every destination allowed, and the day's caps not passed (the messages
// are counted now; giveDestinations returns them when the provider
// refused the send).
func (s *Sender) takeDestinations(ctx context.Context, j job) (*taken, error) {
	if len(s.cfg.AllowedCountries) == 0 && len(s.cfg.DailyCap) == 0 {
		return nil, nil
	}
	counts := rules.Destinations(j.recipients)
	for region := range counts {
		if len(s.cfg.AllowedCountries) > 0 && !slices.Contains(s.cfg.AllowedCountries, region) {
			s.refused(region, "country_not_allowed")
			return nil, Archive(fmt.Errorf("destination region %q is not allowed (ALLOWED_COUNTRIES)", region))
		}
	}
	if len(s.cfg.DailyCap) == 0 {
		return nil, nil
	}
	limit := func(region string) (int, bool) {
		if n, ok := s.cfg.DailyCap[region]; ok {
			return n, true
		}
		n, ok := s.cfg.DailyCap["*"]
		return n, ok
	}
	day := s.cfg.Now().In(s.cfg.Location)
	err := s.cfg.Caps.Take(ctx, day, counts, limit)
	var over *store.OverCapError
	if errors.As(err, &over) {
		s.refused(over.Region, "daily_cap")
		return nil, Archive(fmt.Errorf("%w (DAILY_COUNTRY_CAP): re-run it from the web UI tomorrow, or raise the cap", over))
	}
	if err != nil {
		return nil, err
	}
	return &taken{day: day, counts: counts}, nil
}

func (s *Sender) giveDestinations(ctx context.Context, t *taken) {
	if t == nil {
		return
	}
	_ = s.cfg.Caps.Give(context.WithoutCancel(ctx), t.day, t.counts, func(string) (int, bool) { return 0, true })
}

func (s *Sender) refused(region, reason string) {
	if s.cfg.Observer != nil {
		s.cfg.Observer.DestinationRefused(region, reason)
	}
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
//
// The same round trip writes the task's result (store.Ledger.RecordWithResult),
// so an accepted send costs the ledger two round trips: Begin and this.
func (s *Sender) record(ctx context.Context, a *store.Acceptance) error {
	id, _ := asynq.GetTaskID(ctx)
	queue, _ := asynq.GetQueueName(ctx)
	taskKey := ""
	if id != "" && queue != "" {
		taskKey = store.TaskKey(queue, id)
	}
	result, err := json.Marshal(resultOf(a))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	delay := 50 * time.Millisecond
	for {
		err := s.cfg.Ledger.RecordWithResult(ctx, a, taskKey, result)
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
	return s.writeResult(t, resultOf(a))
}

// resultOf is the task result of an acceptance.
func resultOf(a *store.Acceptance) tasks.Result {
	return tasks.Result{SMSID: a.SMSID, Segments: a.Segments, Encoding: a.Encoding, DateEnvoi: a.DateEnvoi, DeferredUntil: a.DeferredUntil}
}

// writeResult writes the task's result, insisting through a Redis blip.
func (s *Sender) writeResult(t *asynq.Task, r tasks.Result) error {
	b, err := json.Marshal(r)
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
// rules.SendRetries): past it, a failure archives the task.
func retryBudget(ctx context.Context) int {
	m, ok := asynq.GetMaxRetry(ctx)
	if !ok {
		return 0
	}
	return rules.SendRetries(m)
}
