package rules_test

import (
	"testing"
	"time"

	"github.com/smsq/smsq/tasks/internal/rules"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/marketing"
)

var paris = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err)
	}
	return loc
}()

func frenchWindow(t *testing.T) *marketing.Window {
	t.Helper()
	h, err := marketing.ParseHours("Mon-Sat 08:00-20:00")
	require.NoError(t, err)
	hd, err := marketing.ParseHolidays("FR")
	require.NoError(t, err)
	w, err := marketing.New(h, hd, paris)
	require.NoError(t, err)
	return w
}

func TestWhen(t *testing.T) {
	t.Parallel()
	w := frenchWindow(t)
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04:05", s, paris)
		require.NoError(t, err)
		return v
	}
	for _, tc := range []struct {
		name                   string
		now, sendAt, expiresAt string
		marketing              bool
		dateEnvoi              string // "" sends at once
		deferred, expired      bool
	}{
		{name: "now", now: "2026-12-05 10:00:00"},
		{name: "scheduled", now: "2026-12-05 10:00:00", sendAt: "2026-12-05 12:30:00", dateEnvoi: "2026-12-05 12:30:00"},
		{name: "within the minute", now: "2026-12-05 10:00:00", sendAt: "2026-12-05 10:00:40"},
		{name: "marketing inside", now: "2026-12-05 10:00:00", marketing: true},
		{name: "marketing Saturday 19:58 → Monday", now: "2026-12-05 19:58:00", sendAt: "2026-12-05 20:00:00", marketing: true, dateEnvoi: "2026-12-07 08:00:00", deferred: true},
		{name: "marketing Saturday 20:00 → Monday", now: "2026-12-05 20:00:00", marketing: true, dateEnvoi: "2026-12-07 08:00:00", deferred: true},
		{name: "marketing 07:59:30, opening in 30 s, not sent early", now: "2026-12-07 07:59:30", marketing: true, dateEnvoi: "2026-12-07 08:00:00", deferred: true},
		{name: "marketing on Christmas", now: "2026-12-25 10:00:00", marketing: true, dateEnvoi: "2026-12-26 08:00:00", deferred: true},
		{name: "marketing 31 Dec 19:59", now: "2026-12-31 19:59:00", marketing: true},
		{name: "marketing 31 Dec 20:00 → 2 Jan", now: "2026-12-31 20:00:00", marketing: true, dateEnvoi: "2027-01-02 08:00:00", deferred: true},
		{name: "transactional at night", now: "2026-12-05 23:00:00"},
		{name: "expired", now: "2026-12-05 10:00:00", expiresAt: "2026-12-05 10:00:00", expired: true},
		{name: "not yet expired", now: "2026-12-05 10:00:00", expiresAt: "2026-12-05 10:00:01"},
		{name: "send_at after expiry", now: "2026-12-05 10:00:00", sendAt: "2026-12-05 11:00:00", expiresAt: "2026-12-05 10:30:00", expired: true},
		{name: "window opens after expiry", now: "2026-12-05 20:30:00", expiresAt: "2026-12-06 12:00:00", marketing: true, deferred: true, expired: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sendAt, expiresAt time.Time
			if tc.sendAt != "" {
				sendAt = at(tc.sendAt)
			}
			if tc.expiresAt != "" {
				expiresAt = at(tc.expiresAt)
			}
			got := rules.When(at(tc.now), sendAt, expiresAt, tc.marketing, w)
			require.Equal(t, tc.expired, got.Expired)
			require.Equal(t, tc.deferred, got.Deferred)
			if tc.dateEnvoi == "" {
				require.True(t, got.DateEnvoi.IsZero(), "sent at once, got %v", got.DateEnvoi)
			} else {
				require.True(t, at(tc.dateEnvoi).Equal(got.DateEnvoi), "date_envoi %v, want %s", got.DateEnvoi, tc.dateEnvoi)
			}
		})
	}
}
