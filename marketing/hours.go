package marketing

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

const minutesPerDay = 24 * 60

// span is an opening range of one day in minutes since midnight, half-open:
// [start, end), with 0 <= start < end <= 1440.
type span struct{ start, end int }

// Hours is a week of opening hours, as parsed from MARKETING_HOURS. The zero
// value has no opening at all. Hours are immutable and safe to share.
type Hours struct {
	// days is indexed by time.Weekday; each day's spans are sorted, disjoint
	// and never touching (touching ranges are merged), nil when closed.
	days [7][]span
}

// weekOrder is the order of the week in MARKETING_HOURS: Monday first, as
// in France.
var weekOrder = [7]time.Weekday{
	time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday,
}

var dayNames = [7]string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"} // in weekOrder

// ParseHours parses MARKETING_HOURS (syntax in the package documentation).
// Its errors are one line naming what is wrong, without a prefix.
func ParseHours(s string) (Hours, error) {
	var h Hours
	for group := range strings.SplitSeq(s, ";") {
		if strings.TrimSpace(group) == "" {
			continue // tolerate "a; ; b" and a trailing ";"
		}
		days, spans, err := parseGroup(group)
		if err != nil {
			return Hours{}, err
		}
		for i, wd := range weekOrder {
			if days[i] {
				h.days[wd] = append(h.days[wd], spans...)
			}
		}
	}
	for wd := range h.days {
		h.days[wd] = merge(h.days[wd])
	}
	if h.empty() {
		return Hours{}, errors.New(`no opening hours (expected e.g. "Mon-Sat 08:00-20:00")`)
	}
	return h, nil
}

// parseGroup parses "days ranges". The days end where the first digit is:
// day names have none, so "Mon,Wed 08:00-12:00" and "Mon-Fri08:00-20:00"
// split without relying on spaces.
func parseGroup(g string) (days [7]bool, spans []span, err error) {
	i := strings.IndexFunc(g, isDigit)
	if i < 0 {
		return days, nil, fmt.Errorf("%s has no time range (expected e.g. \"Mon-Sat 08:00-20:00\")", quote(g))
	}
	dayPart, rangePart := strings.TrimSpace(g[:i]), g[i:]
	if dayPart == "" {
		return days, nil, fmt.Errorf("%s names no days before its time ranges (expected e.g. \"Mon-Sat 08:00-20:00\")", quote(g))
	}
	if days, err = parseDays(dayPart); err != nil {
		return days, nil, err
	}
	for r := range strings.SplitSeq(rangePart, ",") {
		sp, err := parseRange(strings.TrimSpace(r))
		if err != nil {
			return days, nil, err
		}
		spans = append(spans, sp)
	}
	return days, spans, nil
}

// parseDays parses "Mon-Fri,Sun" into a set indexed like weekOrder.
func parseDays(s string) (days [7]bool, err error) {
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			return days, fmt.Errorf("empty day in %s", quote(s))
		}
		from, to, isRange := strings.Cut(item, "-")
		first, err := parseDay(strings.TrimSpace(from))
		if err != nil {
			return days, err
		}
		last := first
		if isRange {
			if last, err = parseDay(strings.TrimSpace(to)); err != nil {
				return days, err
			}
			if last < first {
				return days, fmt.Errorf("day range %s runs backwards (the week runs from Mon to Sun)", quote(item))
			}
		}
		for d := first; d <= last; d++ {
			days[d] = true
		}
	}
	return days, nil
}

// parseDay returns the index in weekOrder of a day name.
func parseDay(s string) (int, error) {
	for i, n := range dayNames {
		if strings.EqualFold(s, n) {
			return i, nil
		}
	}
	if s == "" {
		return 0, errors.New("a day range lacks a day")
	}
	return 0, fmt.Errorf("day %s is not one of Mon Tue Wed Thu Fri Sat Sun", quote(s))
}

// parseRange parses "08:00-20:00".
func parseRange(s string) (span, error) {
	from, to, ok := strings.Cut(s, "-")
	if !ok || strings.Contains(to, "-") {
		if strings.IndexFunc(s, isLetter) >= 0 {
			return span{}, fmt.Errorf("time range %s is not HH:MM-HH:MM (separate day groups with \";\")", quote(s))
		}
		return span{}, fmt.Errorf("time range %s is not HH:MM-HH:MM", quote(s))
	}
	start, err := parseClock(strings.TrimSpace(from))
	if err != nil {
		return span{}, err
	}
	if start == minutesPerDay {
		return span{}, fmt.Errorf("time range %s starts at 24:00 (24:00 can only end a range)", quote(s))
	}
	end, err := parseClock(strings.TrimSpace(to))
	if err != nil {
		return span{}, err
	}
	if end <= start {
		return span{}, fmt.Errorf("time range %s does not end after it starts (a range cannot cross midnight: split it at 24:00)", quote(s))
	}
	return span{start, end}, nil
}

// parseClock parses H:MM or HH:MM, 00:00 to 24:00, into minutes.
func parseClock(s string) (int, error) {
	hh, mm, ok := strings.Cut(s, ":")
	if !ok || len(hh) < 1 || len(hh) > 2 || len(mm) != 2 || !allDigits(hh) || !allDigits(mm) {
		return 0, fmt.Errorf("time %s is not HH:MM", quote(s))
	}
	h := atoi(hh)
	m := atoi(mm)
	if h > 24 || m > 59 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("time %s is not between 00:00 and 24:00", quote(s))
	}
	return h*60 + m, nil
}

// merge sorts spans and merges those that overlap or touch, so that a day's
// spans are canonical: two Hours with the same openings are equal.
func merge(spans []span) []span {
	if len(spans) == 0 {
		return nil
	}
	slices.SortFunc(spans, func(a, b span) int { return a.start - b.start })
	out := spans[:1]
	for _, s := range spans[1:] {
		last := &out[len(out)-1]
		if s.start <= last.end {
			last.end = max(last.end, s.end)
			continue
		}
		out = append(out, s)
	}
	return slices.Clip(out)
}

func (h Hours) empty() bool {
	for _, d := range h.days {
		if len(d) > 0 {
			return false
		}
	}
	return true
}

// String returns the canonical form of the hours: days with the same ranges
// in one group, Monday first, consecutive days as a range, for example
// "Mon-Fri 08:00-12:00,14:00-20:00; Sat 10:00-18:00". It parses back to the
// same Hours. The zero Hours give "".
func (h Hours) String() string {
	type group struct {
		days  []int // indexes in weekOrder, increasing
		spans []span
	}
	var groups []*group
next:
	for i, wd := range weekOrder {
		sp := h.days[wd]
		if len(sp) == 0 {
			continue
		}
		for _, g := range groups {
			if slices.Equal(g.spans, sp) {
				g.days = append(g.days, i)
				continue next
			}
		}
		groups = append(groups, &group{days: []int{i}, spans: sp})
	}
	var b strings.Builder
	for gi, g := range groups {
		if gi > 0 {
			b.WriteString("; ")
		}
		for j := 0; j < len(g.days); {
			k := j // g.days[j..k] are consecutive days
			for k+1 < len(g.days) && g.days[k+1] == g.days[k]+1 {
				k++
			}
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(dayNames[g.days[j]])
			if k > j {
				b.WriteByte('-')
				b.WriteString(dayNames[g.days[k]])
			}
			j = k + 1
		}
		b.WriteByte(' ')
		for si, s := range g.spans {
			if si > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%02d:%02d-%02d:%02d", s.start/60, s.start%60, s.end/60, s.end%60)
		}
	}
	return b.String()
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

func isLetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

func allDigits(s string) bool {
	for _, r := range s {
		if !isDigit(r) {
			return false
		}
	}
	return true
}

// atoi converts a string of at most two ASCII digits.
func atoi(s string) int {
	n := 0
	for _, c := range []byte(s) {
		n = n*10 + int(c-'0')
	}
	return n
}

// quote quotes a fragment of the input for an error: escaped (so the error
// stays one line whatever the input holds) and cut to a readable length.
func quote(s string) string {
	s = strings.TrimSpace(s)
	const maxRunes = 40
	if utf8.RuneCountInString(s) > maxRunes {
		r := []rune(s)
		return fmt.Sprintf("%q…", string(r[:maxRunes]))
	}
	return fmt.Sprintf("%q", s)
}
