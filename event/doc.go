// Package event is what an application receiving smsq's events needs, and
// nothing more: it imports only the standard library.
//
// When EVENTS_FORWARD_URL is set, smsq's workers POST every delivery report
// and reply to the application as JSON:
//
//	POST /your/endpoint
//	Content-Type: application/json
//	Smsq-Timestamp: 1767225600
//	Smsq-Signature: v1=5257a869e7ecebeda32af…
//
//	{"type":"sms:delivery","id":"dlr:…","data":{…Delivery…}}
//
// Verify the signature over the raw body before trusting it, decode the
// Envelope, then its Data as a Delivery or a Reply according to Type, and
// deduplicate on ID: a failed POST is retried, so an event can arrive twice.
package event
