package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/tasks/store"
	"github.com/smsq/smsq/webhook"
)

var dlrID = regexp.MustCompile(`^dlr:[0-9a-f]{32}$`)

func TestDeliveryStoredAsTaskOnEventsQueue(t *testing.T) {
	b := setup(t)
	require.NoError(t, b.ledger.Record(context.Background(), &store.Acceptance{
		TaskID: "send-42", Type: tasks.TypeSend, SMSID: "S7EpYZ5kmS87", AcceptedAt: time.Now(),
	}))

	code, body := b.get(t, route("delivery"), deliveryQuery)
	require.Equal(t, http.StatusOK, code, body)

	ti := b.onlyEvent(t)
	require.Regexp(t, dlrID, ti.ID)
	require.Equal(t, tasks.QueueEvents, ti.Queue)
	require.Equal(t, 7, ti.MaxRetry)
	require.Equal(t, time.Hour, ti.Retention)
	p := decodeDelivery(t, ti)
	require.Equal(t, tasks.DeliveryPayload{
		SMSID:      "S7EpYZ5kmS87",
		To:         "33612345678",
		Status:     11,
		StatusText: "received",
		Final:      true,
		ReceivedAt: p.ReceivedAt, // compared below
		Ref:        "order-42",
		TaskID:     "send-42",
		MCCMNC:     "20801",
		Cost:       "1",
	}, p)
	require.True(t, p.ReceivedAt.Equal(time.Date(2026, 1, 15, 9, 52, 17, 0, paris)))
	require.Contains(t, string(ti.Payload), `"received_at":"2026-01-15T09:52:17+01:00"`)
}

func TestDeliveryNonFinalStatus(t *testing.T) {
	b := setup(t)
	code, _ := b.get(t, route("delivery"), "numero=33612345678&date_reception=2026-01-15+09:52:17&statut=13&smsID=X1")
	require.Equal(t, http.StatusOK, code)
	p := decodeDelivery(t, b.onlyEvent(t))
	require.Equal(t, 13, p.Status)
	require.Equal(t, "delivered to operator", p.StatusText)
	require.False(t, p.Final)
	require.Empty(t, p.TaskID, "unknown smsID: no task")
	require.Empty(t, p.Ref)
}

// Both callback date formats are read in Europe/Paris, with the summer offset
// in July; they designate the same instant, so the same report in either
// format is one task.
func TestDeliveryBothDateFormatsSummerOffset(t *testing.T) {
	b := setup(t)
	for _, date := range []string{"2026-07-14+10%3A30%3A00", "14072026-103000"} {
		code, body := b.get(t, route("delivery"), "numero=33612345678&statut=11&smsID=SUMMER1&date_reception="+date)
		require.Equal(t, http.StatusOK, code, body)
	}
	ti := b.onlyEvent(t)
	p := decodeDelivery(t, ti)
	require.Equal(t, time.Date(2026, 7, 14, 8, 30, 0, 0, time.UTC), p.ReceivedAt.UTC())
	require.Contains(t, string(ti.Payload), `"received_at":"2026-07-14T10:30:00+02:00"`)
}

func TestReplyStored(t *testing.T) {
	b := setup(t)
	require.NoError(t, b.ledger.Record(context.Background(), &store.Acceptance{
		TaskID: "otp-1", Type: tasks.TypeSend, SMSID: "abcd1234", AcceptedAt: time.Now(),
	}))
	code, body := b.get(t, route("reply"), replyQuery)
	require.Equal(t, http.StatusOK, code, body)

	ti := b.onlyEvent(t)
	require.Equal(t, "mo:azertyu123", ti.ID)
	require.Equal(t, tasks.QueueEvents, ti.Queue)
	p := decodeReply(t, ti)
	require.Equal(t, "abcd1234", p.SMSID)
	require.Equal(t, "33601020304", p.From)
	require.Equal(t, "36034", p.To)
	require.Equal(t, "bonjour", p.Message)
	require.Equal(t, "monclient123", p.Ref)
	require.Equal(t, "otp-1", p.TaskID)
	require.Equal(t, "azertyu123", p.ResponseID)
	require.Contains(t, string(ti.Payload), `"received_at":"2026-01-01T12:22:33+01:00"`)
}

func TestReplyBothDateFormats(t *testing.T) {
	b := setup(t)
	code, _ := b.get(t, route("reply"), "numero=36034&message=a&emetteur=33601020304&date_reception=2026-08-01+12%3A00%3A00&responseID=r1")
	require.Equal(t, http.StatusOK, code)
	code, _ = b.get(t, route("reply"), "numero=36034&message=b&emetteur=33601020304&date_reception=01082026-120000&responseID=r2")
	require.Equal(t, http.StatusOK, code)
	ts := b.events(t)
	require.Len(t, ts, 2)
	for _, ti := range ts {
		p := decodeReply(t, ti)
		require.Equal(t, time.Date(2026, 8, 1, 10, 0, 0, 0, time.UTC), p.ReceivedAt.UTC())
		require.Contains(t, string(ti.Payload), `"received_at":"2026-08-01T12:00:00+02:00"`)
	}
}

func TestReplyWithoutResponseIDIsDeduplicatedByContent(t *testing.T) {
	b := setup(t)
	q := "numero=36034&message=oui&emetteur=33601020304&date_reception=01012026-122233&smsID=abcd1234"
	for range 3 {
		code, _ := b.get(t, route("reply"), q)
		require.Equal(t, http.StatusOK, code)
	}
	ti := b.onlyEvent(t)
	require.Regexp(t, `^mo:[0-9a-f]{32}$`, ti.ID)
	// Another text at the same second is another reply.
	code, _ := b.get(t, route("reply"), strings.Replace(q, "oui", "non", 1))
	require.Equal(t, http.StatusOK, code)
	require.Len(t, b.events(t), 2)
}

func TestReplyLatin9TextIsDecoded(t *testing.T) {
	b := setup(t)
	// ISO-8859-15 bytes: é = E9, € = A4; the provider says nothing of the charset.
	code, body := b.get(t, route("reply"), "numero=36034&message=%E9t%E9+%A45&emetteur=33601020304&date_reception=01012026-122233&responseID=latin9")
	require.Equal(t, http.StatusOK, code, body)
	require.Equal(t, "été €5", decodeReply(t, b.onlyEvent(t)).Message)
}

func TestReplyUTF8TextIsKept(t *testing.T) {
	b := setup(t)
	q := url.Values{"numero": {"36034"}, "message": {"été 😀"}, "emetteur": {"33601020304"}, "date_reception": {"01012026-122233"}, "responseID": {"utf8"}}
	code, _ := b.get(t, route("reply"), q.Encode())
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "été 😀", decodeReply(t, b.onlyEvent(t)).Message)
}

// A badly escaped text ("100%") is kept rather than refused: the provider
// does not retry, so refusing would lose the reply.
func TestReplyMalformedEscapeKept(t *testing.T) {
	b := setup(t)
	code, _ := b.get(t, route("reply"), "numero=36034&message=100%+ok%zz&emetteur=33601020304&date_reception=01012026-122233&responseID=pct")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "100% ok%zz", decodeReply(t, b.onlyEvent(t)).Message)
}

func TestPostFormBodyAndQueryMerged(t *testing.T) {
	b := setup(t)
	// All in the body.
	code, body := b.postForm(t, route("delivery"), "", deliveryQuery)
	require.Equal(t, http.StatusOK, code, body)
	// Split between query and body, another report.
	code, body = b.postForm(t, route("delivery"), "numero=33612345678&smsID=S7EpYZ5kmS87", "statut=14&date_reception=2026-01-15+09%3A53%3A00")
	require.Equal(t, http.StatusOK, code, body)
	// A reply in an ISO-8859-15 form body.
	code, body = b.postForm(t, route("reply"), "", "numero=36034&message=%E7a+va&emetteur=33601020304&date_reception=01012026-122233&responseID=post1")
	require.Equal(t, http.StatusOK, code, body)

	ts := b.events(t)
	require.Len(t, ts, 3)
	var statuses []int
	for _, ti := range ts {
		if ti.Type == tasks.TypeDelivery {
			statuses = append(statuses, decodeDelivery(t, ti).Status)
		} else {
			require.Equal(t, "ça va", decodeReply(t, ti).Message)
		}
	}
	require.ElementsMatch(t, []int{11, 14}, statuses)
}

func TestPostMultipartForm(t *testing.T) {
	b := setup(t)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	vals, err := url.ParseQuery(deliveryQuery)
	require.NoError(t, err)
	for k, vs := range vals {
		require.NoError(t, mw.WriteField(k, vs[0]))
	}
	require.NoError(t, mw.Close())
	code, body := b.do(t, http.MethodPost, route("delivery"), "", mw.FormDataContentType(), &buf)
	require.Equal(t, http.StatusOK, code, body)
	require.Equal(t, "S7EpYZ5kmS87", decodeDelivery(t, b.onlyEvent(t)).SMSID)
}

func TestDuplicateCallbackIsOneTask(t *testing.T) {
	b := setup(t)
	for range 3 {
		code, body := b.get(t, route("delivery"), deliveryQuery)
		require.Equal(t, http.StatusOK, code, body)
	}
	// The same report POSTed by a proxy, with its parameters in another order.
	vals, _ := url.ParseQuery(deliveryQuery)
	code, _ := b.postForm(t, route("delivery"), "", vals.Encode())
	require.Equal(t, http.StatusOK, code)
	for range 2 {
		code, _ := b.get(t, route("reply"), replyQuery)
		require.Equal(t, http.StatusOK, code)
	}
	require.Len(t, b.events(t), 2)
	require.Contains(t, b.logs.String(), "outcome=duplicate")
}

func TestBadRequestNamesTheParameter(t *testing.T) {
	b := setup(t)
	del := func(drop, set string) string {
		v, _ := url.ParseQuery(deliveryQuery)
		v.Del(drop)
		if k, val, ok := strings.Cut(set, "="); ok {
			v.Set(k, val)
		}
		return v.Encode()
	}
	rep := func(drop, set string) string {
		v, _ := url.ParseQuery(replyQuery)
		v.Del(drop)
		if k, val, ok := strings.Cut(set, "="); ok {
			v.Set(k, val)
		}
		return v.Encode()
	}
	cases := []struct {
		kind, query, param string
	}{
		{"delivery", "", "numero"},
		{"delivery", del("numero", ""), "numero"},
		{"delivery", del("", "numero=06abc"), "numero"},
		{"delivery", del("statut", ""), "statut"},
		{"delivery", del("", "statut=eleven"), "statut"},
		{"delivery", del("smsID", ""), "smsID"},
		{"delivery", del("date_reception", ""), "date_reception"},
		{"delivery", del("", "date_reception=31/31/2026"), "date_reception"},
		{"delivery", del("", "refClient="+strings.Repeat("x", 3000)), "refClient"},
		{"reply", rep("message", ""), "message"},
		{"reply", rep("emetteur", ""), "emetteur"},
		{"reply", rep("", "emetteur=Jean"), "emetteur"},
		{"reply", rep("numero", ""), "numero"},
		{"reply", rep("", "date_reception=yesterday"), "date_reception"},
	}
	for _, c := range cases {
		code, body := b.get(t, route(c.kind), c.query)
		require.Equal(t, http.StatusBadRequest, code, "%s %s", c.kind, c.query)
		require.Contains(t, body, `"`+c.param+`"`, "%s %s", c.kind, c.query)
		require.Less(t, len(body), 200)
	}
	require.Empty(t, b.events(t))
}

func TestWrongSecretAndUnknownPathsAre404(t *testing.T) {
	b := setup(t)
	_, notFound := b.get(t, "/webhooks/smsmode/", "")
	for _, p := range []string{
		"/webhooks/smsmode/wrong/delivery",
		"/webhooks/smsmode/" + secret + "x/delivery",
		"/webhooks/smsmode/" + secret[:len(secret)-1] + "/reply",
		"/webhooks/smsmode//delivery",
		"/webhooks/smsmode/delivery",
		"/webhooks/smsmode/" + secret + "/delivery/",
		"/webhooks/smsmode/" + secret + "/status",
		"/webhooks/smsmode/" + secret,
		"/webhooks/SMSMODE/" + secret + "/delivery",
		"/other",
	} {
		code, body := b.get(t, p, deliveryQuery)
		require.Equal(t, http.StatusNotFound, code, p)
		require.Equal(t, notFound, body, "no hint: %s", p)
		code, _ = b.postForm(t, p, "", deliveryQuery)
		require.Equal(t, http.StatusNotFound, code, p)
		code, _ = b.do(t, http.MethodPut, p, deliveryQuery, "", nil)
		require.Equal(t, http.StatusNotFound, code, "wrong secret comes before the method: %s", p)
	}
	require.Empty(t, b.events(t))
}

func TestOtherMethods405(t *testing.T) {
	b := setup(t)
	for _, m := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodHead, http.MethodOptions} {
		req, err := http.NewRequest(m, b.url(route("delivery"), deliveryQuery), nil)
		require.NoError(t, err)
		resp, err := b.srv.Client().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode, m)
		require.Equal(t, "GET, POST", resp.Header.Get("Allow"), m)
	}
	require.Empty(t, b.events(t))
}

func TestTooLarge413(t *testing.T) {
	b := setup(t, func(c *webhook.Config) { c.MaxBody = 1024 })
	big := deliveryQuery + "&pad=" + strings.Repeat("x", 2000)
	code, _ := b.postForm(t, route("delivery"), "", big)
	require.Equal(t, http.StatusRequestEntityTooLarge, code)
	// Without Content-Length (chunked).
	code, _ = b.do(t, http.MethodPost, route("delivery"), "", "application/x-www-form-urlencoded", struct{ *strings.Reader }{strings.NewReader(big)})
	require.Equal(t, http.StatusRequestEntityTooLarge, code)
	code, _ = b.get(t, route("delivery"), big)
	require.Equal(t, http.StatusRequestEntityTooLarge, code)
	require.Empty(t, b.events(t))
	// Just under the limit is fine.
	code, _ = b.postForm(t, route("delivery"), "", deliveryQuery)
	require.Equal(t, http.StatusOK, code)
}

func TestDefaultMaxBodyIs16KiB(t *testing.T) {
	b := setup(t)
	code, _ := b.postForm(t, route("delivery"), "", deliveryQuery+"&pad="+strings.Repeat("x", 16<<10))
	require.Equal(t, http.StatusRequestEntityTooLarge, code)
	code, _ = b.postForm(t, route("delivery"), "", deliveryQuery+"&pad="+strings.Repeat("x", 15<<10))
	require.Equal(t, http.StatusOK, code)
}

func TestRedisDown503ThenRecovers(t *testing.T) {
	b := setup(t, func(c *webhook.Config) { c.EnqueueTimeout = time.Second })
	b.redis.Stop()
	code, body := b.get(t, route("delivery"), deliveryQuery)
	require.Equal(t, http.StatusServiceUnavailable, code, body)
	code, _ = b.get(t, route("reply"), replyQuery)
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Contains(t, b.logs.String(), "outcome=unavailable")

	b.redis.Restart() // same handler, same client
	code, body = b.get(t, route("delivery"), deliveryQuery)
	require.Equal(t, http.StatusOK, code, body)
	require.Equal(t, "S7EpYZ5kmS87", decodeDelivery(t, b.onlyEvent(t)).SMSID)
}

func TestLedgerFailureDoesNotLoseTheCallback(t *testing.T) {
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	t.Cleanup(func() { dead.Close() })
	b := setup(t, func(c *webhook.Config) { c.Ledger, _ = store.NewLedger(dead, store.DefaultLedgerTTL) })
	code, body := b.get(t, route("delivery"), deliveryQuery)
	require.Equal(t, http.StatusOK, code, body)
	require.Empty(t, decodeDelivery(t, b.onlyEvent(t)).TaskID)
	require.Contains(t, b.logs.String(), "ledger_error=")
}

func TestNoLedger(t *testing.T) {
	b := setup(t, func(c *webhook.Config) { c.Ledger = nil })
	code, _ := b.get(t, route("reply"), replyQuery)
	require.Equal(t, http.StatusOK, code)
	require.Empty(t, decodeReply(t, b.onlyEvent(t)).TaskID)
}

// Every kind of request leaves one log line, and none shows the secret or
// a reply's text.
func TestSecretAndReplyTextNeverLogged(t *testing.T) {
	b := setup(t, func(c *webhook.Config) { c.MaxBody = 4096; c.EnqueueTimeout = time.Second })
	b.get(t, route("delivery"), deliveryQuery)
	b.get(t, route("delivery"), deliveryQuery)
	b.get(t, route("reply"), replyQuery)
	b.get(t, route("reply"), "numero=36034&message=MotDePasseSecret&emetteur=bad&date_reception=01012026-122233")
	b.get(t, route("delivery"), strings.Replace(deliveryQuery, "statut=11", "statut=x", 1))
	b.do(t, http.MethodPut, route("reply"), "", "", nil)
	b.postForm(t, route("delivery"), "", strings.Repeat("a", 5000))
	b.get(t, route("delivery")+"/", "")
	b.get(t, "/webhooks//smsmode/"+secret+"/delivery", "")
	b.redis.Stop()
	b.get(t, route("delivery"), strings.Replace(deliveryQuery, "statut=11", "statut=14", 1))
	b.redis.Restart()

	logs := b.logs.String()
	require.Equal(t, 10, strings.Count(logs, "msg=\"webhook callback\""), logs)
	require.NotContains(t, logs, secret)
	require.NotContains(t, logs, secret[:8])
	require.NotContains(t, logs, "bonjour")
	require.NotContains(t, logs, "MotDePasseSecret")
	require.Contains(t, logs, "route=/webhooks/smsmode/REDACTED/delivery")
	require.Contains(t, logs, "route=/webhooks/smsmode/REDACTED/reply")
	for _, want := range []string{"outcome=stored", "outcome=duplicate", "outcome=invalid", "outcome=method_not_allowed", "outcome=too_large", "outcome=not_found", "outcome=unavailable", "status=200", "latency=", "task_id=dlr:", "kind=delivery", "kind=reply", "param=statut"} {
		require.Contains(t, logs, want)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"/webhooks/smsmode/" + secret + "/delivery":         "/webhooks/smsmode/REDACTED/delivery",
		"/webhooks/smsmode/" + secret + "/reply":            "/webhooks/smsmode/REDACTED/reply",
		"/webhooks/smsmode/" + secret + "/delivery/send-42": "/webhooks/smsmode/REDACTED/delivery/send-42",
		"/webhooks/smsmode/" + secret + "/reply/a%2Fb%3Fc":  "/webhooks/smsmode/REDACTED/reply/a%2Fb%3Fc",
		"/webhooks/smsmode/" + secret + "/delivery/a/b":     "/webhooks/smsmode/REDACTED/delivery/a/b",
		"/webhooks/smsmode/" + secret + "/delivery/x?n=1":   "/webhooks/smsmode/REDACTED/delivery/x",
		"/webhooks/smsmode/" + secret + "/reply?numero=1":   "/webhooks/smsmode/REDACTED/reply",
		"/webhooks/smsmode/" + secret:                       "/webhooks/smsmode/REDACTED",
		"/webhooks/smsmode/" + secret + "/":                 "/webhooks/smsmode/REDACTED",
		"/webhooks/smsmode/" + secret + "/status/x":         "/webhooks/smsmode/REDACTED",
		"/webhooks/smsmode/a/" + secret + "/delivery":       "/webhooks/smsmode/REDACTED/delivery",
		"/webhooks/smsmode/a/" + secret + "/delivery/t":     "/webhooks/smsmode/REDACTED/delivery/t",
		"/webhooks/smsmode/delivery":                        "/webhooks/smsmode/REDACTED",
		"/webhooks/smsmode/delivery/" + secret:              "/webhooks/smsmode/REDACTED",
		"//webhooks//smsmode/" + secret + "/delivery":       "//webhooks//smsmode/REDACTED/delivery",
		"/Webhooks/SMSMODE/" + secret + "/delivery":         "/Webhooks/SMSMODE/REDACTED/delivery",
		"/x/webhooks/smsmode/" + secret + "/reply":          "/x/webhooks/smsmode/REDACTED/reply",
		"/webhooks/smsmode/" + secret + "%2Fdelivery/t":     "/webhooks/smsmode/REDACTED",
		"/webhooks/smsmode/":                                "/webhooks/smsmode/",
		"/webhooks/smsmode":                                 "/webhooks/smsmode",
		"/webhooks/other/" + secret:                         "/webhooks/other/" + secret,
		"/healthz":                                          "/healthz",
		"/monitoring/api/queues":                            "/monitoring/api/queues",
		"":                                                  "",
	} {
		require.Equal(t, want, webhook.Redact(in), in)
	}
}

func TestRouteURLs(t *testing.T) {
	long := strings.Repeat("x", webhook.MaxPathTaskID)
	for _, c := range []struct{ got, want string }{
		{webhook.DeliveryURL("https://sms.example.com/", "abc", ""), "https://sms.example.com/webhooks/smsmode/abc/delivery"},
		{webhook.ReplyURL("https://sms.example.com/base", "a/b", ""), "https://sms.example.com/base/webhooks/smsmode/a%2Fb/reply"},
		{webhook.DeliveryURL("https://sms.example.com", "abc", "send-42"), "https://sms.example.com/webhooks/smsmode/abc/delivery/send-42"},
		{webhook.ReplyURL("https://sms.example.com", "abc", "0b7d2c1e-9f3a-4c5e-8d6b-1a2b3c4d5e6f"), "https://sms.example.com/webhooks/smsmode/abc/reply/0b7d2c1e-9f3a-4c5e-8d6b-1a2b3c4d5e6f"},
		// Everything but unreserved characters is escaped: / ? # % & + = space, UTF-8, controls.
		{webhook.DeliveryURL("https://h", "abc", "a/b?c#d%e&f+g=h i"), "https://h/webhooks/smsmode/abc/delivery/a%2Fb%3Fc%23d%25e%26f%2Bg%3Dh%20i"},
		{webhook.DeliveryURL("https://h", "abc", "été\x00\x1b[2J"), "https://h/webhooks/smsmode/abc/delivery/%C3%A9t%C3%A9%00%1B%5B2J"},
		{webhook.DeliveryURL("https://h", "abc", "..."), "https://h/webhooks/smsmode/abc/delivery/..."},
		{webhook.DeliveryURL("https://h", "abc", long), "https://h/webhooks/smsmode/abc/delivery/" + long},
		// Not in a path: the route without task.
		{webhook.DeliveryURL("https://h", "abc", long+"x"), "https://h/webhooks/smsmode/abc/delivery"},
		{webhook.DeliveryURL("https://h", "abc", "."), "https://h/webhooks/smsmode/abc/delivery"},
		{webhook.ReplyURL("https://h", "abc", ".."), "https://h/webhooks/smsmode/abc/reply"},
		{webhook.ReplyURL("https://h", "abc", "\xff"), "https://h/webhooks/smsmode/abc/reply"},
	} {
		require.Equal(t, c.want, c.got)
	}
}

// A secret with characters that need escaping still routes.
func TestSecretWithReservedCharacters(t *testing.T) {
	odd := "a/b c?d#é"
	b := setup(t, func(c *webhook.Config) { c.Secrets = []string{odd} })
	u := webhook.DeliveryURL(b.srv.URL, odd, "") + "?" + deliveryQuery
	resp, err := http.Get(u)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NotContains(t, b.logs.String(), "c?d")
}

func TestNewRefusesMissingConfig(t *testing.T) {
	t.Parallel()
	for _, c := range []webhook.Config{
		{Enqueuer: &memEnqueuer{}, Location: paris},
		{Secrets: []string{"x"}, Location: paris},
		{Secrets: []string{"x"}, Enqueuer: &memEnqueuer{}},
	} {
		_, err := webhook.New(c)
		require.Error(t, err)
	}
}

func TestPayloadJSONFieldNames(t *testing.T) {
	b := setup(t)
	b.get(t, route("delivery"), deliveryQuery)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b.onlyEvent(t).Payload, &m))
	for _, k := range []string{"sms_id", "to", "status", "status_text", "final", "received_at", "ref", "mcc_mnc", "cost"} {
		require.Contains(t, m, k)
	}
}

// During a rotation both secrets are accepted; any other is not.
func TestSecretRotation(t *testing.T) {
	const old = "old-secret-9f8e7d6c5b4a"
	b := setup(t, func(c *webhook.Config) { c.Secrets = []string{secret, old} })
	for _, s := range []string{secret, old} {
		status, _ := b.get(t, "/webhooks/smsmode/"+s+"/delivery", deliveryQuery)
		require.Equal(t, http.StatusOK, status, s)
	}
	status, _ := b.get(t, "/webhooks/smsmode/"+old+"x/delivery", deliveryQuery)
	require.Equal(t, http.StatusNotFound, status)
	require.NotContains(t, b.logs.String(), old)
}
