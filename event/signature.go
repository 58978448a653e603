package event

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Headers of a forwarded event.
const (
	HeaderTimestamp = "Smsq-Timestamp" // unix seconds, decimal
	HeaderSignature = "Smsq-Signature" // "v1=" + hex HMAC-SHA256
)

// DefaultTolerance is the clock skew and delay Verify accepts when given
// no tolerance.
const DefaultTolerance = 5 * time.Minute

// Errors of Verify.
var (
	ErrSignatureMismatch  = errors.New("smsq signature: no v1 signature matches")
	ErrSignatureExpired   = errors.New("smsq signature: timestamp outside the tolerance")
	ErrSignatureMalformed = errors.New("smsq signature: malformed header")
)

// Sign returns the Smsq-Signature value of body signed at timestamp (unix
// seconds, as sent in Smsq-Timestamp):
//
//	"v1=" + hex(HMAC-SHA256(secret, timestamp + "." + body))
func Sign(secret, timestamp string, body []byte) string {
	return "v1=" + mac([]byte(secret), timestamp, body)
}

func mac(secret []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Verify checks a forwarded event: timestamp and signature are the
// Smsq-Timestamp and Smsq-Signature headers, body the raw request body
// (before any JSON decoding). It returns nil when a v1 entry of signature
// matches and timestamp is within tolerance of now (tolerance ≤ 0:
// DefaultTolerance); otherwise ErrSignatureMalformed, ErrSignatureExpired or
// ErrSignatureMismatch. The comparison takes constant time. Smsq-Signature
// may carry several comma-separated v1 entries (a secret being rotated):
// any match is enough.
//
//	err := event.Verify(secret, r.Header.Get(event.HeaderTimestamp),
//		r.Header.Get(event.HeaderSignature), body, 0, time.Now())
func Verify(secret, timestamp, signature string, body []byte, tolerance time.Duration, now time.Time) error {
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	ts := strings.TrimSpace(timestamp)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sec <= 0 {
		return ErrSignatureMalformed
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrSignatureExpired
	}
	want := []byte(mac([]byte(secret), ts, body))
	found := false
	for entry := range strings.SplitSeq(signature, ",") {
		v, ok := strings.CutPrefix(strings.TrimSpace(entry), "v1=")
		if !ok {
			continue
		}
		found = true
		if hmac.Equal([]byte(strings.ToLower(v)), want) {
			return nil
		}
	}
	if !found {
		return ErrSignatureMalformed
	}
	return ErrSignatureMismatch
}
