package config

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/smsq/smsq/marketing"
)

// QueueEvents is the queue of follow-up tasks (callbacks, polled reports).
const QueueEvents = "events"

// Secrets is a comma-separated list of secrets, the first one current
// (WEBHOOK_SECRET="new,old" during a rotation). Each is a URL path
// segment: letters, digits and "-._~" only.
type Secrets []string

var reSecret = regexp.MustCompile(`^[A-Za-z0-9._~-]+$`)

// Decode implements envconfig.Decoder. Its errors never quote the value.
func (s *Secrets) Decode(v string) error {
	var out Secrets
	for part := range strings.SplitSeq(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !reSecret.MatchString(part) {
			return errors.New("want letters, digits and -._~ only (a URL path segment)")
		}
		out = append(out, part)
	}
	*s = out
	return nil
}

// Current is the secret that goes into new URLs ("" when unset).
func (s Secrets) Current() string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// APIToken is one client of the HTTP producer API.
type APIToken struct {
	Name  string // what logs and metrics show
	Token string // never logged
}

// APITokens is API_TOKENS: NAME:TOKEN[,NAME:TOKEN…].
type APITokens []APIToken

var reTokenName = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,39}$`)

// Decode implements envconfig.Decoder. Its errors name a token by its
// name, never by its value.
func (t *APITokens) Decode(v string) error {
	var out APITokens
	names := map[string]bool{}
	for i, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, token, ok := strings.Cut(part, ":")
		if !ok || !reTokenName.MatchString(name) || token == "" {
			return fmt.Errorf("entry %d: want NAME:TOKEN, NAME in lower-case letters, digits and - _ . (at most 40)", i+1)
		}
		if names[name] {
			return fmt.Errorf("name %q appears twice", name)
		}
		names[name] = true
		out = append(out, APIToken{Name: name, Token: token})
	}
	*t = out
	return nil
}

// MarketingHours is MARKETING_HOURS (see package marketing for the syntax).
type MarketingHours struct{ marketing.Hours }

// Decode implements envconfig.Decoder.
func (h *MarketingHours) Decode(v string) error {
	hours, err := marketing.ParseHours(v)
	if err != nil {
		return err
	}
	h.Hours = hours
	return nil
}

// MarketingHolidays is MARKETING_HOLIDAYS: FR, FR-57 or none.
type MarketingHolidays struct{ marketing.Holidays }

// Decode implements envconfig.Decoder.
func (h *MarketingHolidays) Decode(v string) error {
	hd, err := marketing.ParseHolidays(v)
	if err != nil {
		return err
	}
	h.Holidays = hd
	return nil
}

// Countries is ALLOWED_COUNTRIES: ISO 3166 region codes ("FR,BE,CH"), or
// "*" for any.
type Countries []string

// Decode implements envconfig.Decoder.
func (c *Countries) Decode(v string) error {
	var out Countries
	for part := range strings.SplitSeq(v, ",") {
		part = strings.ToUpper(strings.TrimSpace(part))
		switch {
		case part == "":
			continue
		case part == "*":
			*c = nil
			return nil
		case phonenumbers.GetCountryCodeForRegion(part) == 0:
			return fmt.Errorf("%q is not a region code such as FR", part)
		}
		out = append(out, part)
	}
	if len(out) == 0 {
		return errors.New(`empty: give region codes such as FR, or "*" for any`)
	}
	*c = out
	return nil
}

// Any reports whether every destination is allowed.
func (c Countries) Any() bool { return len(c) == 0 }

// Allows reports whether region (ISO code) is an allowed destination.
func (c Countries) Allows(region string) bool { return c.Any() || slices.Contains(c, region) }

// CountryCap is DAILY_COUNTRY_CAP: the most messages a day per destination
// country, "N" for every country or "FR=50000,*=100" (a region's own cap,
// "*" for the others). Empty: no cap.
type CountryCap map[string]int

// Decode implements envconfig.Decoder.
func (c *CountryCap) Decode(v string) error {
	out := CountryCap{}
	for part := range strings.SplitSeq(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		region, n, ok := strings.Cut(part, "=")
		if !ok {
			region, n = "*", part
		}
		region = strings.ToUpper(strings.TrimSpace(region))
		limit, err := strconv.Atoi(strings.TrimSpace(n))
		if err != nil || limit < 0 {
			return fmt.Errorf("%q: want N or REGION=N with N >= 0", part)
		}
		if region != "*" && phonenumbers.GetCountryCodeForRegion(region) == 0 {
			return fmt.Errorf("%q is not a region code such as FR", region)
		}
		out[region] = limit
	}
	*c = out
	return nil
}

// Limit is the daily cap of region, and false when it has none.
func (c CountryCap) Limit(region string) (int, bool) {
	if n, ok := c[region]; ok {
		return n, true
	}
	n, ok := c["*"]
	return n, ok
}
