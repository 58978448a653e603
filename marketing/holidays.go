package marketing

import (
	"fmt"
	"strings"
	"time"
)

// Holidays is a calendar of public holidays, as parsed from
// MARKETING_HOLIDAYS. The zero value has no holidays ("none").
type Holidays struct {
	code string // "", "FR", "FR-57", "FR-67" or "FR-68"
}

// ParseHolidays parses MARKETING_HOLIDAYS: FR, FR-57 (FR-67 and FR-68 are
// the same calendar) or none, in any letter case. Its errors are one line,
// without a prefix.
func ParseHolidays(s string) (Holidays, error) {
	switch c := strings.ToUpper(strings.TrimSpace(s)); c {
	case "NONE":
		return Holidays{}, nil
	case "FR", "FR-57", "FR-67", "FR-68":
		return Holidays{code: c}, nil
	}
	return Holidays{}, fmt.Errorf("%s is not a holiday calendar: use FR, FR-57 (Alsace-Moselle) or none", quote(s))
}

// String returns the calendar's name as ParseHolidays accepts it: "FR",
// "FR-57", "FR-67", "FR-68" or "none".
func (h Holidays) String() string {
	if h.code == "" {
		return "none"
	}
	return h.code
}

// Contains reports whether the calendar day of t, in t's location, is a
// holiday.
func (h Holidays) Contains(t time.Time) bool {
	y, m, d := t.Date()
	return h.contains(y, m, d)
}

func (h Holidays) contains(y int, m time.Month, d int) bool {
	if h.code == "" {
		return false
	}
	switch {
	case m == time.January && d == 1,
		m == time.May && (d == 1 || d == 8),
		m == time.July && d == 14,
		m == time.August && d == 15,
		m == time.November && (d == 1 || d == 11),
		m == time.December && d == 25:
		return true
	case m == time.December && d == 26:
		return h.alsaceMoselle()
	case m < time.March || m > time.June:
		// Easter falls between 22 March and 25 April: the movable holidays
		// (Good Friday to Whit Monday) lie between 20 March and 14 June.
		return false
	}
	em, ed := easter(y)
	switch yearDay(y, m, d) - yearDay(y, em, ed) {
	case 1, 39, 50: // Easter Monday, Ascension, Whit Monday
		return true
	case -2: // Good Friday
		return h.alsaceMoselle()
	}
	return false
}

func (h Holidays) alsaceMoselle() bool { return h.code != "FR" }

func yearDay(y int, m time.Month, d int) int {
	return time.Date(y, m, d, 12, 0, 0, 0, time.UTC).YearDay()
}

// easter returns the date of Easter Sunday in the Gregorian calendar, by
// the anonymous algorithm (Meeus, Astronomical Algorithms, ch. 8), valid
// for every Gregorian year. Floor division keeps it defined (and in March
// or April) for years before 1.
func easter(year int) (time.Month, int) {
	a := mod(year, 19)
	b := div(year, 100)
	c := mod(year, 100)
	d := div(b, 4)
	e := mod(b, 4)
	f := div(b+8, 25)
	g := div(b-f+1, 3)
	h := mod(19*a+b-d-g+15, 30)
	i := c / 4
	k := c % 4
	l := mod(32+2*e+2*i-h-k, 7)
	m := (a + 11*h + 22*l) / 451
	n := h + l - 7*m + 114
	return time.Month(n / 31), n%31 + 1
}

// div and mod are floor division and its non-negative remainder.
func div(a, b int) int {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

func mod(a, b int) int {
	r := a % b
	if r < 0 {
		r += b
	}
	return r
}
