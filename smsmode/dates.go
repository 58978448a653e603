package smsmode

import (
	"strings"
	"time"
)

// Date layouts used on the wire (Go reference-time notation). The reference
// gives no time zone for any of them; the client reads and writes them in
// Config.Location (Europe/Paris by default).
const (
	// LayoutSendDate is date_envoi, startDate, endDate and responseList's
	// reception_date: ddMMyyyy-HH:mm.
	LayoutSendDate = "02012006-15:04"
	// LayoutDeliveryDate is the delivery-report callback's date_reception:
	// yyyy-MM-dd HH:mm:ss.
	LayoutDeliveryDate = "2006-01-02 15:04:05"
	// LayoutReplyDate is the reply callback's date_reception: ddMMyyyy-HHmmss.
	LayoutReplyDate = "02012006-150405"
	// LayoutListDate is smsList's date_envoi: dd/MM/yyyy HH:mm (observed;
	// the reference does not specify it).
	LayoutListDate = "02/01/2006 15:04"
)

// listLayouts are accepted in smsList.do and responseList.do rows: the two
// documented or observed formats, with and without seconds.
var listLayouts = []string{
	LayoutListDate,
	LayoutSendDate,
	"02/01/2006 15:04:05",
	"02012006-15:04:05",
	LayoutReplyDate,
	LayoutDeliveryDate,
	"2006-01-02 15:04",
}

// callbackLayouts are accepted in both callbacks: each callback's documented
// format is accepted in the other (the two sections disagree and nothing
// says which one a given platform version uses), plus tolerated variants.
var callbackLayouts = []string{
	LayoutDeliveryDate,
	LayoutReplyDate,
	"2006-01-02 15:04",
	"2006-01-02T15:04:05",
	"02012006-15:04:05",
	LayoutSendDate,
	"02/01/2006 15:04:05",
	LayoutListDate,
}

// parseLocalDate parses s with the first matching layout, in loc. RFC 3339
// values carry their own offset and keep it (converted to loc).
func parseLocalDate(s string, loc *time.Location, layouts []string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 64 {
		return time.Time{}, false
	}
	if loc == nil {
		loc = DefaultLocation()
	}
	for _, l := range layouts {
		if len(l) != len(s) {
			// Every layout here has fixed width: a cheap pre-filter.
			continue
		}
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, true
		}
	}
	if strings.ContainsAny(s, "Zz+") || strings.Count(s, "-") > 2 {
		for _, l := range []string{time.RFC3339Nano, time.RFC3339} {
			if t, err := time.Parse(l, s); err == nil {
				return t.In(loc), true
			}
		}
	}
	return time.Time{}, false
}
