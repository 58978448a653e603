package tasks_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/tasks"
)

func TestValidationNamesTheField(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 161*5)
	cases := []struct {
		name  string
		p     tasks.SendPayload
		field string
	}{
		{"no recipient", tasks.SendPayload{Message: "x"}, "to"},
		{"both", tasks.SendPayload{To: []string{"0612345678"}, Group: "g", Message: "x"}, "to"},
		{"bad number", tasks.SendPayload{To: []string{"0612345678", "06 12"}, Message: "x"}, "to[1]"},
		{"empty message", tasks.SendPayload{To: []string{"0612345678"}, Message: "  "}, "message"},
		{"too long", tasks.SendPayload{To: []string{"0612345678"}, Message: long}, "message"},
		{"sender too long", tasks.SendPayload{To: []string{"0612345678"}, Message: "x", Sender: "ABCDEFGHIJKL"}, "sender"},
		{"reply with sender", tasks.SendPayload{To: []string{"0612345678"}, Message: "x", Sender: "SHOP", Reply: true}, "sender"},
		{"reply unicode", tasks.SendPayload{To: []string{"0612345678"}, Message: "☺", Reply: true}, "message"},
		{"encoding", tasks.SendPayload{To: []string{"0612345678"}, Message: "x", Encoding: "utf16"}, "encoding"},
		{"stop", tasks.SendPayload{To: []string{"0612345678"}, Message: "x", Stop: 3}, "stop"},
		{"ref", tasks.SendPayload{To: []string{"0612345678"}, Message: "x", Ref: strings.Repeat("r", 41)}, "ref"},
		{"gsm forced", tasks.SendPayload{To: []string{"0612345678"}, Message: "☺", Encoding: "gsm"}, "message"},
		{"max segments", tasks.SendPayload{To: []string{"0612345678"}, Message: strings.Repeat("a", 161), MaxSegments: 1}, "message"},
		// Outside unicode sends every parameter travels as ISO-8859-15.
		{"ref outside latin-9", tasks.SendPayload{To: []string{"0612345678"}, Message: "x", Ref: "commande ☺"}, "ref"},
		{"group outside latin-9", tasks.SendPayload{Group: "clients ☺", Message: "x"}, "group"},
		{"reply_url outside latin-9", tasks.SendPayload{To: []string{"0612345678"}, Message: "x", Reply: true, ReplyURL: "https://x.example/☺"}, "reply_url"},
		{"notification_url outside latin-9", tasks.SendPayload{To: []string{"0612345678"}, Message: "x", NotificationURL: "https://x.example/☺"}, "notification_url"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.p.Validate("FR")
			var ve *tasks.ValidationError
			require.ErrorAs(t, err, &ve)
			require.Equal(t, tc.field, ve.Field, err.Error())
		})
	}
	// A unicode send travels as UTF-8: the same ref is fine there.
	require.NoError(t, (&tasks.SendPayload{To: []string{"0612345678"}, Message: "☺", Ref: "commande ☺"}).Validate("FR"))
	// The refusal says how many segments the message needs.
	err := (&tasks.SendPayload{To: []string{"0612345678"}, Message: strings.Repeat("a", 307), MaxSegments: 2}).Validate("FR")
	require.ErrorContains(t, err, "needs 3 segments")
}
