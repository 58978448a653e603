package webhook

import (
	"strconv"

	"github.com/smsq/smsq/smsmode"
)

// Bounds of callback values, from the reference: the smsIDs of its
// examples are letters and digits (S7EpYZ5kmS87, abcd1234, 06000000), and
// the client accepts send answers with IDs up to 128 characters; numbers
// are international digits, 8 to 15 as E.164 allows, except a reply's
// numero, the provider's short code (36034); refClient is at most 40
// characters (3.4 edition); mcc_mnc is a GSM MCC and MNC (20801); cost a
// number of credits (1). Nothing in a report is free text except a
// reply's message, whose ten concatenated segments are about 1,530
// characters.
const (
	maxSMSID       = 128
	maxResponseID  = 64
	minNumber      = 8
	maxNumber      = 15
	minShortCode   = 3
	maxRefClient   = smsmode.MaxRefClientLength
	maxCost        = 16
	maxReplyLength = 1600
)

func invalid(field, reason string) error {
	return &smsmode.CallbackError{Field: field, Reason: reason}
}

// checkDelivery refuses what the parser lets through but no genuine
// delivery report holds: every value ends up in a task payload, a status
// key and the application's events.
func checkDelivery(dr *smsmode.DeliveryReportCallback) error {
	if err := checkNumber("numero", dr.Number, minNumber); err != nil {
		return err
	}
	if err := checkToken("smsID", dr.SMSID, maxSMSID, false); err != nil {
		return err
	}
	if err := checkText("refClient", dr.RefClient, maxRefClient, false); err != nil {
		return err
	}
	if n := len(dr.MCCMNC); n > 0 && (n < 5 || n > 6 || !digits(dr.MCCMNC)) {
		return invalid("mcc_mnc", "5 or 6 digits expected (MCC and MNC, e.g. 20801)")
	}
	if dr.Cost != "" && !decimal(dr.Cost) {
		return invalid("cost", "a number of credits expected (e.g. 1 or 0.5)")
	}
	return nil
}

// checkReply is checkDelivery for replies.
func checkReply(rc *smsmode.ReplyCallback) error {
	if err := checkNumber("numero", rc.To, minShortCode); err != nil {
		return err
	}
	if err := checkNumber("emetteur", rc.From, minNumber); err != nil {
		return err
	}
	if rc.SMSID != "" {
		if err := checkToken("smsID", rc.SMSID, maxSMSID, false); err != nil {
			return err
		}
	}
	if err := checkText("refClient", rc.RefClient, maxRefClient, false); err != nil {
		return err
	}
	if rc.ResponseID != "" {
		if err := checkToken("responseID", rc.ResponseID, maxResponseID, true); err != nil {
			return err
		}
	}
	return checkText("message", rc.Message, maxReplyLength, true)
}

// checkNumber: the parser has checked digits (a leading "+" dropped).
func checkNumber(field, n string, minDigits int) error {
	if len(n) < minDigits || len(n) > maxNumber {
		return invalid(field, strconv.Itoa(minDigits)+" to "+strconv.Itoa(maxNumber)+" digits expected")
	}
	return nil
}

// checkToken accepts ASCII letters and digits, and with punct also ".",
// "_" and "-".
func checkToken(field, s string, maxLen int, punct bool) error {
	if len(s) > maxLen {
		return invalid(field, "longer than "+strconv.Itoa(maxLen)+" characters")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || punct && (c == '.' || c == '_' || c == '-') {
			continue
		}
		if punct {
			return invalid(field, "letters, digits, '.', '_' and '-' only")
		}
		return invalid(field, "letters and digits only")
	}
	return nil
}

// checkText bounds free text in characters and refuses control
// characters (C0, DEL, C1: NUL, escape sequences that rewrite a terminal),
// except, with lines, tab, line feed and carriage return, which an SMS may
// hold. The parser has made the text valid UTF-8 (bytes that were not are
// read as ISO-8859-15).
func checkText(field, s string, maxChars int, lines bool) error {
	n := 0
	for i, r := range s {
		n++
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			if lines {
				continue
			}
		case r >= 0x20 && r < 0x7f, r > 0x9f:
			continue
		}
		return invalid(field, "control character at byte "+strconv.Itoa(i))
	}
	if n > maxChars {
		return invalid(field, "longer than "+strconv.Itoa(maxChars)+" characters")
	}
	return nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// decimal accepts 1, 0.5 and 0,5 (the provider is French).
func decimal(s string) bool {
	if len(s) > maxCost {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] == '.' || s[i] == ',' {
			return digits(s[:i]) && digits(s[i+1:])
		}
	}
	return digits(s)
}
