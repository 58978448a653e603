package marketing

import (
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Paris even on a machine without zoneinfo

	"github.com/stretchr/testify/require"
)

// FuzzParseHours checks that ParseHours never panics, that its errors are
// one line, and that what it accepts is canonical (sorted, merged, within the
// day) and round-trips through String.
func FuzzParseHours(f *testing.F) {
	// More seeds live in testdata/fuzz/FuzzParseHours.
	f.Add("Mon-Sat 08:00-20:00")
	f.Add("Mon-Fri 08:00-12:00,14:00-20:00; Sat 10:00-18:00")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHours(s)
		if err != nil {
			require.NotContains(t, err.Error(), "\n")
			require.NotContains(t, err.Error(), "\r")
			require.Equal(t, Hours{}, h)
			return
		}
		require.False(t, h.empty())
		for _, day := range h.days {
			for i, sp := range day {
				require.True(t, 0 <= sp.start && sp.start < sp.end && sp.end <= minutesPerDay, "%+v", sp)
				if i > 0 {
					require.Less(t, day[i-1].end, sp.start, "sorted, merged and not touching")
				}
			}
		}
		str := h.String()
		again, err := ParseHours(str)
		require.NoError(t, err, "String() = %q", str)
		require.Equal(t, h, again, "String() = %q", str)
		require.Equal(t, str, again.String())
	})
}

// FuzzHasStopMention checks that HasStopMention never panics, finds the
// mentions the provider appends whatever precedes them, and only says yes
// when the text holds "stop" or "no-sms.eu".
func FuzzHasStopMention(f *testing.F) {
	// More seeds live in testdata/fuzz/FuzzHasStopMention.
	f.Add("Promo STOP au 36180")
	f.Add("Promo no-sms.eu")
	f.Fuzz(func(t *testing.T, s string) {
		got := HasStopMention(s)
		if got {
			l := asciiLower(s)
			require.True(t, strings.Contains(l, "stop") || strings.Contains(l, "no-sms.eu"), "%q", s)
		}
		require.True(t, HasStopMention(s+"\nSTOP 36034"), "%q", s)
		require.True(t, HasStopMention(s+" no-sms.eu"), "%q", s)
		require.True(t, HasStopMention("STOP 36034 "+s), "%q", s)
	})
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// FuzzWindow checks Next and Until against a minute-by-minute scan, for any
// hours ParseHours accepts and any instant between 1970 and 2100 in Paris.
func FuzzWindow(f *testing.F) {
	f.Add("Mon-Sat 08:00-20:00", uint8(1), int64(1798743600)) // 2026-12-31 20:00 CET
	f.Add("Sun 02:30-03:30", uint8(0), int64(1774745940))     // 2026-03-29 01:59 CET
	f.Add("Sun 02:30-04:00", uint8(2), int64(1792888200))     // 2026-10-25 02:30 CEST
	loc, err := time.LoadLocation("Europe/Paris")
	require.NoError(f, err)
	calendars := []string{"none", "FR", "FR-57"}
	f.Fuzz(func(t *testing.T, hours string, cal uint8, unix int64) {
		h, err := ParseHours(hours)
		if err != nil {
			return
		}
		hol, err := ParseHolidays(calendars[int(cal)%len(calendars)])
		require.NoError(t, err)
		w, err := New(h, hol, loc)
		require.NoError(t, err)
		const from, to = 0, 4102444800 // 1970 to 2100
		at := time.Unix(from+mod64(unix, to-from), mod64(unix, 1e9)).In(time.UTC)
		start := floorMinute(at.In(loc))
		const scan = 8 * 24 * 60 // minutes compared one by one

		next := w.Next(at)
		require.False(t, next.IsZero())
		require.Equal(t, loc, next.Location())
		require.Zero(t, next.Second())
		require.Zero(t, next.Nanosecond())
		require.True(t, w.Open(next))
		require.False(t, next.Before(start))
		for u, i := start, 0; u.Before(next) && i < scan; u, i = u.Add(time.Minute), i+1 {
			require.False(t, w.Open(u), "Next(%v) = %v but %v is open", at, next, u)
		}

		until := w.Until(at)
		if !w.Open(at) {
			require.Equal(t, start, until)
			return
		}
		require.True(t, until.After(at))
		if until.Before(start.Add(horizonDays * 24 * time.Hour)) {
			require.False(t, w.Open(until), "Until(%v) = %v is open", at, until)
		}
		for u, i := start, 0; u.Before(until) && i < scan; u, i = u.Add(time.Minute), i+1 {
			require.True(t, w.Open(u), "Until(%v) = %v but %v is closed", at, until, u)
		}
	})
}

func mod64(a, b int64) int64 {
	r := a % b
	if r < 0 {
		r += b
	}
	return r
}
