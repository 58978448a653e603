package text

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCountSegments(t *testing.T) {
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
