package text

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseMode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Mode
		wantErr string
	}{
		{"", Auto, ""},
		{"auto", Auto, ""},
		{"AUTO", Auto, ""},
		{"gsm", ForceGSM, ""},
		{"GSM", ForceGSM, ""},
		{"unicode", ForceUnicode, ""},
		{"Unicode", ForceUnicode, ""},
		{"ucs2", Auto, `text: unknown encoding mode "ucs2" (want auto, gsm or unicode)`},
		{" gsm", Auto, `text: unknown encoding mode " gsm" (want auto, gsm or unicode)`},
	}
	for _, tt := range tests {
		got, err := ParseMode(tt.in)
		if tt.wantErr != "" {
			require.EqualError(t, err, tt.wantErr)
			continue
		}
		require.NoError(t, err, tt.in)
		require.Equal(t, tt.want, got, tt.in)
	}
}

func TestModeText(t *testing.T) {
	t.Parallel()
	for _, m := range []Mode{Auto, ForceGSM, ForceUnicode} {
		b, err := json.Marshal(m)
		require.NoError(t, err)
		var got Mode
		require.NoError(t, json.Unmarshal(b, &got))
		require.Equal(t, m, got)
		parsed, err := ParseMode(m.String())
		require.NoError(t, err)
		require.Equal(t, m, parsed)
	}
	require.Equal(t, "Mode(9)", Mode(9).String())
	_, err := json.Marshal(Mode(9))
	require.Error(t, err)
	var m Mode
	require.Error(t, json.Unmarshal([]byte(`"utf8"`), &m))
}

func TestEncodingString(t *testing.T) {
	t.Parallel()
	require.Equal(t, "gsm", GSM.String())
	require.Equal(t, "unicode", Unicode.String())
}
