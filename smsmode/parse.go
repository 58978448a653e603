package smsmode

import (
	"strconv"
	"strings"
	"time"
)

// The 1.6 API answers in plain text. The parsers below take the body already
// decoded to UTF-8 (decodeBody) and never panic: they are fuzzed.
//
// Shapes:
//
//	sends                code | description | smsID      (smsID only for code 0)
//	other operations     code | description
//	compteRendu.do       number status | number status | …   ("" = no report yet)
//	smsStatus.do         status | description
//	credit.do            212.5 (or -212.5)
//	smsList.do           id | date | text | number | cost | count |   (one row per line, maybe blank lines between)
//	responseList.do      id | date | from | text | to | smsID         (one row per line)
//
// Any of them may instead be an error "NN | text". Spacing around "|" varies.

// Endpoint names, as they appear in errors.
const (
	epSendSMS          = "sendSMS.do"
	epSendVoice        = "sendVoiceMessage.do"
	epSendBatch        = "sendSMSBatch.do"
	epCompteRendu      = "compteRendu.do"
	epSMSStatus        = "smsStatus.do"
	epCredit           = "credit.do"
	epSMSList          = "smsList.do"
	epDeleteSMS        = "deleteSMS.do"
	epResponseList     = "responseList.do"
	epCreateSubAccount = "createSubAccount.do"
	epDeleteSubAccount = "deleteSubAccount.do"
	epCreditTransfer   = "creditTransfert.do"
	epAddContact       = "addContact.do"
	epCreateAuth       = "createAuthorisation.do"
)

// maxIDLength bounds an ID taken from a response; anything longer is not an
// ID but a misread body.
const maxIDLength = 128

func protoErr(endpoint, reason, body string) *ProtocolError {
	// The client redacts the credentials and shortens this to 120 runes;
	// keeping more here means a secret is never cut before it is redacted.
	return &ProtocolError{Endpoint: endpoint, Reason: reason, Snippet: sanitize(body, 400)}
}

// atoiBounded parses 1..maxDigits ASCII digits (no sign, no spaces).
func atoiBounded(s string, maxDigits int) (int, bool) {
	if s == "" || len(s) > maxDigits {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// firstLine returns the first non-blank line of s, trimmed.
func firstLine(s string) string {
	for _, ln := range strings.Split(s, "\n") {
		if ln = strings.TrimSpace(ln); ln != "" {
			return ln
		}
	}
	return ""
}

// splitPipes splits on "|" and trims every field.
func splitPipes(s string) []string {
	f := strings.Split(s, "|")
	for i := range f {
		f[i] = strings.TrimSpace(f[i])
	}
	return f
}

// codeLine is a parsed "code | description [| id]" line.
type codeLine struct {
	code   Code
	fields []string // after the code, trimmed
}

// parseCodeLine reads a line starting with a numeric code and a pipe.
func parseCodeLine(line string) (codeLine, bool) {
	f := splitPipes(line)
	n, ok := atoiBounded(f[0], 5)
	if !ok {
		return codeLine{}, false
	}
	return codeLine{code: Code(n), fields: f[1:]}, true
}

func (l codeLine) description() string { return strings.Join(l.fields, " | ") }

// errorLine recognises an error body "NN | text": two to four digits, then a
// pipe, as the provider's own client library does (its regexp is
// `^\d{2,4} \|`; spacing is relaxed here).
func errorLine(body string) (codeLine, bool) {
	line := firstLine(body)
	i := strings.IndexByte(line, '|')
	if i < 0 {
		return codeLine{}, false
	}
	head := strings.TrimSpace(line[:i])
	if len(head) < 2 || len(head) > 4 {
		return codeLine{}, false
	}
	n, ok := atoiBounded(head, 4)
	if !ok {
		return codeLine{}, false
	}
	return codeLine{code: Code(n), fields: splitPipes(line[i+1:])}, true
}

// parseSendResponse reads the answer of sendSMS.do, sendVoiceMessage.do and
// sendSMSBatch.do: "0 | Accepté | smsID" or "NN | text".
func parseSendResponse(endpoint, body string) (*SendResult, error) {
	line := firstLine(body)
	if line == "" {
		return nil, protoErr(endpoint, "empty response", body)
	}
	l, ok := parseCodeLine(line)
	if !ok {
		return nil, protoErr(endpoint, "no return code", body)
	}
	if l.code != CodeAccepted {
		return nil, &Error{Endpoint: endpoint, Code: l.code, Description: l.description()}
	}
	if len(l.fields) < 2 {
		return nil, protoErr(endpoint, "accepted without an ID", body)
	}
	id := l.fields[len(l.fields)-1]
	if id == "" || len(id) > maxIDLength || strings.ContainsAny(id, " \t") {
		return nil, protoErr(endpoint, "accepted without a usable ID", body)
	}
	return &SendResult{
		SMSID:       id,
		Description: strings.Join(l.fields[:len(l.fields)-1], " | "),
	}, nil
}

// parseCodeResponse reads "code | description" of the other operations;
// code 0 is success.
func parseCodeResponse(endpoint, body string) (string, error) {
	line := firstLine(body)
	if line == "" {
		return "", protoErr(endpoint, "empty response", body)
	}
	l, ok := parseCodeLine(line)
	if !ok {
		return "", protoErr(endpoint, "no return code", body)
	}
	if l.code != CodeAccepted {
		return "", &Error{Endpoint: endpoint, Code: l.code, Description: l.description()}
	}
	return l.description(), nil
}

// parseCompteRendu reads "33600000000 11 | 33611111111 13". An empty body
// means no report yet.
func parseCompteRendu(body string) ([]RecipientStatus, error) {
	body = strings.TrimSpace(body)
	if body == "" {
		return []RecipientStatus{}, nil
	}
	// An error has a lone 2-4 digit code before the first pipe; an entry
	// has a number and a status separated by a space.
	if l, ok := errorLine(body); ok {
		return nil, &Error{Endpoint: epCompteRendu, Code: l.code, Description: l.description()}
	}
	entries := strings.FieldsFunc(body, func(r rune) bool { return r == '|' || r == '\n' || r == '\r' })
	out := make([]RecipientStatus, 0, len(entries))
	for _, e := range entries {
		f := strings.Fields(e)
		if len(f) == 0 {
			continue // trailing or doubled separator
		}
		if len(f) != 2 {
			return nil, protoErr(epCompteRendu, "entry is not \"number status\"", e)
		}
		num := strings.TrimPrefix(f[0], "+")
		if _, ok := atoiBounded(num, 20); !ok {
			return nil, protoErr(epCompteRendu, "bad number", e)
		}
		st, ok := atoiBounded(f[1], 5)
		if !ok {
			return nil, protoErr(epCompteRendu, "bad status", e)
		}
		out = append(out, RecipientStatus{Number: num, Status: Status(st)})
	}
	return out, nil
}

// smsStatusErrors are the smsStatus.do codes that describe the request, not
// the message (32 authentication, 35 parameters, 61 unknown smsID, 31
// internal error); every other code is a status.
func smsStatusError(c Code) bool {
	switch c {
	case CodeInternalError, CodeAuthentication, CodeInvalidParameter, CodeNotFound:
		return true
	}
	return false
}

// parseSMSStatus reads "statut | description".
func parseSMSStatus(body string) (*SMSStatusResult, error) {
	line := firstLine(body)
	if line == "" {
		return nil, protoErr(epSMSStatus, "empty response", body)
	}
	l, ok := parseCodeLine(line)
	if !ok {
		return nil, protoErr(epSMSStatus, "no status code", body)
	}
	if smsStatusError(l.code) {
		return nil, &Error{Endpoint: epSMSStatus, Code: l.code, Description: l.description()}
	}
	return &SMSStatusResult{Status: Status(l.code), Description: l.description()}, nil
}

// parseCredit reads the bare balance ("212.5", "-212.5", "212,5") or an
// error "NN | text".
func parseCredit(body string) (float64, error) {
	s := strings.TrimSpace(body)
	if s == "" {
		return 0, protoErr(epCredit, "empty response", body)
	}
	if strings.Contains(s, "|") {
		if l, ok := parseCodeLine(firstLine(s)); ok && l.code != CodeAccepted {
			return 0, &Error{Endpoint: epCredit, Code: l.code, Description: l.description()}
		}
		return 0, protoErr(epCredit, "not a number", body)
	}
	v, ok := parseDecimal(s)
	if !ok {
		return 0, protoErr(epCredit, "not a number", body)
	}
	return v, nil
}

// parseDecimal accepts [+-]digits[.digits] with "." or "," as the decimal
// mark, and spaces as thousands separators. It refuses what ParseFloat would
// also take but no balance looks like (NaN, Inf, hex, exponents).
func parseDecimal(s string) (float64, bool) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\u00a0', '\u202f', '\t':
			return -1
		}
		return r
	}, s)
	if strings.Contains(s, ",") {
		if strings.Contains(s, ".") {
			s = strings.ReplaceAll(s, ",", "") // 1,234.5
		} else {
			s = strings.Replace(s, ",", ".", 1) // 212,5
		}
	}
	digits := strings.TrimLeft(s, "+-")
	if len(s)-len(digits) > 1 || digits == "" || len(digits) > 40 {
		return 0, false
	}
	seenDot := false
	for i := 0; i < len(digits); i++ {
		switch c := digits[i]; {
		case c >= '0' && c <= '9':
		case c == '.' && !seenDot && i > 0 && i < len(digits)-1:
			seenDot = true
		default:
			return 0, false
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}

// splitRecords splits a list body into records. A record starts at a line
// for which isStart is true; other lines continue the previous record (a
// text with a newline). Blank lines between records are separators, blank
// lines inside a record belong to its text.
func splitRecords(body string, isStart func(string) bool) []string {
	var (
		recs    []string
		cur     []string
		blanks  int
		started bool
	)
	for _, ln := range strings.Split(body, "\n") {
		ln = strings.TrimSuffix(ln, "\r")
		if strings.TrimSpace(ln) == "" {
			if started {
				blanks++
			}
			continue
		}
		if !started || isStart(ln) {
			if started {
				recs = append(recs, strings.Join(cur, "\n"))
			}
			cur, blanks, started = []string{ln}, 0, true
			continue
		}
		for ; blanks > 0; blanks-- {
			cur = append(cur, "")
		}
		cur = append(cur, ln)
	}
	if started {
		recs = append(recs, strings.Join(cur, "\n"))
	}
	return recs
}

// startsWithIDAndDate reports a line "id | date | …" whose date parses.
func startsWithIDAndDate(ln string, loc *time.Location) bool {
	i := strings.IndexByte(ln, '|')
	if i < 0 || strings.TrimSpace(ln[:i]) == "" {
		return false
	}
	rest := ln[i+1:]
	j := strings.IndexByte(rest, '|')
	if j < 0 {
		return false
	}
	_, ok := parseLocalDate(rest[:j], loc, listLayouts)
	return ok
}

// listError recognises an error answer to a list endpoint: "NN | text"
// whose second field is not a date (a row's is).
func listError(endpoint, body string, loc *time.Location) error {
	l, ok := errorLine(body)
	if !ok {
		return nil
	}
	if len(l.fields) > 0 {
		if _, isDate := parseLocalDate(l.fields[0], loc, listLayouts); isDate {
			return nil
		}
	}
	return &Error{Endpoint: endpoint, Code: l.code, Description: l.description()}
}

// parseSMSList reads smsList.do rows:
// "id | date | text | number | cost | count |". The text may contain "|" and
// newlines: the fixed fields are taken from both ends of the record.
func parseSMSList(body string, loc *time.Location) ([]SentSMS, error) {
	if strings.TrimSpace(body) == "" {
		return []SentSMS{}, nil
	}
	if err := listError(epSMSList, body, loc); err != nil {
		return nil, err
	}
	recs := splitRecords(body, func(ln string) bool { return startsWithIDAndDate(ln, loc) })
	out := make([]SentSMS, 0, len(recs))
	for _, rec := range recs {
		r := strings.TrimSpace(rec)
		r = strings.TrimSuffix(r, "|") // the documented trailing pipe
		f := strings.Split(r, "|")
		n := len(f)
		if n < 6 {
			return nil, protoErr(epSMSList, "row has fewer than 6 fields", rec)
		}
		id := strings.TrimSpace(f[0])
		if id == "" || len(id) > maxIDLength {
			return nil, protoErr(epSMSList, "bad smsID", rec)
		}
		at, ok := parseLocalDate(f[1], loc, listLayouts)
		if !ok {
			return nil, protoErr(epSMSList, "bad date", rec)
		}
		count, ok := atoiBounded(strings.TrimSpace(f[n-1]), 9)
		if !ok {
			return nil, protoErr(epSMSList, "bad recipient count", rec)
		}
		costField := strings.TrimSpace(f[n-2])
		var cost float64
		if costField != "" {
			if cost, ok = parseDecimal(costField); !ok {
				return nil, protoErr(epSMSList, "bad cost", rec)
			}
		}
		out = append(out, SentSMS{
			SMSID:      id,
			SentAt:     at,
			Text:       trimField(strings.Join(f[2:n-3], "|")),
			Number:     strings.TrimSpace(f[n-3]),
			Cost:       cost,
			Recipients: count,
		})
	}
	return out, nil
}

// trimField removes the padding around a free-text field: the single space
// on each side of the separators, and surrounding line breaks.
func trimField(s string) string { return strings.TrimSpace(s) }

// parseResponses reads responseList.do rows:
// "responseID | date | from | text | to | smsID", one per line. The text may
// contain "|" and newlines.
func parseResponses(body string, loc *time.Location) ([]Response, error) {
	if strings.TrimSpace(body) == "" {
		return []Response{}, nil
	}
	if err := listError(epResponseList, body, loc); err != nil {
		return nil, err
	}
	recs := splitRecords(body, func(ln string) bool { return startsWithIDAndDate(ln, loc) })
	out := make([]Response, 0, len(recs))
	for _, rec := range recs {
		f := strings.Split(strings.TrimSpace(rec), "|")
		n := len(f)
		if n < 6 {
			return nil, protoErr(epResponseList, "row has fewer than 6 fields", rec)
		}
		id := strings.TrimSpace(f[0])
		if id == "" || len(id) > maxIDLength {
			return nil, protoErr(epResponseList, "bad responseID", rec)
		}
		at, ok := parseLocalDate(f[1], loc, listLayouts)
		if !ok {
			return nil, protoErr(epResponseList, "bad date", rec)
		}
		out = append(out, Response{
			ID:         id,
			ReceivedAt: at,
			From:       strings.TrimSpace(f[2]),
			Text:       trimField(strings.Join(f[3:n-2], "|")),
			To:         strings.TrimSpace(f[n-2]),
			SMSID:      strings.TrimSpace(f[n-1]),
		})
	}
	return out, nil
}
