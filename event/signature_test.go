package event_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/event"
)

const secret = "whsec-Tq3zR8pLx2Vn"

// The documented scheme, checked against an independent HMAC
// (openssl dgst -sha256 -hmac whsec-example).
func TestSignKnownVector(t *testing.T) {
	t.Parallel()
	body := []byte(`{"type":"sms:delivery","id":"dlr:0","data":{}}`)
	require.Equal(t, "v1=d45bde35a4f2f8aa6996388f07be59d352c918d97a5a11d7734d562665e28c5d", event.Sign("whsec-example", "1767225600", body))
}

func TestVerify(t *testing.T) {
	t.Parallel()
	now := time.Unix(1767225600, 0)
	body := []byte(`{"type":"sms:reply","id":"mo:1","data":{"from":"33601020304"}}`)
	ts := "1767225600"
	good := event.Sign(secret, ts, body)
	other := event.Sign("another-secret", ts, body)

	cases := []struct {
		name      string
		secret    string
		ts, sig   string
		body      []byte
		tolerance time.Duration
		now       time.Time
		want      error
	}{
		{"valid", secret, ts, good, body, time.Minute, now, nil},
		{"valid within tolerance", secret, ts, good, body, time.Minute, now.Add(59 * time.Second), nil},
		{"upper-case hex", secret, ts, "v1=" + strings.ToUpper(strings.TrimPrefix(good, "v1=")), body, time.Minute, now, nil},
		{"rotation: one of several", secret, ts, other + ", " + good, body, time.Minute, now, nil},
		{"default tolerance 5m", secret, ts, good, body, 0, now.Add(4 * time.Minute), nil},
		{"wrong secret", "nope", ts, good, body, time.Minute, now, event.ErrSignatureMismatch},
		{"tampered body", secret, ts, good, append([]byte(nil), append(body, ' ')...), time.Minute, now, event.ErrSignatureMismatch},
		{"timestamp replaced", secret, "1767225601", good, body, time.Minute, now, event.ErrSignatureMismatch},
		{"too old", secret, ts, good, body, time.Minute, now.Add(2 * time.Minute), event.ErrSignatureExpired},
		{"from the future", secret, ts, good, body, time.Minute, now.Add(-2 * time.Minute), event.ErrSignatureExpired},
		{"timestamp not a number", secret, "yesterday", good, body, time.Minute, now, event.ErrSignatureMalformed},
		{"no timestamp", secret, "", good, body, time.Minute, now, event.ErrSignatureMalformed},
		{"no v1 entry", secret, ts, "v0=abc", body, time.Minute, now, event.ErrSignatureMalformed},
		{"empty signature", secret, ts, "", body, time.Minute, now, event.ErrSignatureMalformed},
		{"truncated", secret, ts, good[:20], body, time.Minute, now, event.ErrSignatureMismatch},
	}
	for _, c := range cases {
		err := event.Verify(c.secret, c.ts, c.sig, c.body, c.tolerance, c.now)
		if c.want == nil {
			require.NoError(t, err, c.name)
			continue
		}
		require.ErrorIs(t, err, c.want, c.name)
	}
}
