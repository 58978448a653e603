package webhook

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// MaxPathTaskID is the longest task ID (in bytes) that DeliveryURL and
// ReplyURL put in the path, and that a callback path may carry. Escaped,
// it keeps the URL well under any proxy's request-line limit; a longer ID
// gets the route without task, where the receiver looks the task up.
const MaxPathTaskID = 128

// DeliveryURL returns the notification_url of a send task given this
// deployment's public base URL (WEBHOOK_PUBLIC_URL) and current secret:
//
//	https://sms.example.com/webhooks/smsmode/SECRET/delivery/TASK
//
// The task ID travels as a path segment, not as a query parameter: the
// provider appends its own query string to the URL, and the reference says
// nothing of what it does with one already there. Every byte outside
// letters, digits and "-._~" is percent-escaped, "/" included, so any ID
// is one segment. An empty taskID, one longer than MaxPathTaskID, "." or
// ".." (which proxies resolve as path steps), or one that is not UTF-8
// gives the route without task, .../SECRET/delivery.
func DeliveryURL(publicBase, secret, taskID string) string {
	return routeURL(publicBase, secret, KindDelivery, taskID)
}

// ReplyURL returns the notification_url_reponse of a send task, built like
// DeliveryURL: .../SECRET/reply/TASK.
func ReplyURL(publicBase, secret, taskID string) string {
	return routeURL(publicBase, secret, KindReply, taskID)
}

func routeURL(base, secret, kind, taskID string) string {
	u := strings.TrimRight(base, "/") + PathPrefix + url.PathEscape(secret) + "/" + kind
	if pathTaskOK(taskID) {
		u += "/" + escapeSegment(taskID)
	}
	return u
}

// pathTaskOK: the payloads are JSON, where an ID that is not UTF-8 would
// not come back as it was.
func pathTaskOK(id string) bool {
	return id != "" && len(id) <= MaxPathTaskID && id != "." && id != ".." && utf8.ValidString(id)
}

// escapeSegment percent-escapes every byte but the unreserved characters
// of RFC 3986, which no proxy or client rewrites.
func escapeSegment(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// route returns the kind of a webhook path with an accepted secret, and
// the task ID its last segment carries ("" on the routes without task).
//
// It reads the escaped path, where a "/" inside the secret or the task is
// still %2F. Everything after the kind is the task, so an ID whose %2F a
// proxy decoded on the way still arrives whole.
func (h *Handler) route(r *http.Request) (kind, task string, ok bool) {
	if r.URL == nil {
		return "", "", false
	}
	rest, found := strings.CutPrefix(r.URL.EscapedPath(), PathPrefix)
	if !found {
		return "", "", false
	}
	segs := strings.SplitN(rest, "/", 3)
	if len(segs) < 2 {
		return "", "", false
	}
	kind = segs[1]
	if kind != KindDelivery && kind != KindReply {
		return "", "", false
	}
	secret, err := url.PathUnescape(segs[0])
	if err != nil {
		return "", "", false
	}
	if len(segs) == 3 {
		if task, err = url.PathUnescape(segs[2]); err != nil || !pathTaskOK(task) {
			return "", "", false
		}
	}
	// Comparing hashes takes the same time whatever the candidate's length,
	// and every accepted secret is compared, so the time does not tell
	// which one matched.
	got := sha256.Sum256([]byte(secret))
	match := 0
	for _, want := range h.secretHashes {
		match |= subtle.ConstantTimeCompare(got[:], want[:])
	}
	return kind, task, match == 1
}
