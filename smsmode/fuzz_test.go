package smsmode

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// The fuzz targets feed raw bytes through the same path as a live answer
// (decodeBody, then the parser) and check that nothing panics, that every
// failure is one of the package's error types, and that a success carries
// what callers rely on. Seeds live in testdata/fuzz/<FuzzName>/ besides the
// f.Add calls.

func assertParseError(t *testing.T, err error) {
	t.Helper()
	var pe *Error
	var pre *ProtocolError
	if !errors.As(err, &pe) && !errors.As(err, &pre) {
		t.Fatalf("unexpected error type %T: %v", err, err)
	}
	if !utf8.ValidString(err.Error()) {
		t.Fatalf("error text is not UTF-8: %q", err.Error())
	}
}

func FuzzParseSendResponse(f *testing.F) {
	for _, s := range []string{
		"0 | Accepté | S7EpYZ5kmS87", "0|Accepted|abc", "33 | Cr\xe9dits insuffisants", "50 |", "0 | Accepté",
		"", "0", " 0 | a | b | c ", "<html>", "99999 | x", "0 | \xff | \xfe",
	} {
		f.Add([]byte(s), "text/plain")
	}
	f.Fuzz(func(t *testing.T, raw []byte, ctype string) {
		body := decodeBody(ctype, raw)
		if !utf8.ValidString(body) {
			t.Fatalf("decoded body is not UTF-8")
		}
		res, err := parseSendResponse(epSendSMS, body)
		if err != nil {
			assertParseError(t, err)
			return
		}
		if res.SMSID == "" || strings.ContainsAny(res.SMSID, " \t|") || len(res.SMSID) > maxIDLength {
			t.Fatalf("bad smsID %q from %q", res.SMSID, body)
		}
		// The other simple parsers share the input.
		if _, err := parseCodeResponse(epDeleteSMS, body); err != nil {
			assertParseError(t, err)
		}
	})
}

func FuzzParseCompteRendu(f *testing.F) {
	for _, s := range []string{
		"33600000000 11 | 33611111111 13", "61 | SMS non trouvé", "", "33600000000 11|", "+336 0\n337 3501",
		"0 | x", "| | |", "33600000000", "1234 | y",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		rs, err := parseCompteRendu(decodeBody("", raw))
		if err != nil {
			assertParseError(t, err)
			return
		}
		for _, r := range rs {
			if _, ok := atoiBounded(r.Number, 20); !ok {
				t.Fatalf("bad number %q", r.Number)
			}
			if r.Status < 0 {
				t.Fatalf("negative status %d", r.Status)
			}
		}
	})
}

func FuzzParseSMSList(f *testing.F) {
	for _, s := range []string{
		"smsID1 | 23/01/2019 18:00 | text1 | 33600000001 | 1 | 1 |\n\nsmsID2 | 23/01/2019 18:05 | a | b | 336 | 2,5 | 2 |",
		"a | 24012019-09:30 | multi\nligne | 336 | 1 | 3 |",
		"32 | Erreur d'authentification", "", "\n\n\n", "x | 01/02/2020 10:00 |", "42 | 01/02/2020 10:00 | t | 336 | 1 | 1 |",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		rows, err := parseSMSList(decodeBody("", raw), paris)
		if err != nil {
			assertParseError(t, err)
			return
		}
		for _, r := range rows {
			if r.SMSID == "" || r.SentAt.IsZero() || r.Recipients < 0 {
				t.Fatalf("bad row %+v", r)
			}
		}
	})
}

func FuzzParseResponses(f *testing.F) {
	for _, s := range []string{
		"responseID1 | 23012019-18:00 | 33600000001 | text1 | to1 | messageID1\nr2|23012019-18:01|336|a|b|36034|m2",
		"r | 23/01/2019 18:02 | 336 | deux\n\nlignes | 36034 | ", "35 | Paramètre(s) incorrect(s)", "", "r | 23012019-18:00",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		rows, err := parseResponses(decodeBody("", raw), paris)
		if err != nil {
			assertParseError(t, err)
			return
		}
		for _, r := range rows {
			if r.ID == "" || r.ReceivedAt.IsZero() {
				t.Fatalf("bad row %+v", r)
			}
		}
	})
}

func FuzzParseCredit(f *testing.F) {
	for _, s := range []string{"212.5", "-212.5", "212,5", "32 | x", "NaN", "1 234,5", "", "+-1", "1.", "0x1p3"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		body := decodeBody("", raw)
		if _, err := parseCredit(body); err != nil {
			assertParseError(t, err)
		}
		if res, err := parseSMSStatus(body); err != nil {
			assertParseError(t, err)
		} else if res.Status < 0 {
			t.Fatalf("negative status")
		}
		if _, err := parseAuthorisation(body); err != nil {
			assertParseError(t, err)
		}
	})
}

func FuzzParseDeliveryReport(f *testing.F) {
	for _, s := range []string{
		"numero=33612345678&date_reception=2010-03-25+09%3A52%3A17&statut=11&smsID=S7EpYZ5kmS87&refClient=12azer34&mcc_mnc=20801&cost=1",
		"numero=%2B33612345678&date_reception=25072024-183000&statut=3501&smsID=abc",
		"numero=33612345678&date_reception=2024-07-25T18:30:00Z&statut=11&smsID=a",
		"numero=&statut=x", "", "%zz", "numero=1&numero=2&date_reception=2010-03-25+09:52:17&statut=99999999&smsID=%FF",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		v, _ := url.ParseQuery(q) // keeps what parsed; callers do the same
		dr, err := ParseDeliveryReport(v, nil)
		if err != nil {
			var ce *CallbackError
			if !errors.As(err, &ce) || ce.Field == "" {
				t.Fatalf("unexpected error %T %v", err, err)
			}
			return
		}
		if dr.Number == "" || dr.SMSID == "" || dr.ReceivedAt.IsZero() || dr.Status < 0 {
			t.Fatalf("incomplete report %+v", dr)
		}
		if _, ok := atoiBounded(dr.Number, 20); !ok {
			t.Fatalf("bad number %q", dr.Number)
		}
		for _, s := range []string{dr.SMSID, dr.RefClient, dr.MCCMNC, dr.Cost} {
			if !utf8.ValidString(s) {
				t.Fatalf("not UTF-8: %q", s)
			}
		}
	})
}

func FuzzParseReply(f *testing.F) {
	for _, s := range []string{
		"numero=36034&message=bonjour&emetteur=33601020304&date_reception=01012013-122233&smsID=abcd1234&refClient=monclient123&responseID=azertyu123",
		"numero=36034&message=Tr%E8s+bien&emetteur=%2B33601020304&date_reception=2013-01-01+12%3A22%3A33",
		"numero=36034&message=&emetteur=33601020304&date_reception=01012013-122233",
		"numero=36034&emetteur=1&date_reception=01012013-122233", "", ";;;", "message=%F0%9F",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		v, _ := url.ParseQuery(q)
		r, err := ParseReply(v, nil)
		if err != nil {
			var ce *CallbackError
			if !errors.As(err, &ce) || ce.Field == "" {
				t.Fatalf("unexpected error %T %v", err, err)
			}
			return
		}
		if r.To == "" || r.From == "" || r.ReceivedAt.IsZero() {
			t.Fatalf("incomplete reply %+v", r)
		}
		if _, ok := v["message"]; !ok {
			t.Fatalf("accepted without message")
		}
		if !utf8.ValidString(r.Message) {
			t.Fatalf("message not UTF-8: %q", r.Message)
		}
	})
}

func FuzzLatin9RoundTrip(f *testing.F) {
	for _, s := range []string{"Café 10€", "Œuvre", "☺", "\xff", "", "ascii"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		enc, _, _, ok := encodeLatin9(s)
		if !ok {
			return
		}
		if got := decodeLatin9([]byte(enc)); got != s {
			// Only C1 controls (U+0080-U+009F) do not round-trip: they are
			// read back as Windows-1252.
			for _, r := range s {
				if r >= 0x80 && r < 0xA0 {
					return
				}
			}
			t.Fatalf("round trip %q -> %q", s, got)
		}
	})
}
