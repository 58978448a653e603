package handler

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/tasks/store"
)

// Reporter is the part of *smsmode.Client the delivery-report poller uses.
type Reporter interface {
	DeliveryReport(ctx context.Context, smsID string) ([]smsmode.RecipientStatus, error)
}

// DeliveryEnqueuer takes the statuses the poller finds (*tasks.Enqueuer):
// the same sms:delivery follow-up a callback gives, with the same task ID.
type DeliveryEnqueuer interface {
	Delivery(ctx context.Context, p tasks.DeliveryPayload) (tasks.Enqueued, error)
}

// PollerConfig configures the delivery-report poller.
type PollerConfig struct {
	Provider Reporter             // required
	Polls    *store.DeliveryPolls // required
	Events   DeliveryEnqueuer     // required

	After time.Duration // DLR_POLL_AFTER: first poll that long after the start; required (positive)
	Until time.Duration // DLR_POLL_UNTIL: no poll after start+Until; required (>= After)

	// Wait, when set, is called before every compteRendu.do request and
	// returns once the request may be made: the shared SMSMODE_RATE budget.
	// An error skips the request; the message is polled at its next time.
	Wait func(ctx context.Context) error

	// Tunables; zero means the value given in brackets.
	Rate        int           // compteRendu.do requests per second, every pod together [DefaultPollRate]
	MinInterval time.Duration // first gap between two polls of a message [min(After, 1m)]
	MaxInterval time.Duration // longest gap [2h]
	Concurrency int           // requests in flight at once in one sweep [4]

	// Observe, when set, is told what happened to each message a sweep
	// handled, and how many new statuses its poll found. Outcomes:
	//
	//	ok         compteRendu.do answered
	//	error      the request failed (or its statuses could not be
	//	           enqueued): polled again at its next time
	//	not_found  code 61 (deleted, older than 30 days, or an ID the
	//	           provider does not look up), or the ledger no longer has
	//	           the message: no longer polled
	//	final      every recipient was final already (callbacks): no request
	//	deferred   claimed but not polled in time (rate budget, shutdown):
	//	           polled at its next time
	//	expired    DLR_POLL_UNTIL passed before its poll: no longer polled
	//
	// Only ok, error and not_found are provider requests.
	Observe func(outcome string, newStatuses int)

	Now func() time.Time // for tests; default time.Now
}

// DefaultPollRate bounds compteRendu.do requests per second for polling,
// all pods together, when PollerConfig.Rate is zero: 5 per second is 18,000
// an hour, enough for about 400,000 messages a day when most of them are
// final at their first poll.
const DefaultPollRate = 5

// Poll outcomes, see PollerConfig.Observe.
const (
	PollOK       = "ok"
	PollError    = "error"
	PollNotFound = "not_found"
	PollFinal    = "final"
	PollDeferred = "deferred"
	PollExpired  = "expired"
)

// Poller polls compteRendu.do for accepted messages whose recipients have
// no final status DLR_POLL_AFTER after their start (the acceptance, or
// date_envoi when later), backing off, until every recipient is final or
// DLR_POLL_UNTIL has passed. Every status it finds that the RecipientStore
// does not hold yet becomes an sms:delivery task whose ID is the one the
// callback of that status gets (tasks.DeliveryEventID), so a poll and a
// callback of the same status make one event.
//
// Messages come from the index Ledger.Record fills (store.DeliveryPolls).
// A sweep claims at most Rate messages (fewer when other pods have used the
// second's quota) in one script that also moves them to their next poll
// time, so pods never poll the same message at once, and a sweep's cost
// does not depend on how many messages await a report.
//
// Recipients: a message's recipients are its Acceptance.Recipients; a
// message sent to a contact group has none recorded, and its recipients
// are the numbers compteRendu.do lists (at least one, all final, for it to
// be done). A batch is polled once per chunk with its campagneID, which
// lists every row.
//
// Statuses 0 (sent) and 10 (scheduled) are what the provider says before
// any report: they are not enqueued.
type Poller struct {
	cfg    PollerConfig
	policy store.PollPolicy
}

// NewPoller returns a poller for cfg, or an error naming what cfg lacks.
func NewPoller(cfg PollerConfig) (*Poller, error) {
	switch {
	case cfg.Provider == nil:
		return nil, errors.New("handler: PollerConfig.Provider is nil")
	case cfg.Polls == nil:
		return nil, errors.New("handler: PollerConfig.Polls is nil")
	case cfg.Events == nil:
		return nil, errors.New("handler: PollerConfig.Events is nil")
	case cfg.After <= 0:
		return nil, errors.New("handler: PollerConfig.After must be positive (DLR_POLL_AFTER=0 turns polling off: do not start a poller)")
	case cfg.Until < cfg.After:
		return nil, errors.New("handler: PollerConfig.Until must not be less than After")
	case cfg.Rate < 0 || cfg.MinInterval < 0 || cfg.MaxInterval < 0 || cfg.Concurrency < 0:
		return nil, errors.New("handler: PollerConfig tunables must not be negative")
	}
	if cfg.Rate == 0 {
		cfg.Rate = DefaultPollRate
	}
	if cfg.MinInterval == 0 {
		cfg.MinInterval = min(cfg.After, time.Minute)
	}
	if cfg.MaxInterval == 0 {
		cfg.MaxInterval = 2 * time.Hour
	}
	cfg.MaxInterval = max(cfg.MaxInterval, cfg.MinInterval)
	if cfg.Concurrency == 0 {
		cfg.Concurrency = 4
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Poller{cfg: cfg, policy: store.PollPolicy{
		After: cfg.After, Until: cfg.Until,
		MinInterval: cfg.MinInterval, MaxInterval: cfg.MaxInterval,
		// A message due at its last poll may still be polled that late
		// (a backlog, a restart); later it is dropped unpolled.
		Grace: cfg.MinInterval,
		Rate:  cfg.Rate,
	}}, nil
}

// SweepResult is what one Sweep did.
type SweepResult struct {
	Claimed  int   // messages claimed
	Requests int   // compteRendu.do requests made
	Statuses int   // new statuses enqueued as sms:delivery
	Done     int   // messages no longer polled: all final, unknown, or at their last poll
	Expired  int   // messages dropped unpolled, past DLR_POLL_UNTIL
	Waiting  int   // messages due now left for a later sweep (the rate bound)
	Errors   int   // polls that failed and will be made again
	Err      error // one of those failures, for the log
}

// Sweep claims the messages due now and polls them. It returns an error
// only when Redis cannot be used; a failed poll is counted in Errors and
// made again at the message's next time.
func (p *Poller) Sweep(ctx context.Context) (SweepResult, error) {
	// A claim is exclusive for MinInterval from now: finish well before
	// another pod may claim the same messages again. The deadline is on the
	// real clock, which the exclusivity is about.
	wctx, cancel := context.WithDeadline(ctx, time.Now().Add(p.cfg.MinInterval/2))
	defer cancel()
	now := p.cfg.Now()
	cr, err := p.cfg.Polls.Claim(ctx, now, p.policy, p.cfg.Rate)
	if err != nil {
		return SweepResult{}, err
	}
	res := SweepResult{Claimed: len(cr.Claims), Expired: cr.Expired, Waiting: cr.Waiting}
	for range cr.Expired {
		p.observe(PollExpired, 0)
	}
	if len(cr.Claims) == 0 {
		return res, nil
	}
	targets, err := p.cfg.Polls.Load(ctx, cr.Claims)
	if err != nil {
		return res, err
	}

	polls := make([]poll, len(targets))
	sem := make(chan struct{}, p.cfg.Concurrency)
	var wg sync.WaitGroup
	for i := range targets {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			polls[i] = p.poll(wctx, &targets[i], now)
		}()
	}
	wg.Wait()

	var done []store.PollClaim
	for i, pl := range polls {
		p.observe(pl.outcome, pl.statuses)
		res.Statuses += pl.statuses
		if pl.requested {
			res.Requests++
		}
		if pl.err != nil {
			res.Errors++
			res.Err = pl.err
		}
		if pl.done || targets[i].Last {
			res.Done++
		}
		if pl.done {
			done = append(done, targets[i].PollClaim)
		}
	}
	// Removing finished messages must survive the end of ctx: otherwise they
	// would only cost a poll more, but there is no reason to pay it.
	dctx, dcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer dcancel()
	if err := p.cfg.Polls.Done(dctx, done...); err != nil {
		return res, err
	}
	return res, nil
}

// poll is what happened to one claimed message.
type poll struct {
	outcome   string
	statuses  int  // new statuses enqueued
	requested bool // compteRendu.do was called
	done      bool // remove from the index
	err       error
}

func (p *Poller) poll(ctx context.Context, t *store.PollTarget, now time.Time) poll {
	a := t.Acceptance
	if a == nil || a.SMSID == "" {
		return poll{outcome: PollNotFound, done: true}
	}
	if len(a.Recipients) > 0 && allFinal(a.Recipients, t.States) {
		return poll{outcome: PollFinal, done: true}
	}
	if p.cfg.Wait != nil {
		if err := p.cfg.Wait(ctx); err != nil {
			return poll{outcome: PollDeferred}
		}
	}
	if ctx.Err() != nil {
		return poll{outcome: PollDeferred}
	}
	report, err := p.cfg.Provider.DeliveryReport(ctx, a.SMSID)
	if err != nil {
		var pe *smsmode.Error
		switch {
		case errors.As(err, &pe) && pe.Code == smsmode.CodeNotFound:
			return poll{outcome: PollNotFound, requested: true, done: true}
		case ctx.Err() != nil: // the sweep's time is up, or shutdown
			return poll{outcome: PollDeferred, requested: true}
		}
		return poll{outcome: PollError, requested: true, err: fmt.Errorf("compteRendu.do of %s (task %s): %w", a.SMSID, a.TaskID, err)}
	}

	pl := poll{outcome: PollOK, requested: true}
	final := make(map[string]bool, len(report))
	for _, rs := range report {
		stored, known := t.States[rs.Number]
		isFinal := rs.Status.Final() || known && stored.Final
		if f, seen := final[rs.Number]; seen {
			isFinal = isFinal && f // a batch may list a number once per row
		}
		final[rs.Number] = isFinal
		if rs.Status == smsmode.StatusSent || rs.Status == smsmode.StatusScheduled {
			continue // no report yet
		}
		if known && (stored.Final || stored.Status == int(rs.Status)) {
			continue // the store has it (a callback, or an earlier poll)
		}
		res, err := p.cfg.Events.Delivery(ctx, tasks.DeliveryPayload{
			SMSID: a.SMSID, To: rs.Number, Status: int(rs.Status), StatusText: rs.Status.String(),
			Final: rs.Status.Final(), ReceivedAt: now, Ref: a.Ref, TaskID: a.TaskID,
		})
		if err != nil {
			pl.outcome, pl.err = PollError, fmt.Errorf("enqueue the status of %s found by polling: %w", a.SMSID, err)
			return pl
		}
		if !res.Duplicate {
			pl.statuses++
		}
	}
	if len(a.Recipients) > 0 {
		pl.done = allFinalIn(a.Recipients, final, t.States)
	} else { // a group: the numbers compteRendu.do lists
		pl.done = len(final) > 0
		for _, f := range final {
			pl.done = pl.done && f
		}
	}
	return pl
}

func (p *Poller) observe(outcome string, statuses int) {
	if p.cfg.Observe != nil {
		p.cfg.Observe(outcome, statuses)
	}
}

// allFinal reports whether the store holds a final status for every number.
func allFinal(numbers []string, states map[string]store.RecipientState) bool {
	for _, n := range numbers {
		if !states[n].Final {
			return false
		}
	}
	return true
}

// allFinalIn reports whether every number is final in the poll's answer or
// in the store.
func allFinalIn(numbers []string, polled map[string]bool, states map[string]store.RecipientState) bool {
	for _, n := range numbers {
		if !polled[n] && !states[n].Final {
			return false
		}
	}
	return true
}
