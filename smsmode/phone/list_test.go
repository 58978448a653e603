package phone

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNormalizeAll(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		raws []string
		want []string
	}{
		{"nil", nil, []string{}},
		{"one", []string{"06 12 34 56 78"}, []string{"33612345678"}},
		{"duplicates in other spellings", []string{
			"06 12 34 56 78", "+44 7911 123456", "+33612345678", "0033 6 12 34 56 78", "447911123456", "07 56 12 34 56",
		}, []string{"33612345678", "447911123456", "33756123456"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NormalizeAll(tt.raws, "FR")
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestNormalizeAllInvalid(t *testing.T) {
	t.Parallel()
	_, err := NormalizeAll([]string{"0612345678", "0756123456", "0612345678", "06 12", "bad"}, "FR")
	require.EqualError(t, err, `phone: entry 4 "06 12": too short`)
	var entry *EntryError
	require.ErrorAs(t, err, &entry)
	require.Equal(t, 3, entry.Index)
	var inv *InvalidError
	require.ErrorAs(t, err, &inv)
	require.Equal(t, &InvalidError{Input: "06 12", Reason: "too short"}, inv)

	_, err = NormalizeAll([]string{"0612345678"}, "XX")
	require.ErrorIs(t, err, ErrUnknownRegion)
	_, err = NormalizeAll(nil, "")
	require.ErrorIs(t, err, ErrUnknownRegion)
}
