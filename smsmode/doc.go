// Package smsmode is a client for sMsmode's HTTP API 1.6 (reference: "API
// HTTP" 2.7, with the facts of the later 3.x editions): sending SMS, unicode
// SMS, voice messages and CSV batches, delivery reports and statuses, the
// sent-SMS and reply lists, balance, sub-accounts, credit transfers,
// contacts, access-token creation, and the parsing of the provider's two
// callbacks.
//
// # Authentication
//
// A Config carries either an AccessToken (preferred; the only scheme of the
// 3.x editions) or the older Pseudo and Pass. Credentials travel in the POST
// body, never in a URL, because URLs end up in proxy and server logs, with
// one exception: sendSMSBatch.do, whose body is the file alone and whose
// other parameters, credentials included, go in the query string as in the
// reference's example and the provider's own client. Config, Client,
// SubAccount and Authorisation redact their secrets when printed or logged
// (fmt, log/slog), and error strings never contain them: a response snippet
// placed in an error is scrubbed first, and a transport error names the
// endpoint's URL without its query (no *url.Error, which quotes the URL, is
// ever returned).
//
// # Wire format
//
// Every endpoint is called with POST and an
// application/x-www-form-urlencoded body (the provider reads the query string
// and the body alike, and only POST lifts the 300-recipient limit), except
// sendSMSBatch.do, which is a multipart/form-data upload of the CSV in the
// part "fichier" with the other parameters in the query string. The CSV has
// the header and three columns of the reference (numero, message, emetteur),
// and a fourth, refClient, only when a row carries one.
// createAuthorisation.do lives under /http/2.0/, derived from BaseURL, and
// answers JSON.
//
// The API's charset is ISO-8859-15. A message of a class other than
// ClassUnicode must hold only characters of the GSM table of the reference;
// it is sent as ISO-8859-15 bytes (é as %E9, € as %A4). Any other character
// is refused with a *RequestError before sending, because the provider would
// silently replace it with "?". A ClassUnicode (classe_msg=9) message is sent
// as UTF-8. The other free-text parameters (refClient, groupe, contact
// fields, voice title …) follow the request's charset: ISO-8859-15, refused
// when a character has no encoding, or UTF-8 in a classe_msg=9 request. A
// message longer than nbr_msg parts (default 5, at most 5 for unicode) is
// refused too: the provider would cut it. The checks are exported as
// SMS.Validate, Voice.Validate and Batch.Validate, so that a caller can
// refuse a request at its own boundary with the client's rules.
//
// Responses are plain text "code | description [| id]" and list formats,
// read in UTF-8 or, when the Content-Type says so or the bytes are not
// UTF-8, ISO-8859-15. Dates carry no zone on the wire; the client reads and
// writes them in Config.Location, Europe/Paris by default (the tz database
// is embedded so that this holds on any host).
//
// # Errors
//
// Every failure is one of these types, and the helpers classify them for a
// retry policy (they see through wrapping):
//
//   - *Error: the provider answered a non-zero code. 50 is temporary, 31 is
//     internal (retry a few times), all others (32 authentication, 33
//     credit, 35 parameters, 41 login, 61 not found, unknown codes) are
//     permanent. 31 is also ambiguous: an internal error does not say that
//     nothing was done.
//   - *HTTPError: a non-2xx status. 5xx, 429 and 408 are temporary (with
//     RetryAfter when given), others permanent. A 5xx or an unfollowed 3xx
//     is ambiguous (a proxy in front of the provider answers 502 or 504
//     whatever the provider did); a 4xx proves a refusal.
//   - *TransportError: no complete answer (dial, TLS, timeout, reset, EOF).
//     Temporary. Ambiguous when the request had been fully written: the
//     provider may have accepted a send whose answer was lost.
//   - *ProtocolError: an answer that is not the documented format. Permanent;
//     ambiguous.
//   - *RequestError: refused before sending. Permanent, never ambiguous.
//   - *CallbackError: a malformed callback. Permanent.
//
// IsTemporary, IsInternal and IsPermanent say whether retrying is worth it;
// IsAmbiguous says whether the request may have been acted upon although no
// answer proves it (its documentation has the full table). The two are
// separate questions: a send error for which IsAmbiguous is true must not be
// retried blindly, because the message may already be on its way; find it
// among the sent messages first (SMSList, ListedText). Errors of the
// read-only endpoints are never ambiguous.
package smsmode
