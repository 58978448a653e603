// Package phone normalises recipients' phone numbers to the international
// digits sMsmode expects (33612345678).
package phone

// SKELETON: agreed API; the text helper replaces the stub bodies.

// Normalize accepts national and international forms with spaces, dots,
// dashes, parentheses, "+" or "00", and returns international digits without
// "+". region (e.g. "FR") is used for national numbers.
func Normalize(raw, region string) (string, error) { return raw, nil }

// InvalidError is a number that cannot be used.
type InvalidError struct {
	Input  string
	Reason string
}

func (e *InvalidError) Error() string { return "phone: invalid number " + e.Input + ": " + e.Reason }
