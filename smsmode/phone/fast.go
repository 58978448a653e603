package phone

import (
	"regexp"
	"strconv"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// fastInternational is international's shortcut for the form the worker
// sees on every task (producers store international digits): it builds the
// number phonenumbers.Parse("+"+digits, "ZZ") would build without running
// Parse's regular expressions over the raw text (extension, viability),
// which cost about two thirds of a Normalize, and validates it with the same
// IsValidNumber. It only answers when the outcome is provably Parse's:
//
//   - digits is 8 to 15 ASCII digits not starting with 0 (clean's output),
//     so Parse's preprocessing keeps it whole (no extension, no second
//     number) and reads its country code as extractCountryCode does: the
//     first 1 to 3 digits that are a known calling code;
//   - the national number does not start with 0 (no Italian leading zero)
//     and the region's national prefix for parsing does not match its
//     start, so Parse's national-prefix stripping leaves it as is;
//   - IsValidNumber accepts it.
//
// Anything else (ok false) takes the full path, which also gives the
// refusal reasons. TestFastInternationalMatchesParse and
// FuzzFastInternational compare both paths.
func fastInternational(digits string) (string, bool) {
	if len(digits) < minDigits || len(digits) > maxDigits || digits[0] == '0' {
		return "", false
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return "", false
		}
	}
	cc, nsn := 0, ""
	codes := phonenumbers.GetSupportedCallingCodes()
	for i := 1; i <= 3; i++ {
		c, _ := strconv.Atoi(digits[:i])
		if codes[c] {
			cc, nsn = c, digits[i:]
			break
		}
	}
	if cc == 0 || nsn[0] == '0' {
		return "", false
	}
	prefix, ok := nationalPrefixFor(cc)
	if !ok || (prefix != nil && prefix.MatchString(nsn)) {
		return "", false
	}
	n, err := strconv.ParseUint(nsn, 10, 64)
	if err != nil {
		return "", false
	}
	cc32 := int32(cc)
	num := &phonenumbers.PhoneNumber{CountryCode: &cc32, NationalNumber: &n}
	if !phonenumbers.IsValidNumber(num) {
		return "", false
	}
	out := phonenumbers.Format(num, phonenumbers.E164)[1:]
	if out != digits {
		return "", false // cannot happen for such a number; the full path decides
	}
	return out, true
}

// nationalPrefixes maps a calling code to the anchored national prefix for
// parsing of the metadata Parse uses for it (nil: the region has none);
// ok false when that metadata cannot be found.
var nationalPrefixes = sync.OnceValue(func() map[int]*regexp.Regexp {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return nil
	}
	byRegion := map[string]*phonenumbers.PhoneMetadata{}
	nonGeo := map[int]*phonenumbers.PhoneMetadata{}
	for _, md := range coll.GetMetadata() { // the last entry wins, as in phonenumbers
		if md.GetId() == "001" {
			nonGeo[int(md.GetCountryCode())] = md
		} else {
			byRegion[md.GetId()] = md
		}
	}
	out := map[int]*regexp.Regexp{}
	for cc := range phonenumbers.GetSupportedCallingCodes() {
		// Parse reads a number with a country code against the metadata of
		// the code's main region, or of the non-geographic entity.
		region := phonenumbers.GetRegionCodeForCountryCode(cc)
		md := byRegion[region]
		if region == "001" {
			md = nonGeo[cc]
		}
		if md == nil {
			continue // no metadata: Parse skips the stripping, but stay out of it
		}
		p := md.GetNationalPrefixForParsing()
		if p == "" {
			out[cc] = nil
			continue
		}
		// The same anchored pattern Parse compiles.
		re, err := regexp.Compile("^(?:" + p + ")")
		if err != nil {
			continue
		}
		out[cc] = re
	}
	return out
})

func nationalPrefixFor(cc int) (*regexp.Regexp, bool) {
	re, ok := nationalPrefixes()[cc]
	return re, ok
}
