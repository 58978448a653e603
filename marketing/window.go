package marketing

import (
	"errors"
	"time"
)

// horizonDays bounds every search. A week of accepted hours has an opening
// and a year at most 13 holidays, so an opening is always found within a few
// weeks; the longest stretch without a French holiday (1 January to Easter
// Monday) is under 4 months, so a window that is open around the clock
// closes well within it too.
const horizonDays = 400

// maxSteps bounds the loops of Next and Until. Each step reaches an opening
// (or a closing) or a change of UTC offset; a zone changes offset a few times
// a year.
const maxSteps = 1000

// Window tells when a marketing message may be sent: during Hours, on days
// that are not Holidays, on the wall clock of a time zone. A Window is
// immutable and safe for concurrent use.
type Window struct {
	hours    Hours
	holidays Holidays
	loc      *time.Location
}

// New returns the window of hours on the days that are not holidays, in loc
// (SMSMODE_TIMEZONE). It refuses a nil loc and hours without any opening
// (the zero Hours).
func New(hours Hours, holidays Holidays, loc *time.Location) (*Window, error) {
	if loc == nil {
		return nil, errors.New("marketing: New needs a time zone")
	}
	if hours.empty() {
		return nil, errors.New("marketing: New needs hours with an opening")
	}
	return &Window{hours: hours, holidays: holidays, loc: loc}, nil
}

// Open reports whether a marketing message may be sent at t: the wall-clock
// minute of t in the window's location is in the hours of its weekday, and
// its date is not a holiday. Ranges are half-open: 19:59:59 is open, 20:00
// is closed.
func (w *Window) Open(t time.Time) bool {
	return w.open(t.In(w.loc))
}

// Next returns the earliest instant at or after t's minute at which the
// window is open, in the window's location and at the start of a minute:
// t's own minute (t truncated to the minute) when Open(t), otherwise the next
// opening. Set as date_envoi, it is never before the opening.
//
// Next looks at most 400 days ahead and returns the zero Time if it finds no
// opening, which cannot happen with a Window from New in a real time zone.
func (w *Window) Next(t time.Time) time.Time {
	u := floorMinute(t.In(w.loc))
	limit := u.Add(horizonDays * 24 * time.Hour)
	for range maxSteps {
		if u.After(limit) {
			break
		}
		if w.open(u) {
			return u
		}
		delta, ok := w.wallToOpening(u)
		if !ok {
			break
		}
		u = advance(u, delta)
	}
	return time.Time{}
}

// Until returns when the open period containing t ends: the first minute
// after t at which the window is closed, in the window's location. When the
// window is closed at t it returns the start of t's minute, so
// d.Before(w.Until(now)) says whether an open window stays open until d.
// Consecutive ranges form one period, across midnight too ("Mon
// 20:00-24:00; Tue 00:00-02:00" is open from Monday 20:00 to Tuesday 02:00).
//
// Until looks at most 400 days ahead: for a window that stays open longer
// (only hours covering the whole week, with holidays none, can) it returns
// t's minute plus 400 days.
func (w *Window) Until(t time.Time) time.Time {
	u := floorMinute(t.In(w.loc))
	limit := u.Add(horizonDays * 24 * time.Hour)
	for range maxSteps {
		if u.After(limit) {
			break
		}
		if !w.open(u) {
			return u
		}
		delta, ok := w.wallToClosing(u)
		if !ok {
			break
		}
		u = advance(u, delta)
	}
	return limit
}

// open judges lt, already in w.loc, by its wall clock.
func (w *Window) open(lt time.Time) bool {
	y, m, d := lt.Date()
	if w.holidays.contains(y, m, d) {
		return false
	}
	now := lt.Hour()*60 + lt.Minute()
	for _, s := range w.hours.days[lt.Weekday()] {
		if now < s.start {
			return false
		}
		if now < s.end {
			return true
		}
	}
	return false
}

// civilDay is the calendar day k days after lt's, and its weekday. Noon UTC
// keeps the arithmetic clear of any offset change.
func civilDay(lt time.Time, k int) (y int, m time.Month, d int, wd time.Weekday) {
	ly, lm, ld := lt.Date()
	t := time.Date(ly, lm, ld+k, 12, 0, 0, 0, time.UTC)
	y, m, d = t.Date()
	return y, m, d, t.Weekday()
}

// wallToOpening returns how many wall-clock minutes separate lt (closed, in
// w.loc) from the next open wall-clock minute.
func (w *Window) wallToOpening(lt time.Time) (int, bool) {
	now := lt.Hour()*60 + lt.Minute()
	for k := 0; k <= horizonDays; k++ {
		y, m, d, wd := civilDay(lt, k)
		if w.holidays.contains(y, m, d) {
			continue
		}
		for _, s := range w.hours.days[wd] {
			if k == 0 && s.start <= now {
				continue
			}
			return k*minutesPerDay + s.start - now, true
		}
	}
	return 0, false
}

// wallToClosing returns how many wall-clock minutes separate lt (open, in
// w.loc) from the next closed wall-clock minute, following a range that ends
// at 24:00 into the next day's range from 00:00.
func (w *Window) wallToClosing(lt time.Time) (int, bool) {
	now := lt.Hour()*60 + lt.Minute()
	end := now + 1
	for _, s := range w.hours.days[lt.Weekday()] {
		if s.start <= now && now < s.end {
			end = s.end
			break
		}
	}
	k := 0
	for end == minutesPerDay {
		k++
		if k > horizonDays {
			return 0, false
		}
		y, m, d, wd := civilDay(lt, k)
		sp := w.hours.days[wd]
		if w.holidays.contains(y, m, d) || len(sp) == 0 || sp[0].start != 0 {
			return k*minutesPerDay - now, true // closed from that day's midnight
		}
		end = sp[0].end
	}
	return k*minutesPerDay + end - now, true
}

// advance moves u (the start of a minute) forward by the given number of
// wall-clock minutes. Wall clock and elapsed time agree only while the UTC
// offset stays the same: if it changes on the way, advance stops at the
// change, where the caller judges the new wall clock afresh.
func advance(u time.Time, wallMinutes int) time.Time {
	to := u.Add(time.Duration(wallMinutes) * time.Minute)
	if _, end := u.ZoneBounds(); !end.IsZero() && !to.Before(end) {
		return ceilMinute(end)
	}
	return to
}

// floorMinute returns the start of lt's wall-clock minute. Subtracting the
// wall-clock seconds (rather than time.Truncate, which works on absolute
// time) stays right in zones whose offset is not a whole number of minutes.
func floorMinute(lt time.Time) time.Time {
	return lt.Add(-time.Duration(lt.Second())*time.Second - time.Duration(lt.Nanosecond()))
}

// ceilMinute returns lt if it starts a wall-clock minute, otherwise the start
// of the next one.
func ceilMinute(lt time.Time) time.Time {
	if f := floorMinute(lt); !f.Equal(lt) {
		return f.Add(time.Minute)
	}
	return lt
}
