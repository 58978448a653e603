package phone

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNormalize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		raw    string
		region string
		want   string
	}{
		// French mobile in every usual spelling.
		{"national", "0612345678", "FR", "33612345678"},
		{"national spaced", "06 12 34 56 78", "FR", "33612345678"},
		{"national dots", "06.12.34.56.78", "FR", "33612345678"},
		{"national dashes", "06-12-34-56-78", "FR", "33612345678"},
		{"national slashes", "06/12/34/56/78", "FR", "33612345678"},
		{"national (0)", "(0)6 12 34 56 78", "FR", "33612345678"},
		{"national no-break spaces", "06\u00a012\u202f34 56 78", "FR", "33612345678"},
		{"national en dashes", "06–12–34–56–78", "FR", "33612345678"},
		{"surrounding space", "  0612345678\t", "FR", "33612345678"},
		{"plus", "+33612345678", "FR", "33612345678"},
		{"plus spaced", "+33 6 12 34 56 78", "FR", "33612345678"},
		{"plus space after", "+ 33 6 12 34 56 78", "FR", "33612345678"},
		{"plus (0)", "+33 (0)6 12 34 56 78", "FR", "33612345678"},
		{"plus with 0", "+33 06 12 34 56 78", "FR", "33612345678"},
		{"00", "0033612345678", "FR", "33612345678"},
		{"00 spaced (0)", "00 33 (0)6 12 34 56 78", "FR", "33612345678"},
		{"sMsmode international", "33612345678", "FR", "33612345678"},
		{"national without its 0", "612345678", "FR", "33612345678"},
		{"lowercase region", "0612345678", "fr", "33612345678"},
		// Landlines and special numbers are valid: voice messages reach them.
		{"paris landline", "01 45 67 89 12", "FR", "33145678912"},
		{"freephone", "0800 123 456", "FR", "33800123456"},
		// Other countries.
		{"uk mobile", "+44 7911 123456", "FR", "447911123456"},
		{"uk mobile from gb", "07911 123456", "GB", "447911123456"},
		{"uk without plus", "447911123456", "FR", "447911123456"},
		{"italian landline keeps its 0", "+39 06 1234 5678", "FR", "390612345678"},
		{"italian without plus", "390612345678", "FR", "390612345678"},
		{"us national", "(202) 555-0123", "US", "12025550123"},
		{"us with 1", "1 202 555 0123", "US", "12025550123"},
		{"us from fr", "+1 202-555-0123", "FR", "12025550123"},
		{"us idd 011", "011 33 6 12 34 56 78", "US", "33612345678"},
		{"00 from us", "0033 6 12 34 56 78", "US", "33612345678"},
		{"belgian mobile", "+32 470 12 34 56", "FR", "32470123456"},
		{"german mobile", "0151 23456789", "DE", "4915123456789"},
		{"international freephone", "+800 1234 5678", "FR", "80012345678"},
		// Bare digits valid both ways: sMsmode's form wins where national
		// numbers start with 0, the national reading elsewhere.
		{"andorra without plus in fr", "376312345", "FR", "376312345"},
		{"andorra with plus in fr", "+376 312 345", "FR", "376312345"},
		{"los angeles in us", "323 555 1234", "US", "13235551234"},
		{"belgium with plus in us", "+32 3 555 12 34", "US", "3235551234"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Normalize(tt.raw, tt.region)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestNormalizeInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		raw    string
		region string
		reason string
	}{
		{"empty", "", "FR", "empty"},
		{"blank", " \t ", "FR", "empty"},
		{"letters", "06 12 AB 56 78", "FR", "contains letters"},
		{"extension", "0612345678 ext 12", "FR", "contains letters"},
		{"vanity", "1-800-FLOWERS", "US", "contains letters"},
		{"full-width digits", "０６１２３４５６７８", "FR", `unexpected character '０'`},
		{"hash", "06#12345678", "FR", `unexpected character '#'`},
		{"comma", "0612345678,0712345678", "FR", `unexpected character ','`},
		{"plus inside", "33+612345678", "FR", `"+" is only allowed first`},
		{"double plus", "++33612345678", "FR", `"+" is only allowed first`},
		{"only separators", "+ ( ) -", "FR", "no digits"},
		{"too short", "06 12", "FR", "too short"},
		{"too short international", "+33 6", "FR", "too short"},
		{"too long", "06 12 34 56 78 90", "FR", "too long"},
		{"too long input", "0612345678" + string(make([]byte, 60)), "FR", "too long"},
		{"unknown country code", "+999 123 456 789", "FR", "unknown country code"},
		{"country code 0", "+0612345678", "FR", "unknown country code"},
		{"00 and a local number", "0012345678", "FR", "not a valid number"},
		{"00 and a short nanp number", "0012 3456 7890", "FR", "too short"},
		{"unassigned fr range", "07 12 34 56 78", "FR", "not a valid number"},
		{"fr national in us", "0612345678", "US", "not a valid number"},
		{"under 8 digits", "+683 4002", "FR", "too short"},
		{"invalid fr range", "0912345", "FR", "too short"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Normalize(tt.raw, tt.region)
			require.Empty(t, got)
			var inv *InvalidError
			require.ErrorAs(t, err, &inv)
			require.Equal(t, &InvalidError{Input: tt.raw, Reason: tt.reason}, inv)
		})
	}
}

func TestInvalidErrorMessage(t *testing.T) {
	t.Parallel()
	_, err := Normalize("06 12", "FR")
	require.EqualError(t, err, `phone: invalid number "06 12": too short`)
	_, err = Normalize("", "FR")
	require.EqualError(t, err, `phone: invalid number "": empty`)
}

func TestNormalizeRegion(t *testing.T) {
	t.Parallel()
	for _, region := range []string{"", "XX", "FRA", "001", "ZZ"} {
		_, err := Normalize("+33612345678", region)
		require.ErrorIs(t, err, ErrUnknownRegion, region)
		require.EqualError(t, err, `phone: unknown region "`+region+`"`)
	}
}
