package rules

import (
	"time"

	"github.com/smsq/smsq/marketing"
)

// Timing is how a message is handed to sMsmode at a given instant.
type Timing struct {
	// DateEnvoi is the date_envoi to send (minute precision, rounded up);
	// zero sends at once.
	DateEnvoi time.Time
	// Deferred is set when the marketing window moved the send time to its
	// next opening (DateEnvoi).
	Deferred bool
	// Expired is set when the message may no longer be sent: expires_at has
	// come, or comes before the time the message would go.
	Expired bool
}

// When decides, at instant now, how a message is handed over: send_at
// (zero: now), expires_at (zero: never) and, for a commercial message, the
// window in which it may be sent (nil: none). The worker asks again right
// before every provider call, so a retry, a backlog or a crash can neither
// send a marketing message outside its window nor send anything after it
// expired.
func When(now, sendAt, expiresAt time.Time, commercial bool, window *marketing.Window) Timing {
	at := sendAt
	if at.Before(now) {
		at = now
	}
	var t Timing
	if commercial && window != nil && !window.Open(at) {
		at = window.Next(at)
		t.Deferred = true
	}
	if !expiresAt.IsZero() && (!now.Before(expiresAt) || !at.Before(expiresAt)) {
		t.Expired = true
		return t
	}
	if t.Deferred {
		// The next opening is a whole minute in the future: hand it over
		// with that date_envoi even when it is less than a minute away, so
		// sMsmode never sends it early.
		t.DateEnvoi = at
		return t
	}
	t.DateEnvoi = ScheduleFor(at, now)
	return t
}

// ScheduleFor returns the date_envoi instant for sendAt: zero (send now) when
// sendAt is zero, past or within the next minute. A time with seconds is
// rounded up to the next minute, because date_envoi has minute precision and
// a message must never leave before the time asked for.
func ScheduleFor(sendAt, now time.Time) time.Time {
	if sendAt.IsZero() || !sendAt.After(now.Add(time.Minute)) {
		return time.Time{}
	}
	if t := sendAt.Truncate(time.Minute); !t.Equal(sendAt) {
		return t.Add(time.Minute)
	}
	return sendAt
}
