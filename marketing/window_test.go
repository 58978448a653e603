package marketing_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Paris even on a machine without zoneinfo

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/marketing"
)

func paris(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	return loc
}

func newWindow(t testing.TB, hours, holidays string) *marketing.Window {
	t.Helper()
	h, err := marketing.ParseHours(hours)
	require.NoError(t, err)
	hol, err := marketing.ParseHolidays(holidays)
	require.NoError(t, err)
	w, err := marketing.New(h, hol, paris(t))
	require.NoError(t, err)
	return w
}

// rfc parses an RFC 3339 time: every expectation carries its UTC offset, so
// the tests say which side of a DST change they mean.
func rfc(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	require.NoError(t, err)
	return v
}

// windowCase is one instant and what the window says about it.
type windowCase struct {
	at    string // RFC 3339
	open  bool
	next  string // RFC 3339; Next(at)
	until string // RFC 3339; Until(at), checked when set
}

func checkCases(t *testing.T, w *marketing.Window, cases []windowCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.at, func(t *testing.T) {
			t.Parallel()
			at := rfc(t, c.at)
			require.Equal(t, c.open, w.Open(at), "Open")
			next := w.Next(at)
			require.Equal(t, rfc(t, c.next).UTC(), next.UTC(), "Next: got %v", next)
			require.Equal(t, "Europe/Paris", next.Location().String(), "Next is in the window's zone")
			require.True(t, w.Open(next), "Next is open")
			if c.until != "" {
				require.Equal(t, rfc(t, c.until).UTC(), w.Until(at).UTC(), "Until")
			}
		})
	}
}

// TestWindowDefaultWeek checks every day of an ordinary week (no holiday)
// with the default hours at 07:59, 08:00, 19:59 and 20:00.
func TestWindowDefaultWeek(t *testing.T) {
	t.Parallel()
	w := newWindow(t, "Mon-Sat 08:00-20:00", "FR")
	next := map[string]string{ // the next day that opens
		"2026-06-08": "2026-06-09", "2026-06-09": "2026-06-10", "2026-06-10": "2026-06-11",
		"2026-06-11": "2026-06-12", "2026-06-12": "2026-06-13", "2026-06-13": "2026-06-15",
		"2026-06-14": "2026-06-15",
	}
	var cases []windowCase
	for day := rfc(t, "2026-06-08T12:00:00+02:00"); day.Day() <= 14; day = day.AddDate(0, 0, 1) {
		d := day.Format(time.DateOnly)
		if day.Weekday() == time.Sunday {
			for _, hm := range []string{"00:00", "07:59", "08:00", "12:00", "19:59", "20:00", "23:59"} {
				cases = append(cases, windowCase{at: d + "T" + hm + ":00+02:00", next: next[d] + "T08:00:00+02:00"})
			}
			continue
		}
		cases = append(cases,
			windowCase{at: d + "T00:00:00+02:00", next: d + "T08:00:00+02:00"},
			windowCase{at: d + "T07:59:00+02:00", next: d + "T08:00:00+02:00"},
			windowCase{at: d + "T07:59:59.999+02:00", next: d + "T08:00:00+02:00"},
			windowCase{at: d + "T08:00:00+02:00", open: true, next: d + "T08:00:00+02:00", until: d + "T20:00:00+02:00"},
			windowCase{at: d + "T19:59:00+02:00", open: true, next: d + "T19:59:00+02:00", until: d + "T20:00:00+02:00"},
			// An open instant's Next is the start of its minute.
			windowCase{at: d + "T19:59:59.999+02:00", open: true, next: d + "T19:59:00+02:00", until: d + "T20:00:00+02:00"},
			windowCase{at: d + "T20:00:00+02:00", next: next[d] + "T08:00:00+02:00", until: d + "T20:00:00+02:00"},
			windowCase{at: d + "T20:00:30+02:00", next: next[d] + "T08:00:00+02:00", until: d + "T20:00:00+02:00"},
			windowCase{at: d + "T23:59:59+02:00", next: next[d] + "T08:00:00+02:00"},
		)
	}
	checkCases(t, w, cases)
}

func TestWindowHolidays(t *testing.T) {
	t.Parallel()
	t.Run("FR", func(t *testing.T) {
		t.Parallel()
		checkCases(t, newWindow(t, "Mon-Sat 08:00-20:00", "FR"), []windowCase{
			{at: "2026-04-06T10:00:00+02:00", next: "2026-04-07T08:00:00+02:00"}, // Easter Monday
			{at: "2026-05-01T10:00:00+02:00", next: "2026-05-02T08:00:00+02:00"}, // Friday 1 May
			{at: "2026-05-07T20:00:00+02:00", next: "2026-05-09T08:00:00+02:00"}, // eve of Friday 8 May
			{at: "2026-05-13T19:59:00+02:00", open: true, next: "2026-05-13T19:59:00+02:00", until: "2026-05-13T20:00:00+02:00"},
			{at: "2026-05-14T08:00:00+02:00", next: "2026-05-15T08:00:00+02:00"}, // Ascension
			{at: "2026-05-23T20:00:00+02:00", next: "2026-05-26T08:00:00+02:00"}, // Whit Monday after a Sunday
			{at: "2026-07-14T12:00:00+02:00", next: "2026-07-15T08:00:00+02:00"},
			// 15 August 2026 is a Saturday: closed, then Sunday, so Monday.
			{at: "2026-08-14T20:00:00+02:00", next: "2026-08-17T08:00:00+02:00"},
			{at: "2026-08-15T10:00:00+02:00", next: "2026-08-17T08:00:00+02:00"},
			// 1 November 2031 is a Saturday too.
			{at: "2031-11-01T09:00:00+01:00", next: "2031-11-03T08:00:00+01:00"},
			{at: "2026-11-11T09:00:00+01:00", next: "2026-11-12T08:00:00+01:00"},
			{at: "2026-12-24T19:00:00+01:00", open: true, next: "2026-12-24T19:00:00+01:00", until: "2026-12-24T20:00:00+01:00"},
			{at: "2026-12-25T09:00:00+01:00", next: "2026-12-26T08:00:00+01:00"},
			{at: "2026-12-26T09:00:00+01:00", open: true, next: "2026-12-26T09:00:00+01:00"}, // not in FR
			{at: "2026-04-03T09:00:00+02:00", open: true, next: "2026-04-03T09:00:00+02:00"}, // Good Friday: not in FR
		})
	})
	t.Run("FR-57", func(t *testing.T) {
		t.Parallel()
		checkCases(t, newWindow(t, "Mon-Sat 08:00-20:00", "FR-57"), []windowCase{
			{at: "2026-04-03T09:00:00+02:00", next: "2026-04-04T08:00:00+02:00"}, // Good Friday
			{at: "2026-04-02T20:00:00+02:00", next: "2026-04-04T08:00:00+02:00"},
			// 25 Dec 2026 is a Friday, 26 Dec a Saturday.
			{at: "2026-12-24T20:00:00+01:00", next: "2026-12-28T08:00:00+01:00"},
		})
	})
	t.Run("none", func(t *testing.T) {
		t.Parallel()
		checkCases(t, newWindow(t, "Mon-Sat 08:00-20:00", "none"), []windowCase{
			{at: "2026-08-15T10:00:00+02:00", open: true, next: "2026-08-15T10:00:00+02:00"},
			{at: "2026-12-31T20:00:00+01:00", next: "2027-01-01T08:00:00+01:00"},
		})
	})
	t.Run("custom hours on Sunday", func(t *testing.T) {
		t.Parallel()
		// Easter Sunday is not a holiday; Whit Monday is.
		checkCases(t, newWindow(t, "Mon-Sun 09:00-18:00", "FR"), []windowCase{
			{at: "2026-04-05T10:00:00+02:00", open: true, next: "2026-04-05T10:00:00+02:00"},
			{at: "2026-05-24T18:00:00+02:00", next: "2026-05-26T09:00:00+02:00"},
		})
	})
}

func TestWindowYearEnd(t *testing.T) {
	t.Parallel()
	checkCases(t, newWindow(t, "Mon-Sat 08:00-20:00", "FR"), []windowCase{
		{at: "2026-12-31T19:59:00+01:00", open: true, next: "2026-12-31T19:59:00+01:00", until: "2026-12-31T20:00:00+01:00"},
		// 1 January 2027 is a holiday, 2 January a Saturday.
		{at: "2026-12-31T20:00:00+01:00", next: "2027-01-02T08:00:00+01:00"},
		{at: "2027-01-01T10:00:00+01:00", next: "2027-01-02T08:00:00+01:00"},
		// 1 January 2028 is a Saturday: holiday, then Sunday.
		{at: "2027-12-31T20:00:00+01:00", next: "2028-01-03T08:00:00+01:00"},
		// 2 January 2033 is a Sunday.
		{at: "2032-12-31T20:00:00+01:00", next: "2033-01-03T08:00:00+01:00"},
		// The same instant given in UTC.
		{at: "2032-12-31T19:00:00Z", next: "2033-01-03T08:00:00+01:00"},
		{at: "2032-12-31T18:59:59Z", open: true, next: "2032-12-31T19:59:00+01:00"},
	})
}

// TestWindowDST checks the last Sundays of March and October 2026 in Paris
// (29 March: 02:00 CET becomes 03:00 CEST; 25 October: 03:00 CEST becomes
// 02:00 CET), with hours that include Sunday.
func TestWindowDST(t *testing.T) {
	t.Parallel()
	t.Run("all week 08:00-20:00", func(t *testing.T) {
		t.Parallel()
		checkCases(t, newWindow(t, "Mon-Sun 08:00-20:00", "FR"), []windowCase{
			// Saturday 20:00 CET to Sunday 08:00 CEST is 11 hours.
			{at: "2026-03-28T20:00:00+01:00", next: "2026-03-29T08:00:00+02:00"},
			{at: "2026-03-29T01:59:00+01:00", next: "2026-03-29T08:00:00+02:00"},
			{at: "2026-03-29T03:00:00+02:00", next: "2026-03-29T08:00:00+02:00"},
			{at: "2026-03-29T07:59:00+02:00", next: "2026-03-29T08:00:00+02:00"},
			{at: "2026-03-29T19:59:00+02:00", open: true, next: "2026-03-29T19:59:00+02:00", until: "2026-03-29T20:00:00+02:00"},
			// Saturday 20:00 CEST to Sunday 08:00 CET is 13 hours.
			{at: "2026-10-24T20:00:00+02:00", next: "2026-10-25T08:00:00+01:00"},
			{at: "2026-10-25T02:30:00+02:00", next: "2026-10-25T08:00:00+01:00"},
			{at: "2026-10-25T02:30:00+01:00", next: "2026-10-25T08:00:00+01:00"},
			{at: "2026-10-25T08:00:00+01:00", open: true, next: "2026-10-25T08:00:00+01:00", until: "2026-10-25T20:00:00+01:00"},
		})
	})
	t.Run("range in the skipped hour", func(t *testing.T) {
		t.Parallel()
		// 02:00-02:59 does not exist on 29 March: the range opens when the
		// clocks land in it, at 03:00 CEST.
		checkCases(t, newWindow(t, "Sun 02:30-03:30", "FR"), []windowCase{
			{at: "2026-03-29T01:59:00+01:00", next: "2026-03-29T03:00:00+02:00"},
			{at: "2026-03-29T01:00:00Z", open: true, next: "2026-03-29T03:00:00+02:00", until: "2026-03-29T03:30:00+02:00"},
			{at: "2026-03-29T03:29:00+02:00", open: true, next: "2026-03-29T03:29:00+02:00", until: "2026-03-29T03:30:00+02:00"},
			// Next Sunday is Easter, not a holiday.
			{at: "2026-03-29T03:30:00+02:00", next: "2026-04-05T02:30:00+02:00"},
			{at: "2026-03-22T02:30:00+01:00", open: true, next: "2026-03-22T02:30:00+01:00", until: "2026-03-22T03:30:00+01:00"},
		})
	})
	t.Run("range entirely in the skipped hour", func(t *testing.T) {
		t.Parallel()
		// On 29 March the range does not exist at all: the next opening
		// is the following Sunday.
		checkCases(t, newWindow(t, "Sun 02:00-02:59", "FR"), []windowCase{
			{at: "2026-03-29T01:59:00+01:00", next: "2026-04-05T02:00:00+02:00"},
			{at: "2026-03-22T02:58:00+01:00", open: true, next: "2026-03-22T02:58:00+01:00", until: "2026-03-22T02:59:00+01:00"},
		})
	})
	t.Run("range in the repeated hour", func(t *testing.T) {
		t.Parallel()
		// 02:00-02:59 happens twice on 25 October, first in CEST then in
		// CET; each is judged by its wall clock.
		checkCases(t, newWindow(t, "Sun 02:30-04:00", "FR"), []windowCase{
			{at: "2026-10-25T02:10:00+02:00", next: "2026-10-25T02:30:00+02:00"},
			{at: "2026-10-25T02:45:00+02:00", open: true, next: "2026-10-25T02:45:00+02:00", until: "2026-10-25T02:00:00+01:00"},
			{at: "2026-10-25T02:10:00+01:00", next: "2026-10-25T02:30:00+01:00", until: "2026-10-25T02:10:00+01:00"},
			{at: "2026-10-25T02:30:00+01:00", open: true, next: "2026-10-25T02:30:00+01:00", until: "2026-10-25T04:00:00+01:00"},
			// The next Sunday, 1 November, is a holiday.
			{at: "2026-10-25T04:00:00+01:00", next: "2026-11-08T02:30:00+01:00"},
		})
	})
	t.Run("whole Sunday", func(t *testing.T) {
		t.Parallel()
		// The open period is the whole wall-clock Sunday: 23 hours in
		// March, 25 in October.
		w := newWindow(t, "Sun 00:00-24:00", "none")
		checkCases(t, w, []windowCase{
			{at: "2026-03-28T23:59:00+01:00", next: "2026-03-29T00:00:00+01:00"},
			{at: "2026-03-29T00:00:00+01:00", open: true, next: "2026-03-29T00:00:00+01:00", until: "2026-03-30T00:00:00+02:00"},
			{at: "2026-03-29T03:00:00+02:00", open: true, next: "2026-03-29T03:00:00+02:00", until: "2026-03-30T00:00:00+02:00"},
			{at: "2026-10-25T00:00:00+02:00", open: true, next: "2026-10-25T00:00:00+02:00", until: "2026-10-26T00:00:00+01:00"},
			{at: "2026-10-25T02:30:00+01:00", open: true, next: "2026-10-25T02:30:00+01:00", until: "2026-10-26T00:00:00+01:00"},
		})
		require.Equal(t, 23*time.Hour, w.Until(rfc(t, "2026-03-29T00:00:00+01:00")).Sub(rfc(t, "2026-03-29T00:00:00+01:00")))
		require.Equal(t, 25*time.Hour, w.Until(rfc(t, "2026-10-25T00:00:00+02:00")).Sub(rfc(t, "2026-10-25T00:00:00+02:00")))
	})
}

func TestWindowRanges(t *testing.T) {
	t.Parallel()
	// Monday 8 June 2026; Saturday 13 June.
	checkCases(t, newWindow(t, "Mon-Fri 08:00-12:00,14:00-20:00; Sat 10:00-18:00", "FR"), []windowCase{
		{at: "2026-06-08T11:59:00+02:00", open: true, next: "2026-06-08T11:59:00+02:00", until: "2026-06-08T12:00:00+02:00"},
		{at: "2026-06-08T12:00:00+02:00", next: "2026-06-08T14:00:00+02:00", until: "2026-06-08T12:00:00+02:00"},
		{at: "2026-06-08T13:30:45+02:00", next: "2026-06-08T14:00:00+02:00"},
		{at: "2026-06-08T13:59:59+02:00", next: "2026-06-08T14:00:00+02:00"},
		{at: "2026-06-08T14:00:00+02:00", open: true, next: "2026-06-08T14:00:00+02:00", until: "2026-06-08T20:00:00+02:00"},
		{at: "2026-06-12T20:00:00+02:00", next: "2026-06-13T10:00:00+02:00"},
		{at: "2026-06-13T09:00:00+02:00", next: "2026-06-13T10:00:00+02:00"},
		{at: "2026-06-13T17:00:00+02:00", open: true, next: "2026-06-13T17:00:00+02:00", until: "2026-06-13T18:00:00+02:00"},
		{at: "2026-06-13T18:00:00+02:00", next: "2026-06-15T08:00:00+02:00"},
	})
}

func TestWindowUntil(t *testing.T) {
	t.Parallel()
	t.Run("across midnight", func(t *testing.T) {
		t.Parallel()
		w := newWindow(t, "Mon 20:00-24:00; Tue 00:00-02:00", "FR")
		require.Equal(t, rfc(t, "2026-06-09T02:00:00+02:00").UTC(), w.Until(rfc(t, "2026-06-08T21:00:00+02:00")).UTC())
		require.Equal(t, rfc(t, "2026-06-09T02:00:00+02:00").UTC(), w.Until(rfc(t, "2026-06-09T01:00:00+02:00")).UTC())
	})
	t.Run("up to a holiday", func(t *testing.T) {
		t.Parallel()
		w := newWindow(t, "Mon-Sun 00:00-24:00", "FR")
		require.Equal(t, rfc(t, "2027-01-01T00:00:00+01:00").UTC(), w.Until(rfc(t, "2026-12-30T12:00:00+01:00")).UTC())
		require.Equal(t, rfc(t, "2027-01-01T12:00:00+01:00").UTC(), w.Until(rfc(t, "2027-01-01T12:00:30+01:00")).UTC(),
			"closed: the start of t's minute")
		// From New Year to Easter Monday 2038 (the latest): 115 days.
		require.Equal(t, rfc(t, "2038-04-26T00:00:00+02:00").UTC(), w.Until(rfc(t, "2038-01-02T00:00:00+01:00")).UTC())
	})
	t.Run("never closes", func(t *testing.T) {
		t.Parallel()
		w := newWindow(t, "Mon-Sun 00:00-24:00", "none")
		at := rfc(t, "2026-06-08T10:00:30+02:00")
		require.Equal(t, rfc(t, "2026-06-08T10:00:00+02:00").Add(400*24*time.Hour).UTC(), w.Until(at).UTC())
		require.True(t, w.Open(at))
	})
	t.Run("retry across 20:00", func(t *testing.T) {
		t.Parallel()
		// What a worker does before retrying at now+backoff.
		w := newWindow(t, "Mon-Sat 08:00-20:00", "FR")
		now := rfc(t, "2026-06-08T19:50:00+02:00")
		require.True(t, now.Add(5*time.Minute).Before(w.Until(now)))
		require.False(t, now.Add(10*time.Minute).Before(w.Until(now)))
		require.Equal(t, rfc(t, "2026-06-09T08:00:00+02:00").UTC(), w.Next(now.Add(10*time.Minute)).UTC())
	})
}

func TestNew(t *testing.T) {
	t.Parallel()
	h, err := marketing.ParseHours("Mon-Sat 08:00-20:00")
	require.NoError(t, err)
	_, err = marketing.New(h, marketing.Holidays{}, nil)
	require.EqualError(t, err, "marketing: New needs a time zone")
	_, err = marketing.New(marketing.Hours{}, marketing.Holidays{}, time.UTC)
	require.EqualError(t, err, "marketing: New needs hours with an opening")
}

// nextByMinutes is Next the slow way: the first open minute, looking at
// every minute from t's.
func nextByMinutes(w *marketing.Window, t time.Time, maxMinutes int) (time.Time, bool) {
	u := t.Truncate(time.Minute)
	for range maxMinutes {
		if w.Open(u) {
			return u, true
		}
		u = u.Add(time.Minute)
	}
	return time.Time{}, false
}

// untilByMinutes is Until the slow way.
func untilByMinutes(w *marketing.Window, t time.Time, maxMinutes int) (time.Time, bool) {
	u := t.Truncate(time.Minute)
	for range maxMinutes {
		if !w.Open(u) {
			return u, true
		}
		u = u.Add(time.Minute)
	}
	return time.Time{}, false
}

// TestWindowAgainstMinutes compares Next and Until with a minute-by-minute
// scan, from random instants concentrated around the DST changes and the
// year end.
func TestWindowAgainstMinutes(t *testing.T) {
	t.Parallel()
	hours := []string{
		"Mon-Sat 08:00-20:00",
		"Mon-Fri 08:00-12:00,14:00-20:00; Sat 10:00-18:00",
		"Sun 02:30-03:30; Mon 00:00-00:01",
		"Sat-Sun 01:00-03:15,22:00-24:00; Mon 00:00-02:30",
		"Mon-Sun 00:00-24:00",
	}
	anchors := []string{
		"2026-03-29T02:00:00+01:00", "2026-10-25T03:00:00+02:00",
		"2026-12-31T20:00:00+01:00", "2027-12-31T20:00:00+01:00", "2026-06-08T12:00:00+02:00",
	}
	for i, hs := range hours {
		for j, hol := range []string{"FR", "none"} {
			t.Run(fmt.Sprintf("%s/%s", hs, hol), func(t *testing.T) {
				t.Parallel()
				rng := rand.New(rand.NewPCG(uint64(i), uint64(j))) // reproducible
				w := newWindow(t, hs, hol)
				for _, a := range anchors {
					base := rfc(t, a)
					for range 8 {
						at := base.Add(time.Duration(rng.Int64N(int64(72*time.Hour))) - 36*time.Hour)
						const scan = 10 * 24 * 60
						if want, ok := nextByMinutes(w, at, scan); ok {
							require.Equal(t, want.UTC(), w.Next(at).UTC(), "Next(%v)", at)
						}
						if want, ok := untilByMinutes(w, at, scan); ok {
							require.Equal(t, want.UTC(), w.Until(at).UTC(), "Until(%v)", at)
						}
					}
				}
			})
		}
	}
}
