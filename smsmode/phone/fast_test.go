package phone

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
	"github.com/stretchr/testify/require"
)

// slowInternational is international without the shortcut.
func slowInternational(digits string) (string, string) { return parse("+"+digits, "ZZ") }

// checkFast fails when the shortcut answers differently from Parse.
func checkFast(t testing.TB, digits string) bool {
	out, ok := fastInternational(digits)
	if !ok {
		return false
	}
	want, reason := slowInternational(digits)
	require.Empty(t, reason, "shortcut accepted %q, Parse refuses it", digits)
	require.Equal(t, want, out, "digits %q", digits)
	return true
}

// TestFastInternationalMatchesParse compares the shortcut with the full path
// on the example numbers of every region and type, and on random national
// numbers after every calling code.
func TestFastInternationalMatchesParse(t *testing.T) {
	t.Parallel()
	taken := 0
	var inputs []string
	for region := range phonenumbers.GetSupportedRegions() {
		for typ := phonenumbers.FIXED_LINE; typ <= phonenumbers.VOICEMAIL; typ++ {
			if n := phonenumbers.GetExampleNumberForType(region, typ); n != nil {
				inputs = append(inputs, phonenumbers.Format(n, phonenumbers.E164)[1:])
			}
		}
	}
	for cc := range phonenumbers.GetSupportedGlobalNetworkCallingCodes() {
		if n := phonenumbers.GetExampleNumberForNonGeoEntity(cc); n != nil {
			inputs = append(inputs, phonenumbers.Format(n, phonenumbers.E164)[1:])
		}
	}
	examples := len(inputs)
	rng := rand.New(rand.NewPCG(6, 42))
	// Neighbours of the examples are mostly valid numbers too.
	for _, ex := range inputs[:examples] {
		for range 20 {
			b := []byte(ex)
			for k := 1; k <= 1+rng.IntN(4) && k < len(b); k++ {
				b[len(b)-k] = byte('0' + rng.IntN(10))
			}
			inputs = append(inputs, string(b))
		}
	}
	for cc := range phonenumbers.GetSupportedCallingCodes() {
		prefix := strconv.Itoa(cc)
		for range 100 {
			n := 1 + rng.IntN(14)
			var b strings.Builder
			b.WriteString(prefix)
			for range n {
				b.WriteByte(byte('0' + rng.IntN(10)))
			}
			inputs = append(inputs, b.String())
		}
	}
	// Edge shapes: unknown codes, leading zeros, national prefixes.
	inputs = append(inputs, "33612345678", "3306123456", "330612345678", "12025550123", "112025550123",
		"390612345678", "39312345678", "5491123456789", "549111512345678", "80012345678",
		"999123456789", "28123456789", "0033612345678", "447911123456", "4407911123456")
	for _, d := range inputs {
		if checkFast(t, d) {
			taken++
		}
	}
	t.Logf("%d inputs (%d example numbers), shortcut taken for %d", len(inputs), examples, taken)
	// It must be taken for the common forms, or it is useless.
	for _, d := range []string{"33612345678", "447911123456", "4915123456789", "32470123456", "12025550123"} {
		require.True(t, checkFast(t, d), "shortcut not taken for %s", d)
	}
	for _, d := range []string{"390612345678", "3306123456", "0033612345678", "5491123456789"} {
		_, ok := fastInternational(d)
		require.False(t, ok, "shortcut taken for %s", d)
	}
}

// FuzzFastInternational checks that whenever the shortcut answers, Parse
// gives the same number.
func FuzzFastInternational(f *testing.F) {
	for _, s := range []string{"33612345678", "447911123456", "12025550123", "80012345678", "5491123456789"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, digits string) {
		checkFast(t, digits)
	})
}
