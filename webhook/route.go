package webhook

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/url"
	"strings"
)

// DeliveryURL returns the notification_url of this deployment given its
// public base URL (WEBHOOK_PUBLIC_URL), e.g.
// https://sms.example.com/webhooks/smsmode/SECRET/delivery.
func DeliveryURL(publicBase, secret string) string { return routeURL(publicBase, secret, KindDelivery) }

// ReplyURL returns the notification_url_reponse of this deployment given its
// public base URL (WEBHOOK_PUBLIC_URL).
func ReplyURL(publicBase, secret string) string { return routeURL(publicBase, secret, KindReply) }

func routeURL(base, secret, kind string) string {
	return strings.TrimRight(base, "/") + PathPrefix + url.PathEscape(secret) + "/" + kind
}

// route returns the kind of a webhook path with the right secret.
func (h *Handler) route(p string) (kind string, ok bool) {
	rest, found := strings.CutPrefix(p, PathPrefix)
	if !found {
		return "", false
	}
	i := strings.LastIndexByte(rest, '/')
	if i < 0 {
		return "", false
	}
	secret, kind := rest[:i], rest[i+1:]
	if kind != KindDelivery && kind != KindReply {
		return "", false
	}
	// Comparing hashes takes the same time whatever the candidate's length,
	// and every accepted secret is compared, so the time does not tell
	// which one matched.
	got := sha256.Sum256([]byte(secret))
	match := 0
	for _, want := range h.secretHashes {
		match |= subtle.ConstantTimeCompare(got[:], want[:])
	}
	return kind, match == 1
}
