package text

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCountSegments(t *testing.T) {
	t.Parallel()
	tests := []struct {
		enc   Encoding
		units int
		want  int
	}{
		{GSM, -1, 0}, {GSM, 0, 0}, {GSM, 1, 1}, {GSM, 160, 1}, {GSM, 161, 2},
		{GSM, 306, 2}, {GSM, 307, 3}, {GSM, 459, 3}, {GSM, 460, 4},
		{GSM, 612, 4}, {GSM, 613, 5}, {GSM, 765, 5}, {GSM, 766, 6},
		{Unicode, 0, 0}, {Unicode, 1, 1}, {Unicode, 70, 1}, {Unicode, 71, 2},
		{Unicode, 134, 2}, {Unicode, 135, 3}, {Unicode, 201, 3}, {Unicode, 202, 4},
		{Unicode, 268, 4}, {Unicode, 269, 5}, {Unicode, 335, 5}, {Unicode, 336, 6},
		{Encoding(0), 161, 2}, // anything but Unicode is GSM, as Encoding.String says
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, CountSegments(tt.enc, tt.units), "%s %d units", tt.enc, tt.units)
	}
}

func TestSegmentsWithStop(t *testing.T) {
	t.Parallel()
	gsm := func(s string) Message {
		m, err := Prepare(s, ForceGSM)
		require.NoError(t, err)
		return m
	}
	a := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		name string
		msg  Message
		stop int
		want int
	}{
		{"no stop", gsm(a(149)), 0, 1},
		{"stop=1 at 149 adds the mention in the same segment", gsm(a(149)), 1, 1},
		{"stop=1 at 150 adds nothing", gsm(a(150)), 1, 1},
		{"stop=1 at 160 adds nothing", gsm(a(160)), 1, 1},
		{"stop=2 at 149 fits", gsm(a(149)), 2, 1},
		{"stop=2 at 150 costs a segment", gsm(a(150)), 2, 2},
		{"stop=2 at 296 fits two segments", gsm(a(295)), 2, 2},
		{"stop=2 at 296 needs three", gsm(a(296)), 2, 3},
		// 149 characters but 154 units: the provider adds the mention, 165 units.
		{"stop=1 counts characters, not units", gsm(a(144) + strings.Repeat("€", 5)), 1, 2},
		// Substitution happens before: "…" makes the text 151 characters.
		{"stop=1 counts the sent text", gsm(a(148) + "…"), 1, 1},
		{"stop on an empty text", gsm(""), 2, 1},
		{"unknown stop adds nothing", gsm(a(150)), 3, 1},
		{"unicode stop=1", Message{Text: strings.Repeat("я", 59), Encoding: Unicode, Units: 59, Segments: 1}, 1, 1},
		{"unicode stop=2", Message{Text: strings.Repeat("я", 60), Encoding: Unicode, Units: 60, Segments: 1}, 2, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, tt.msg.SegmentsWithStop(tt.stop))
		})
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	gsm1021, err := Prepare(strings.Repeat("a", 1021), Auto)
	require.NoError(t, err)
	uni336, err := Prepare(strings.Repeat("я", 336), Auto)
	require.NoError(t, err)
	gsm765, err := Prepare(strings.Repeat("a", 765), Auto)
	require.NoError(t, err)
	gsm160, err := Prepare(strings.Repeat("a", 160), Auto)
	require.NoError(t, err)
	gsm150, err := Prepare(strings.Repeat("a", 150), Auto)
	require.NoError(t, err)

	tests := []struct {
		name    string
		msg     Message
		stop    int
		max     int
		wantErr *TooLongError
		wantMsg string
	}{
		{"default max refuses 7 segments", gsm1021, 0, 0,
			&TooLongError{Segments: 7, MaxSegments: 5, Encoding: GSM, Units: 1021},
			"text: message needs 7 segments (1021 gsm units) but max_segments is 5"},
		{"negative max is the default", gsm1021, 0, -3,
			&TooLongError{Segments: 7, MaxSegments: 5, Encoding: GSM, Units: 1021},
			"text: message needs 7 segments (1021 gsm units) but max_segments is 5"},
		{"a larger max allows it", gsm1021, 0, 7, nil, ""},
		{"765 units fit the default", gsm765, 0, 0, nil, ""},
		{"stop=2 pushes 765 over", gsm765, 2, 0,
			&TooLongError{Segments: 6, MaxSegments: 5, Encoding: GSM, Units: 776},
			"text: message needs 6 segments (776 gsm units) but max_segments is 5"},
		{"unicode 336 needs 6", uni336, 0, 5,
			&TooLongError{Segments: 6, MaxSegments: 5, Encoding: Unicode, Units: 336},
			"text: message needs 6 segments (336 unicode units) but max_segments is 5"},
		{"one segment allowed", gsm160, 1, 1, nil, ""},
		{"stop=2 on 150 chars needs two", gsm150, 2, 1,
			&TooLongError{Segments: 2, MaxSegments: 1, Encoding: GSM, Units: 161},
			"text: message needs 2 segments (161 gsm units) but max_segments is 1"},
		{"stop=1 on 150 chars stays one", gsm150, 1, 1, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.msg.Check(tt.stop, tt.max)
			if tt.wantErr == nil {
				require.NoError(t, err)
				return
			}
			var tl *TooLongError
			require.ErrorAs(t, err, &tl)
			require.Equal(t, tt.wantErr, tl)
			require.EqualError(t, err, tt.wantMsg)
		})
	}
}

// refParts splits a GSM text as an SMSC does, written the long way and
// independently of GSMSegments: the text becomes a septet stream (a
// double-count character is an escape septet and its character's septet);
// up to 160 septets it is one SMS; otherwise every part takes up to 153
// septets but never ends on an escape septet, whose character would land in
// the next part.
func refParts(s string, extra int) int {
	var escape []bool // one entry per septet: true for an escape septet
	for _, r := range s {
		if strings.ContainsRune("{}|~[\\]^€", r) {
			escape = append(escape, true, false)
		} else {
			escape = append(escape, false)
		}
	}
	for range extra {
		escape = append(escape, false)
	}
	switch n := len(escape); {
	case n == 0:
		return 0
	case n <= 160:
		return 1
	}
	parts := 0
	for i := 0; i < len(escape); parts++ {
		end := min(i+153, len(escape))
		if end < len(escape) && escape[end-1] {
			end-- // the pair moves to the next part
		}
		i = end
	}
	return parts
}

// TestGSMSegmentsBoundaries puts € and { on each side of the 153, 306 and
// 459 part boundaries, with and without the STOP mention.
func TestGSMSegmentsBoundaries(t *testing.T) {
	t.Parallel()
	a := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		name  string
		text  string
		units int
		want  int // parts without a mention
	}{
		{"€ ends a single SMS", a(158) + "€", 160, 1},
		{"{ ends a single SMS", a(158) + "{", 160, 1},
		{"€ across 160", a(159) + "€", 161, 2},
		{"€ on units 152-153 ends part 1", a(151) + "€" + a(8), 161, 2},
		{"€ on units 153-154 moves to part 2", a(152) + "€" + a(7), 161, 2},
		{"306 units, € fits part 1", a(151) + "€" + a(153), 306, 2},
		{"306 units, € straddles 153", a(152) + "€" + a(152), 306, 3},
		{"306 units, { straddles 153", a(152) + "{" + a(152), 306, 3},
		{"306 units, € starts part 2", a(153) + "€" + a(151), 306, 2},
		{"305 units, € straddles 153", a(152) + "€" + a(151), 305, 2},
		{"306 units, € ends part 2", a(304) + "€", 306, 2},
		{"306 units, { ends part 2", a(304) + "{", 306, 2},
		{"307 units, € straddles 306", a(305) + "€", 307, 3},
		{"459 units, € ends part 3", a(457) + "€", 459, 3},
		{"459 units, € straddles 459 after a straddle at 153", a(152) + "€" + a(305), 459, 4},
		{"459 units, { straddles 306", a(305) + "{" + a(152), 459, 4},
		{"458 units, { straddles 306", a(305) + "{" + a(151), 458, 3},
		{"doubles only", strings.Repeat("€", 80), 160, 1},
		{"doubles only, 81", strings.Repeat("€", 81), 162, 2},
		{"doubles only, 153", strings.Repeat("{", 153), 306, 3},
		{"765 units, € straddles 153", a(152) + "€" + a(611), 765, 6},
		{"765 units, nothing straddles", a(151) + "€" + a(612), 765, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Prepare(tt.text, ForceGSM)
			require.NoError(t, err)
			require.Equal(t, tt.units, m.Units)
			require.Equal(t, tt.want, m.Segments)
			require.Equal(t, tt.want, GSMSegments(tt.text, 0))
			require.Equal(t, tt.want, refParts(tt.text, 0), "the reference split agrees")
			require.LessOrEqual(t, CountSegments(GSM, m.Units), tt.want, "the units-only count is a lower bound")
			for stop := 0; stop <= 2; stop++ {
				extra := m.stopUnits(stop)
				want := refParts(tt.text, extra)
				require.Equal(t, want, m.SegmentsWithStop(stop), "stop=%d", stop)
				require.Equal(t, want, GSMSegments(tt.text, extra), "stop=%d", stop)
				require.NoError(t, m.Check(stop, want), "stop=%d", stop)
				if want == 1 {
					continue // max 0 means the default, 5
				}
				var tl *TooLongError
				require.ErrorAs(t, m.Check(stop, want-1), &tl, "stop=%d", stop)
				require.Equal(t, want, tl.Segments)
				require.Equal(t, tt.units+extra, tl.Units)
			}
		})
	}
}

// TestGSMSegmentsStopStraddles shows the STOP mention pushing a straddled
// text into one more part than its units say.
func TestGSMSegmentsStopStraddles(t *testing.T) {
	t.Parallel()
	a := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		name string
		text string
		stop int
		want int
	}{
		// 295 units + 11 = 306, but € moved to part 2: 152 + 154.
		{"stop=2", a(152) + "€" + a(141), 2, 3},
		{"stop=2 without the straddle", a(151) + "€" + a(142), 2, 2},
		// 149 characters (146 €): stop=1 adds the mention; 306 units.
		{"stop=1 at 149 characters", strings.Repeat("€", 146) + "aaa", 1, 3},
		{"stop=1 at 150 characters adds nothing", strings.Repeat("€", 146) + "aaaa", 1, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Prepare(tt.text, ForceGSM)
			require.NoError(t, err)
			require.Equal(t, tt.want, m.SegmentsWithStop(tt.stop))
			require.Equal(t, tt.want, refParts(tt.text, m.stopUnits(tt.stop)))
			require.Error(t, m.Check(tt.stop, tt.want-1))
			require.NoError(t, m.Check(tt.stop, tt.want))
		})
	}
}

// TestGSMSegmentsAgainstReference compares every text made of "a" and one
// or two double-count characters placed anywhere, up to 5 parts.
func TestGSMSegmentsAgainstReference(t *testing.T) {
	t.Parallel()
	for n := 150; n <= 770; n += 1 + n%7 {
		for _, pos := range []int{0, 150, 151, 152, 153, 154, 303, 304, 305, 306, 457, 458, 459, 610, 611, 612} {
			if pos > n {
				continue
			}
			for _, d := range []string{"€", "{", "€{", "a€"} {
				s := strings.Repeat("a", pos) + d + strings.Repeat("a", n-pos)
				m, err := Prepare(s, ForceGSM)
				require.NoError(t, err)
				for stop := 0; stop <= 2; stop++ {
					require.Equal(t, refParts(s, m.stopUnits(stop)), m.SegmentsWithStop(stop), "n=%d pos=%d %q stop=%d", n, pos, d, stop)
				}
			}
		}
	}
}
