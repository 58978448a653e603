package tasks

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/smsq/smsq/tasks/internal/rules"

	"github.com/smsq/smsq/tasks/store"
)

// capLimit is Options.DailyCap as the store wants it.
func capLimit(caps map[string]int) func(string) (int, bool) {
	return func(region string) (int, bool) {
		if n, ok := caps[region]; ok {
			return n, true
		}
		n, ok := caps["*"]
		return n, ok
	}
}

// checkDestinations refuses a number of a region outside AllowedCountries,
// or one whose region has reached its daily cap, naming its field. A group
// send has no number to check: sMsmode's group decides.
func (e *Enqueuer) checkDestinations(ctx context.Context, prep *Prepared, now time.Time, field func(string) string) error {
	numbers := prep.numbers()
	if len(numbers) == 0 {
		return nil
	}
	if len(e.opts.AllowedCountries) > 0 {
		for _, n := range numbers {
			if r := rules.RegionOf(n); !slices.Contains(e.opts.AllowedCountries, r) {
				return invalid(field(n), "%s is a destination in %q, which ALLOWED_COUNTRIES does not allow", n, r)
			}
		}
	}
	if len(e.opts.DailyCap) == 0 {
		return nil
	}
	err := e.caps.Check(ctx, now.In(e.opts.Location), rules.Destinations(numbers), capLimit(e.opts.DailyCap))
	var over *store.OverCapError
	if errors.As(err, &over) {
		for _, n := range numbers {
			if rules.RegionOf(n) == over.Region {
				return invalid(field(n), "%v (DAILY_COUNTRY_CAP)", over)
			}
		}
	}
	return err
}

// numbers are the prepared message's recipients.
func (p *Prepared) numbers() []string {
	switch {
	case p.SMS != nil:
		return p.SMS.Numbers
	case p.Voice != nil:
		return p.Voice.Numbers
	case p.Batch != nil:
		out := make([]string, len(p.Batch.Rows))
		for i, r := range p.Batch.Rows {
			out[i] = r.Number
		}
		return out
	}
	return nil
}
