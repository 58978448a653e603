package webhook

import "strings"

// Redact returns path with the secret segment of a webhook route replaced by
// REDACTED, e.g. "/webhooks/smsmode/REDACTED/delivery/send-42"; other paths
// are returned unchanged. The task segment after "delivery" or "reply" is
// kept: it names the send task, not a credential. Redact is meant for
// access logs: it tolerates empty segments and letter case
// ("//Webhooks/smsmode/s3cr3t/reply" is redacted too), drops the query
// string of a webhook path when one is passed along, and redacts every
// segment between "smsmode" and the first "delivery" or "reply" that
// follows at least one of them (all of them when there is none).
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
		out := strings.Join(segs[:j+1], "/")
		if strings.Trim(tail, "/") == "" {
			return out + "/" + tail // nothing to hide
		}
		rest := strings.Split(tail, "/")
		for k := 1; k < len(rest); k++ {
			if rest[k] == KindDelivery || rest[k] == KindReply {
				return out + "/REDACTED/" + strings.Join(rest[k:], "/")
			}
		}
		return out + "/REDACTED"
	}
	return path
}
