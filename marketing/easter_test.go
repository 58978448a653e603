package marketing

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestEaster(t *testing.T) {
	t.Parallel()
	// Published Easter Sundays (also in holidays_test.go, with the holidays
	// that follow them).
	tests := []struct {
		year  int
		month time.Month
		day   int
	}{
		{1818, time.March, 22}, {1943, time.April, 25}, {2000, time.April, 23}, {2024, time.March, 31},
		{2025, time.April, 20}, {2026, time.April, 5}, {2027, time.March, 28}, {2028, time.April, 16},
		{2029, time.April, 1}, {2030, time.April, 21}, {2031, time.April, 13}, {2032, time.March, 28},
		{2033, time.April, 17}, {2034, time.April, 9}, {2035, time.March, 25}, {2038, time.April, 25},
		{2100, time.March, 28}, {2285, time.March, 22},
	}
	for _, tt := range tests {
		m, d := easter(tt.year)
		require.Equal(t, tt.month, m, "%d", tt.year)
		require.Equal(t, tt.day, d, "%d", tt.year)
	}
	// Every year, even before the Gregorian reform or before year 1, lands
	// between 22 March and 25 April, so the movable holidays stay in the
	// months contains looks at.
	for y := -3000; y <= 12000; y++ {
		m, d := easter(y)
		on := time.Date(2001, m, d, 0, 0, 0, 0, time.UTC)
		require.False(t, on.Before(time.Date(2001, time.March, 22, 0, 0, 0, 0, time.UTC)), "%d: %v %d", y, m, d)
		require.False(t, on.After(time.Date(2001, time.April, 25, 0, 0, 0, 0, time.UTC)), "%d: %v %d", y, m, d)
	}
}
