// Package phone normalises recipients' phone numbers to the international
// digits sMsmode expects (33612345678).
//
// Validation is delegated to github.com/nyaruka/phonenumbers, a maintained
// port of Google's libphonenumber: numbering plans change every year, and
// only its metadata knows that 06 12 34 56 78 is a French mobile and 06 12
// is nothing. Landlines are valid numbers too (voice messages go to them).
package phone

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

const (
	// minDigits and maxDigits bound a result: E.164 allows 15 digits, and
	// anything under 8 (country code included) is refused as too short,
	// even the few 4-digit subscriber numbers of tiny numbering plans that
	// libphonenumber knows (Niue, Tokelau), so that callers can rely on 8-15.
	minDigits = 8
	maxDigits = 15
	// maxInput bounds the raw input before any parsing work: no number
	// written with separators, "00" and "(0)" comes near it.
	maxInput = 64
)

// ErrUnknownRegion is wrapped by the error for a region that is not an
// ISO 3166-1 alpha-2 code known to the numbering-plan data.
var ErrUnknownRegion = errors.New("phone: unknown region")

// Normalize accepts national and international forms with spaces, dots,
// dashes, parentheses, "+" or "00", and returns international digits without
// "+". region (e.g. "FR") is used for national numbers.
//
// The forms are read as follows:
//
//   - "+33 6 12 34 56 78", "0033 6 12 34 56 78", "+33 (0)6 12 34 56 78":
//     international;
//   - "06 12 34 56 78", "06.12.34.56.78", "(0)6-12-34-56-78": national in
//     region (digits starting with 0; the region's own international prefix,
//     such as 011 in the US, is understood too);
//   - bare digits that do not start with 0, such as "33612345678": this is
//     sMsmode's own international form. In a region whose national numbers
//     are written with a leading 0 (FR, DE, GB…), they are read as
//     international first and as a national number that lost its 0 only if
//     that fails; elsewhere (US, IT, ES…), where national numbers are
//     written without a trunk prefix, as national first. For a result n,
//     Normalize("+"+n) == n in every region, and Normalize(n) == n in a
//     0-prefix region, where a result is never reread as another number.
//     Elsewhere it can be: in the US, 3235551234 is Los Angeles, while
//     +32 3 555 12 34 (Antwerp) normalises to the same digits.
//
// Separators are spaces (any Unicode space), dots, dashes, slashes and
// parentheses; a "+" may only come first. The result is valid for
// phonenumbers.IsValidNumber and holds 8 to 15 digits. An unusable number
// gives an *InvalidError; an unknown region an error wrapping
// [ErrUnknownRegion]. region is case-insensitive.
func Normalize(raw, region string) (string, error) {
	reg, err := checkRegion(region)
	if err != nil {
		return "", err
	}
	return normalize(raw, reg)
}

// checkRegion returns region in upper case, or an error when the
// numbering-plan data does not know it.
func checkRegion(region string) (string, error) {
	reg := strings.ToUpper(region)
	if !phonenumbers.GetSupportedRegions()[reg] {
		return "", fmt.Errorf("%w %q", ErrUnknownRegion, region)
	}
	return reg, nil
}

// normalize is Normalize for a region already checked.
func normalize(raw, region string) (string, error) {
	digits, plus, reason := clean(raw)
	if reason != "" {
		return "", &InvalidError{Input: raw, Reason: reason}
	}
	var out string
	switch {
	case plus:
		out, reason = international(digits)
	case strings.HasPrefix(digits, "00"):
		// "00" is the international prefix of most of the world, and no
		// national number starts with it.
		out, reason = international(digits[2:])
	case digits[0] == '0':
		out, reason = national(digits, region)
	case nationalFirst(region):
		if out, reason = national(digits, region); reason != "" {
			var intlReason string
			if out, intlReason = international(digits); intlReason == "" {
				reason = ""
			}
		}
	default:
		if out, reason = international(digits); reason != "" {
			// Report why the national reading failed: a French user who
			// typed 9 digits more likely dropped the 0 than meant a
			// country code.
			out, reason = national(digits, region)
		}
	}
	if reason != "" {
		return "", &InvalidError{Input: raw, Reason: reason}
	}
	return out, nil
}

// clean extracts the digits of raw and whether it starts with "+", or gives
// the reason raw cannot be a phone number.
func clean(raw string) (digits string, plus bool, reason string) {
	s := strings.TrimSpace(raw)
	switch {
	case s == "":
		return "", false, "empty"
	case len(s) > maxInput:
		return "", false, "too long"
	}
	if s[0] == '+' {
		plus = true
		s = s[1:]
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteByte(byte(r))
		case r == '.' || r == '/' || r == '(' || r == ')' || unicode.IsSpace(r) || unicode.Is(unicode.Pd, r):
			// Separators people write between digit groups.
		case r == '+':
			return "", false, `"+" is only allowed first`
		case unicode.IsLetter(r):
			return "", false, "contains letters"
		default:
			return "", false, fmt.Sprintf("unexpected character %q", r)
		}
	}
	if b.Len() == 0 {
		return "", false, "no digits"
	}
	return b.String(), plus, ""
}

// nationalFirst reports whether bare digits not starting with 0 are more
// likely a national number of region than an international one: true where
// national numbers are written without a 0 trunk prefix.
func nationalFirst(region string) bool {
	return phonenumbers.GetNddPrefixForRegion(region, true) != "0"
}

// international reads digits as a number with its country code.
func international(digits string) (string, string) {
	if out, ok := fastInternational(digits); ok {
		return out, ""
	}
	return parse("+"+digits, "ZZ")
}

// national reads digits as a number of region.
func national(digits, region string) (string, string) {
	return parse(digits, region)
}

// parse parses s with phonenumbers and returns the international digits of
// a valid number, or a short reason.
func parse(s, region string) (out, reason string) {
	num, err := phonenumbers.Parse(s, region)
	switch {
	case errors.Is(err, phonenumbers.ErrTooShortNSN), errors.Is(err, phonenumbers.ErrTooShortAfterIDD):
		return "", "too short"
	case errors.Is(err, phonenumbers.ErrNumTooLong):
		return "", "too long"
	case errors.Is(err, phonenumbers.ErrInvalidCountryCode):
		return "", "unknown country code"
	case err != nil:
		return "", "not a valid number"
	}
	if !phonenumbers.IsValidNumber(num) {
		switch phonenumbers.IsPossibleNumberWithReason(num) {
		case phonenumbers.TOO_SHORT:
			return "", "too short"
		case phonenumbers.TOO_LONG:
			return "", "too long"
		case phonenumbers.INVALID_COUNTRY_CODE:
			return "", "unknown country code"
		}
		return "", "not a valid number"
	}
	out = phonenumbers.Format(num, phonenumbers.E164)[1:]
	switch {
	case len(out) < minDigits:
		return "", "too short"
	case len(out) > maxDigits:
		return "", "too long"
	}
	return out, ""
}
