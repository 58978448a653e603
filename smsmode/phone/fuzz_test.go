package phone

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// fuzzRegions are the regions FuzzNormalize picks from: the default (FR),
// other 0-prefix regions, and regions that write national numbers without a
// trunk prefix (US, IT, ES).
var fuzzRegions = []string{"FR", "GB", "DE", "BE", "CH", "US", "IT", "ES"}

// FuzzNormalize checks that Normalize never panics, that a success is 8 to
// 15 digits, and that normalising a result again gives it back.
func FuzzNormalize(f *testing.F) {
	// More seeds live in testdata/fuzz/FuzzNormalize.
	f.Add("06 12 34 56 78", 0)
	f.Add("+33 (0)6 12 34 56 78", 5)
	f.Add("376312345", 0)
	f.Fuzz(func(t *testing.T, raw string, regionIndex int) {
		region := fuzzRegions[uint(regionIndex)%uint(len(fuzzRegions))]
		out, err := Normalize(raw, region)
		if err != nil {
			var inv *InvalidError
			require.True(t, errors.As(err, &inv), "unexpected error %v", err)
			require.Equal(t, raw, inv.Input)
			require.NotEmpty(t, inv.Reason)
			return
		}
		require.GreaterOrEqual(t, len(out), 8, out)
		require.LessOrEqual(t, len(out), 15, out)
		require.NotEqual(t, byte('0'), out[0], "a country code never starts with 0")
		for i := 0; i < len(out); i++ {
			require.True(t, out[i] >= '0' && out[i] <= '9', "%q is not all digits", out)
		}

		again, err := Normalize("+"+out, region)
		require.NoError(t, err)
		require.Equal(t, out, again, "+%s", out)
		if !nationalFirst(region) {
			// sMsmode's bare form is read as international first, so a
			// result is never reread as another number.
			again, err = Normalize(out, region)
			require.NoError(t, err)
			require.Equal(t, out, again)
		}
	})
}
