package tasks_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/smsmode/smsmodetest"
	"github.com/smsq/smsq/tasks"
)

// FuzzPayload feeds the worker's decoding path with any task payload (Redis
// holds whatever a producer wrote, validated or not): decoding and preparing
// never panic; a refusal is one line naming a field, which the worker puts in
// the archived task's error; an accepted payload holds only what the provider
// takes (the client sends it to the fake sMsmode without a refusal), and
// validating it again changes nothing.
func FuzzPayload(f *testing.F) {
	fake := smsmodetest.NewServer(smsmodetest.WithoutRecording(), smsmodetest.WithMessageLimit(10), smsmodetest.WithCredit(1e15))
	f.Cleanup(fake.Close)
	client := fake.Client()
	ctx := context.Background()

	// More seeds live in testdata/fuzz/FuzzPayload.
	f.Add(uint8(0), []byte(`{"to":["0612345678"],"message":"Votre code : 123456","sender":"MyShop"}`))
	f.Add(uint8(0), []byte(`{"group":"clients","message":"Soldes -50 % ☺","stop":1,"max_segments":2,"encoding":"auto"}`))
	f.Add(uint8(0), []byte(`{"to":["+33612345678","33612345678"],"message":"Répondez OUI","reply":true,"reply_url":"https://x.example/r"}`))
	f.Add(uint8(1), []byte(`{"to":["+447911123456"],"message":"Your code is 1 2 3","language":"en-GB","title":"OTP"}`))
	f.Add(uint8(2), []byte(`{"rows":[{"to":"0612345678","message":"Bonjour Anne","sender":"Shop"},{"to":"+32470123456","message":"Hallo € {x}","ref":"r-2"}],"max_segments":1}`))
	f.Add(uint8(2), []byte(`{"rows":[],"reply":true,"sender":"X"}`))
	f.Fuzz(func(t *testing.T, kind uint8, payload []byte) {
		switch kind % 3 {
		case 0:
			p, ps, ok := decodeAndPrepare(t, payload, (*tasks.SendPayload).Prepare)
			if !ok {
				return
			}
			if p.Group == "" {
				requireNumbers(t, ps.SMS.Numbers)
			} else {
				require.Empty(t, ps.SMS.Numbers, "a group or numbers, not both")
			}
			require.NotEmpty(t, strings.TrimSpace(ps.SMS.Message))
			require.LessOrEqual(t, ps.Segments, ps.SMS.MaxParts, "a message longer than nbr_msg is refused at enqueue")
			require.LessOrEqual(t, utf8.RuneCountInString(ps.SMS.RefClient), 40, "refClient: at most 40 characters")
			if ps.SMS.Class == smsmode.ClassReply {
				require.Empty(t, ps.SMS.Sender, "classe_msg=4 cannot carry an emetteur")
			}
			again := *p
			again.To = ps.SMS.Numbers
			ps2, err := again.Prepare("FR")
			require.NoError(t, err, "a payload the worker accepted is accepted again with its numbers normalised")
			require.Equal(t, ps.SMS, ps2.SMS)
			if p.Group != "" {
				fake.AddGroup(p.Group, "33612345678")
			}
			_, err = client.SendSMS(ctx, ps.SMS)
			require.NoError(t, err, "the provider takes what the worker accepted")
		case 1:
			_, pv, ok := decodeAndPrepare(t, payload, (*tasks.VoicePayload).Prepare)
			if !ok {
				return
			}
			requireNumbers(t, pv.Voice.Numbers)
			require.LessOrEqual(t, len([]rune(pv.Voice.Message)), 160)
			_, err := client.SendVoice(ctx, pv.Voice)
			require.NoError(t, err, "the provider takes what the worker accepted")
		case 2:
			p, pb, ok := decodeAndPrepare(t, payload, (*tasks.BatchPayload).Prepare)
			if !ok {
				return
			}
			require.Len(t, pb.Batch.Rows, len(p.Rows))
			for _, r := range pb.Batch.Rows {
				requireNumbers(t, []string{r.Number})
			}
			require.Positive(t, pb.Segments)
			_, err := client.SendBatch(ctx, pb.Batch)
			require.NoError(t, err, "the provider takes what the worker accepted")
		}
	})
}

// decodeAndPrepare decodes payload as the worker does and prepares it for
// region FR; ok is false when the bytes are not a P's JSON or the payload
// was refused (the refusal checked).
func decodeAndPrepare[P, R any](t *testing.T, payload []byte, prepare func(*P, string) (R, error)) (p *P, r R, ok bool) {
	t.Helper()
	p = new(P)
	if json.Unmarshal(payload, p) != nil {
		return nil, r, false
	}
	r, err := prepare(p, "FR")
	if err != nil {
		requireFieldError(t, err)
		return nil, r, false
	}
	return p, r, true
}

func requireFieldError(t *testing.T, err error) {
	t.Helper()
	var ve *tasks.ValidationError
	require.True(t, errors.As(err, &ve), "refusals are ValidationErrors, got %T %v", err, err)
	require.NotEmpty(t, ve.Field)
	require.NotContains(t, err.Error(), "\n", "a refusal is one line")
}

func requireNumbers(t *testing.T, numbers []string) {
	t.Helper()
	require.NotEmpty(t, numbers)
	for _, n := range numbers {
		require.GreaterOrEqual(t, len(n), 8, "%q", n)
		require.LessOrEqual(t, len(n), 15, "%q", n)
		require.Equal(t, -1, strings.IndexFunc(n, func(r rune) bool { return r < '0' || r > '9' }), "%q is international digits", n)
	}
}
