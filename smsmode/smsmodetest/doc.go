// Package smsmodetest provides an in-process fake of the sMsmode HTTP API
// 1.6, in the spirit of net/http/httptest: a real HTTP server on a loopback
// port that speaks the provider's wire format, keeps the account's state,
// calls notification URLs back, and fails on demand.
//
//	srv := smsmodetest.NewServer()
//	defer srv.Close()
//	client := srv.Client() // or any HTTP client on srv.URL
//	// … exercise the code under test …
//	msgs := srv.Messages() // what the provider accepted
//
// # Fidelity
//
// The reference is the provider's "API HTTP" 2.7 (French), completed by its
// later editions. The fake serves every endpoint under /http/1.6/
// (sendSMS.do, sendVoiceMessage.do, sendSMSBatch.do, compteRendu.do,
// credit.do, smsStatus.do, smsList.do, deleteSMS.do, responseList.do,
// createSubAccount.do, deleteSubAccount.do, creditTransfert.do,
// addContact.do) and createAuthorisation.do under /http/2.0/. Like the
// provider it
//
//   - accepts GET and POST, reading parameters from the query string and
//     from an url-encoded or multipart body alike;
//   - authenticates with accessToken, or pseudo and pass (username and pass
//     on createAuthorisation.do): AccessToken, Pseudo and Pass work out of
//     the box;
//   - answers "code | description[ | id]" with the reference's French
//     wording, ISO-8859-15 encoded, with HTTP 200 even for errors; so
//     smsList.do shows a unicode message with "?" for every character
//     ISO-8859-15 lacks ("celui ci sera remplacé par ?");
//   - answers credit.do with a decimal number, as the reference's example
//     212.5: 1000.0, -3.0;
//   - reads non-unicode messages as ISO-8859-15 and shows "?" for characters
//     outside the reference's table, unicode ones (classe_msg=9) as UTF-8;
//   - counts segments with its own reading of the reference's character
//     table and part sizes (a double-count character is never split between
//     two parts), appends the STOP mention ("STOP 36034" for French numbers,
//     "no-sms.eu" for the others), cuts text beyond nbr_msg, bills each
//     recipient's segments and refuses a send the balance cannot pay (code
//     33). It does not use the client's smsmode/text, so that a misreading
//     in one shows up against the other (a cross-check test compares them);
//   - reads groupe, like the message, in the request's charset;
//   - answers compteRendu.do and smsStatus.do only for messages sent in the
//     last 30 days (61 otherwise, with each endpoint's wording);
//   - shows, in smsStatus.do, 11 (Reçu) and 13 (Délivré) only "si
//     compte-rendu a été sélectionné", that is for a message sent with a
//     notification_url, and "0 | Envoyé" otherwise (the annex's 12, 14 and
//     15 likewise);
//   - gives voice messages the voice status of the annex, 16 (Ecouté): the
//     automatic reports make them listened where an SMS is received, and
//     Deliver refuses the SMS delivery states (11 to 15) for them;
//   - holds messages sent with a future date_envoi (status 10) until that
//     date, and refunds them when deleted before;
//   - calls notification_url and notification_url_reponse with HTTP GET, the
//     reference's parameter names and date formats, in the server's location
//     (Europe/Paris unless WithLocation says otherwise).
//
// Where the reference is silent the fake makes these choices, so that
// tests are deterministic and client bugs show up:
//
//   - Recipients are digits only, French national (0612345678) or
//     international (8 to 15 digits); "+", "00" or spaces are refused with
//     code 35, duplicates are merged.
//   - Credentials missing altogether get code 32, like wrong ones.
//   - emetteur must be printable ASCII of the character table without
//     spaces, hold a letter (digits and punctuation alone are a number) and
//     take at most 11 GSM septets ({ } [ ] \ ^ ~ | take two).
//   - nbr_msg must be a positive integer; unicode messages are cut at 5
//     segments whatever it says; the cut leaves room for the STOP mention.
//   - A voice message costs one credit per recipient and gets no callbacks
//     (the reference offers no notification_url for it); its text and the other
//     free-text parameters (refClient, title, contact fields) are read as
//     UTF-8 when valid, ISO-8859-15 otherwise.
//   - A batch is accepted or refused whole. Its rows are messages of their
//     own (each with an smsID) sharing the returned campagneID, which
//     compteRendu.do, smsStatus.do and deleteSMS.do also accept and which
//     callbacks carry as smsID.
//   - smsStatus.do sums up several recipients as their common status, else
//     15 (some received), 12 (some delivered) or 0. It shows the reception
//     error as 39, its table's code (35 is a parameter error there).
//   - smsList.do rows use the format observed on the real API: dd/MM/yyyy
//     HH:mm dates and a blank line between rows; offset above 10000 is
//     refused (35). A message to several numbers shows the first one.
//   - responseList.do's startDate and endDate are inclusive to the minute.
//   - Sub-accounts cannot log in; creditTransfert.do moves whole credits to
//     them. deleteSubAccount.do answers "Suppression effectuée" and, for an
//     unknown login, 41 "Identifiant inexistant" (the reference copies
//     createSubAccount's table there).
//   - createAuthorisation.do returns a new 12-character token valid at once;
//     its dates are ddMMyyyy; an error is a JSON object {"code", "message"}
//     with HTTP 401 (bad credentials), 400, 500 or 503.
//   - Delivery callbacks carry mcc_mnc=20801 for French numbers only, and
//     cost as the message's segments per recipient.
//   - Replies come from ShortCode and are only possible to classe_msg=4
//     messages, from one of their recipients.
//
// # Faults
//
// FailNext, FailHTTP, DropNext, DropAfterAccept, AcceptThenFail and
// AcceptThenFailHTTP script the next requests of an endpoint ("" for any).
// They share one queue: a request consumes the first fault, in the order
// they were added, that matches its endpoint, so
//
//	srv.FailNext("sendSMS.do", smsmode.CodeTemporarilyUnavailable, 2)
//	srv.DropNext("sendSMS.do", 1)
//
// answers two code 50s, drops one connection, then behaves normally. A
// negative count keeps a fault until ClearFaults. Faults take effect after
// the latency (SetLatency) and before anything else, authentication
// included, except DropAfterAccept, AcceptThenFail and AcceptThenFailHTTP,
// which process the request (a send is accepted and charged) and then close
// the connection unanswered, answer a code (31: the provider's internal
// error after it took the message) or an HTTP status (a proxy's 502 or
// 504): the ambiguous sends a client must not retry blindly. FailNumber
// refuses every send to a number.
//
// # Control API
//
// WithControlAPI serves a small JSON API under /_fake/ (ControlPrefix) that
// does over HTTP what the methods do in Go: list the accepted messages,
// produce a reply or a delivery report, script faults, set the balance,
// Reset. The smsmode-fake command enables it, for tests written in other
// languages.
//
// # Inspection and memory
//
// Messages, Message, Campaign, Requests, Callbacks, Contacts, SubAccounts,
// Group and Credit return copies and are safe to call while requests are
// served. Requests and Callbacks keep the last DefaultRequestLimit entries
// (WithRequestLimit, WithoutRecording), about half a kilobyte each for a
// send. Accepted messages, about one kilobyte each, are state: they are kept
// for the server's lifetime unless WithMessageLimit says otherwise.
package smsmodetest
