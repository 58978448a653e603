package marketing_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/marketing"
)

func TestHasStopMention(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		want bool
	}{
		// What the provider appends with stop=1 or stop=2.
		{"Soldes -50% ce week-end ! STOP 36034", true},
		{"Soldes -50% ce week-end !\nSTOP 36034", true},
		{"Sales this week-end no-sms.eu", true},
		// Usual French wordings.
		{"Promo STOP au 36180", true},
		{"Promo Stop SMS 36180", true},
		{"Promo STOP 36180", true},
		{"Promo STOP36180", true},
		{"Promo STOPSMS 36180", true},
		{"Promo stop au 36180", true},
		{"Promo STOP SMS au 36180", true},
		{"Promo STOP à 36180", true},
		{"Promo STOP A 36180", true},
		{"Promo STOP a\u0300 36180", true}, // à decomposed
		{"Promo STOP par SMS au 36180", true},
		{"Promo STOP au numéro 36180", true},
		{"Promo STOP au NUMERO court 36180", true},
		{"Promo STOP au nume\u0301ro 36180", true},
		{"Promo STOP au n° 36180", true},
		{"Promo STOP au Nº36180", true},
		{"Promo STOP au No 36180", true},
		{"Promo STOP : 36180", true},
		{"Promo STOP: 36180", true},
		{"Promo STOP=36180", true},
		{"Promo STOP → 36180", true},
		{"Promo (STOP 36180)", true},
		{"Promo STOP-36180", true},
		{"Promo STOP au 36 180", true},
		{"Promo STOP\u00a0au\u00a036180", true},
		{"Promo STOP\u202f:\u202f36\u202f180", true},
		{"Promo STOP 36180.", true},
		{"Promo. STOP 36180 gratuit", true},
		{"STOP 36180 en tête", true},
		{"Désinscription : www.no-sms.eu", true},
		{"Désinscription : https://NO-SMS.EU/", true},
		{"Désinscription sur no-sms.eu.", true},
		// Not a mention.
		{"", false},
		{"Promo", false},
		{"Promo, répondez STOP", false},
		{"Promo STOP SMS", false},
		{"Promo STOP au", false},
		{"Promo STOP au 3618", false},         // 4 digits
		{"Promo STOP au 361800", false},       // 6 digits
		{"Promo STOP au 0612345678", false},   // long number
		{"Promo STOP au +33612345678", false}, // long number
		{"Promo STOP au 36 1800", false},
		{"Promo STOP au 3 6180", false},
		{"Promo NONSTOP 36180", false},
		{"Promo STOPPEZ 36180", false},
		{"Promo STOP aux 36180", false},
		{"Promo STOP envoyez 36180", false},
		{"Promo ＳＴＯＰ 36180", false}, // full-width letters
		{"Promo STOP au ３６１８０", false},
		{"Promo S T O P 36180", false},
		{"Code 36180, stop", false},
		{"Désinscription : no-sms.eu.com", false},
		{"Désinscription : xno-sms.eu", false},
		{"no-sms.europe", false},
		{"no-sms.eu-x.com", false},
		{"nosms.eu", false},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, marketing.HasStopMention(tt.text), "%q", tt.text)
	}
}
