package webhook

import "strings"

// Redact returns path with the secret segment of a webhook route replaced by
// REDACTED, e.g. "/webhooks/smsmode/REDACTED/delivery"; other paths are
// returned unchanged. It is meant for access logs: it tolerates empty
// segments and letter case ("//Webhooks/smsmode/s3cr3t/reply" is redacted
// too), drops the query string of a webhook path when one is passed along,
// and redacts every segment after "smsmode" except a final "delivery" or
// "reply".
func Redact(path string) string {
	segs := strings.Split(path, "/")
	for i := 0; i < len(segs); i++ {
		if !strings.EqualFold(segs[i], "webhooks") {
			continue
		}
		j := i + 1
		for j < len(segs) && segs[j] == "" {
			j++
		}
		if j >= len(segs) || !strings.EqualFold(strings.SplitN(segs[j], "?", 2)[0], "smsmode") {
			continue
		}
		if j+1 >= len(segs) {
			return path
		}
		tail := strings.SplitN(strings.Join(segs[j+1:], "/"), "?", 2)[0]
		rest := strings.Split(tail, "/")
		kind := ""
		if n := len(rest); n >= 2 {
			if k := rest[n-1]; k == KindDelivery || k == KindReply {
				kind = "/" + k
			}
		}
		out := strings.Join(segs[:j+1], "/")
		if strings.Trim(tail, "/") == "" {
			return out + "/" + tail // nothing to hide
		}
		return out + "/REDACTED" + kind
	}
	return path
}
