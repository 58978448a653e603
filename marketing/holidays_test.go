package marketing_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/marketing"
)

// movable are the published dates of Easter and of the holidays that depend
// on it, written out rather than computed (they were cross-checked with an
// independent implementation, python-dateutil's easter()).
var movable = []struct {
	year                                                    int
	goodFriday, easter, easterMonday, ascension, whitMonday string
}{
	{2024, "2024-03-29", "2024-03-31", "2024-04-01", "2024-05-09", "2024-05-20"},
	{2025, "2025-04-18", "2025-04-20", "2025-04-21", "2025-05-29", "2025-06-09"},
	{2026, "2026-04-03", "2026-04-05", "2026-04-06", "2026-05-14", "2026-05-25"},
	{2027, "2027-03-26", "2027-03-28", "2027-03-29", "2027-05-06", "2027-05-17"},
	{2028, "2028-04-14", "2028-04-16", "2028-04-17", "2028-05-25", "2028-06-05"},
	{2029, "2029-03-30", "2029-04-01", "2029-04-02", "2029-05-10", "2029-05-21"},
	{2030, "2030-04-19", "2030-04-21", "2030-04-22", "2030-05-30", "2030-06-10"},
	{2031, "2031-04-11", "2031-04-13", "2031-04-14", "2031-05-22", "2031-06-02"},
	{2032, "2032-03-26", "2032-03-28", "2032-03-29", "2032-05-06", "2032-05-17"},
	{2033, "2033-04-15", "2033-04-17", "2033-04-18", "2033-05-26", "2033-06-06"},
	{2034, "2034-04-07", "2034-04-09", "2034-04-10", "2034-05-18", "2034-05-29"},
	{2035, "2035-03-23", "2035-03-25", "2035-03-26", "2035-05-03", "2035-05-14"},
	// Extremes of the computus: the latest and the earliest Easter.
	{2038, "2038-04-23", "2038-04-25", "2038-04-26", "2038-06-03", "2038-06-14"},
	{2285, "2285-03-20", "2285-03-22", "2285-03-23", "2285-04-30", "2285-05-11"},
	// Century years, where the Gregorian corrections apply.
	{2000, "2000-04-21", "2000-04-23", "2000-04-24", "2000-06-01", "2000-06-12"},
	{2100, "2100-03-26", "2100-03-28", "2100-03-29", "2100-05-06", "2100-05-17"},
}

// fixed are the holidays on the same date every year, as MM-DD.
var (
	fixedFR = []string{"01-01", "05-01", "05-08", "07-14", "08-15", "11-01", "11-11", "12-25"}
	fixed57 = append(slices.Clone(fixedFR), "12-26")
)

// holidaysOf lists the days of year that h contains, by asking Contains about
// every day (in a zone where it is not midnight UTC, so that Contains is seen
// to use t's own calendar day).
func holidaysOf(h marketing.Holidays, year int) []string {
	loc := time.FixedZone("UTC+14", 14*3600)
	var out []string
	for d := time.Date(year, 1, 1, 0, 30, 0, 0, loc); d.Year() == year; d = d.AddDate(0, 0, 1) {
		if h.Contains(d) {
			out = append(out, d.Format(time.DateOnly))
		}
	}
	return out
}

func TestHolidaysFR(t *testing.T) {
	t.Parallel()
	fr, err := marketing.ParseHolidays("FR")
	require.NoError(t, err)
	am, err := marketing.ParseHolidays("FR-57")
	require.NoError(t, err)
	for _, y := range movable {
		t.Run(y.easter, func(t *testing.T) {
			t.Parallel()
			var want []string
			for _, md := range fixedFR {
				want = append(want, time.Date(y.year, 1, 1, 0, 0, 0, 0, time.UTC).Format("2006-")+md)
			}
			want = append(want, y.easterMonday, y.ascension, y.whitMonday)
			slices.Sort(want)
			require.Equal(t, want, holidaysOf(fr, y.year))

			want = nil
			for _, md := range fixed57 {
				want = append(want, time.Date(y.year, 1, 1, 0, 0, 0, 0, time.UTC).Format("2006-")+md)
			}
			want = append(want, y.goodFriday, y.easterMonday, y.ascension, y.whitMonday)
			slices.Sort(want)
			require.Equal(t, want, holidaysOf(am, y.year))

			// Easter Sunday and Whit Sunday are not public holidays (they
			// are Sundays, closed by the default hours anyway).
			e, err := time.Parse(time.DateOnly, y.easter)
			require.NoError(t, err)
			require.False(t, fr.Contains(e))
			require.False(t, am.Contains(e.AddDate(0, 0, 49)))
		})
	}
}

func TestHolidaysNone(t *testing.T) {
	t.Parallel()
	none, err := marketing.ParseHolidays("none")
	require.NoError(t, err)
	require.Equal(t, marketing.Holidays{}, none, "the zero value is none")
	require.Empty(t, holidaysOf(none, 2026))
	require.Equal(t, "none", none.String())
}

func TestHolidaysAnyYear(t *testing.T) {
	t.Parallel()
	fr, err := marketing.ParseHolidays("FR")
	require.NoError(t, err)
	// Far years compute without a hand list and without panicking.
	for _, y := range []int{1583, 1818, 9999, 10000, 123456789, 1, 0, -1, -4712} {
		got := holidaysOf(fr, y)
		require.Len(t, got, 11, "year %d", y)
		require.True(t, fr.Contains(time.Date(y, 7, 14, 12, 0, 0, 0, time.UTC)))
	}
}

func TestParseHolidays(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"FR", "FR"},
		{" fr ", "FR"},
		{"FR-57", "FR-57"},
		{"fr-67", "FR-67"},
		{"Fr-68", "FR-68"},
		{"none", "none"},
		{"NONE", "none"},
	}
	for _, tt := range tests {
		h, err := marketing.ParseHolidays(tt.in)
		require.NoError(t, err, tt.in)
		require.Equal(t, tt.want, h.String())
		again, err := marketing.ParseHolidays(h.String())
		require.NoError(t, err)
		require.Equal(t, h, again)
	}
	for _, in := range []string{"", "FR,DE", "DE", "FR-75", "FR57", "no", "FR\nnone"} {
		_, err := marketing.ParseHolidays(in)
		require.Error(t, err, in)
		require.NotContains(t, err.Error(), "\n")
		require.Contains(t, err.Error(), "is not a holiday calendar: use FR, FR-57 (Alsace-Moselle) or none")
	}
}
