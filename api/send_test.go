package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/tasks"
)

func TestSendEnqueuesAndAnswersWhereToFollowIt(t *testing.T) {
	b := setup(t)
	r := b.do(t, call{
		method: http.MethodPost, path: "/v1/sms", token: shopToken, contentType: "application/json; charset=utf-8", checkRequest: true,
		body: strings.NewReader(`{"to":["06 12 34 56 78","+33698765432"],"message":"Votre code : 4821","queue":"critical","ref":"otp-1"}`),
	})
	require.Equal(t, http.StatusAccepted, r.status, "%s", r.body)
	m := r.json(t)
	id := m["id"].(string)
	require.NotEmpty(t, id)
	require.Equal(t, false, m["duplicate"])
	require.Equal(t, "gsm", m["encoding"])
	require.EqualValues(t, 1, m["segments"])
	require.Equal(t, "/v1/tasks/"+id, r.header.Get("Location"))

	// The task is the one the Go API would have stored: numbers rewritten.
	var p tasks.SendPayload
	b.payload(t, tasks.QueueCritical, id, &p)
	require.Equal(t, []string{"33612345678", "33698765432"}, p.To)
	require.Equal(t, "otp-1", p.Ref)

	st := b.get(t, r.header.Get("Location"))
	require.Equal(t, http.StatusOK, st.status)
	sm := st.json(t)
	require.Equal(t, "pending", sm["state"])
	require.Equal(t, tasks.TypeSend, sm["type"])
	require.Equal(t, tasks.QueueCritical, sm["queue"])
	require.Nil(t, sm["result"])
	require.Empty(t, sm["recipients"])
}

func TestVoiceAndUnicodeAnswerTheirEncoding(t *testing.T) {
	b := setup(t)
	r := b.post(t, "/v1/voice", map[string]any{"to": []string{"0612345678"}, "message": "Votre code est le 4, 8, 2, 1.", "language": "fr-FR"})
	require.Equal(t, http.StatusAccepted, r.status, "%s", r.body)
	m := r.json(t)
	require.Equal(t, "voice", m["encoding"])
	require.EqualValues(t, 1, m["segments"])
	var p tasks.VoicePayload
	b.payload(t, tasks.QueueDefault, m["id"].(string), &p)
	require.Equal(t, []string{"33612345678"}, p.To)

	r = b.post(t, "/v1/sms", map[string]any{"to": []string{"0612345678"}, "message": strings.Repeat("☺", 71)})
	require.Equal(t, http.StatusAccepted, r.status, "%s", r.body)
	require.Equal(t, "unicode", r.json(t)["encoding"])
	require.EqualValues(t, 2, r.json(t)["segments"])
}

func TestIdempotencyKeyEnqueuesOnceAndRepeatsTheOriginal(t *testing.T) {
	b := setup(t)
	b.startWorker(t)
	body := map[string]any{"to": []string{"0612345678"}, "message": "Votre code : 4821"}
	first := b.post(t, "/v1/sms", body, "Idempotency-Key", "order-1042-otp")
	require.Equal(t, http.StatusAccepted, first.status, "%s", first.body)
	require.Equal(t, "order-1042-otp", first.json(t)["id"])
	done := b.waitState(t, "order-1042-otp", "completed")
	smsID := done["result"].(map[string]any)["sms_id"]
	require.NotEmpty(t, smsID)

	// The client did not get the answer and sends again: nothing new, and
	// the answer tells what became of the original.
	again := b.post(t, "/v1/sms", body, "Idempotency-Key", "order-1042-otp")
	require.Equal(t, http.StatusOK, again.status, "%s", again.body)
	m := again.json(t)
	require.Equal(t, "order-1042-otp", m["id"])
	require.Equal(t, true, m["duplicate"])
	require.Equal(t, "completed", m["state"])
	require.Equal(t, smsID, m["result"].(map[string]any)["sms_id"])
	require.Equal(t, "/v1/tasks/order-1042-otp", again.header.Get("Location"))
	require.Len(t, b.fake.Messages(), 1, "sent once")
	require.Equal(t, []string{"order-1042-otp"}, b.taskIDs(t))

	// Voice and batches honour the key the same way.
	v := map[string]any{"to": []string{"0612345678"}, "message": "Bonjour"}
	require.Equal(t, http.StatusAccepted, b.post(t, "/v1/voice", v, "Idempotency-Key", "call-7").status)
	require.Equal(t, http.StatusOK, b.post(t, "/v1/voice", v, "Idempotency-Key", "call-7").status)
}

func TestInvalidFieldsAreNamedAndNothingIsEnqueued(t *testing.T) {
	b := setup(t)
	for _, tc := range []struct {
		name, path, body, field string
	}{
		{"bad number", "/v1/sms", `{"to":["0612345678","12"],"message":"x"}`, "to[1]"},
		{"no recipient", "/v1/sms", `{"message":"x"}`, "to"},
		{"empty message", "/v1/sms", `{"to":["0612345678"],"message":" "}`, "message"},
		{"sender too long", "/v1/sms", `{"to":["0612345678"],"message":"x","sender":"ABCDEFGHIJKL"}`, "sender"},
		{"stop", "/v1/sms", `{"to":["0612345678"],"message":"x","stop":3}`, "stop"},
		{"unknown field", "/v1/sms", `{"to":["0612345678"],"mesage":"x"}`, "mesage"},
		{"to is not an array", "/v1/sms", `{"to":"0612345678","message":"x"}`, "to"},
		{"a number is not a string", "/v1/sms", `{"to":["0612345678",612345679],"message":"x"}`, "to[1]"},
		{"send_at not RFC 3339", "/v1/sms", `{"to":["0612345678"],"message":"x","send_at":"14/07/2026 10:30"}`, "send_at"},
		{"send_at without offset", "/v1/sms", `{"to":["0612345678"],"message":"x","send_at":"2026-07-14T10:30:00"}`, "send_at"},
		{"reply is not a boolean", "/v1/sms", `{"to":["0612345678"],"message":"x","reply":"yes"}`, "reply"},
		{"queue events", "/v1/sms", `{"to":["0612345678"],"message":"x","queue":"events"}`, "queue"},
		{"queue not served", "/v1/sms", `{"to":["0612345678"],"message":"x","queue":"urgent"}`, "queue"},
		{"voice language", "/v1/voice", `{"to":["0612345678"],"message":"x","language":"it-IT"}`, "language"},
		{"voice group", "/v1/voice", `{"group":"clients","message":"x"}`, "group"},
		{"batch row", "/v1/batches", `{"rows":[{"to":"0612345678","message":"a"},{"to":"0612345679","message":"☺"}]}`, "rows[1].message"},
		{"batch row field type", "/v1/batches", `{"rows":[{"to":"0612345678","message":"a"},{"to":"0612345679","message":"b","ref":7}]}`, "rows[1].ref"},
		{"batch row unknown field", "/v1/batches", `{"rows":[{"to":"0612345678","message":"a","emetteur":"X"}]}`, "rows[0].emetteur"},
		{"batch without rows", "/v1/batches", `{"rows":[]}`, "rows"},
		{"dry_run value", "/v1/sms?dry_run=maybe", `{"to":["0612345678"],"message":"x"}`, "dry_run"},
		{"query parameter on JSON", "/v1/sms?queue=low", `{"to":["0612345678"],"message":"x"}`, "queue"},
	} {
		r := b.postRaw(t, tc.path, tc.body)
		p := r.problem(t, http.StatusUnprocessableEntity)
		require.Equal(t, tc.field, p["field"], "%s: %s", tc.name, r.body)
		require.Contains(t, p["type"], "invalid-field", tc.name)
	}
	require.Empty(t, b.taskIDs(t))
}

func TestAnInvalidRowOfALargeBatchEnqueuesNoChunk(t *testing.T) {
	b := setup(t)
	rows := make([]map[string]string, 2500)
	for i := range rows {
		rows[i] = map[string]string{"to": "0612345678", "message": "Bonjour"}
	}
	rows[1741]["message"] = "Prix : 10 ₹"
	r := b.post(t, "/v1/batches", map[string]any{"rows": rows, "sender": "SHOP"})
	p := r.problem(t, http.StatusUnprocessableEntity)
	require.Equal(t, "rows[1741].message", p["field"])
	require.Empty(t, b.taskIDs(t))
}

func TestMalformedBodiesAre400(t *testing.T) {
	b := setup(t)
	for _, body := range []string{
		``,
		`   `,
		`{"to":["0612345678"],"message":"x"`,
		`{"to":["0612345678"],"message":"x"}{"to":[]}`,
		`{"to":["0612345678"], message:"x"}`,
		`["0612345678"]`,
		`"hello"`,
		"{\"to\":[\"0612345678\"],\"message\":\"caf\xe9\"}",
	} {
		r := b.postRaw(t, "/v1/sms", body)
		p := r.problem(t, http.StatusBadRequest)
		require.Contains(t, p["type"], "malformed", "%q", body)
		require.Nil(t, p["field"])
	}
	require.Empty(t, b.taskIDs(t))
}

func TestBodiesOverTheLimitAre413WhileReading(t *testing.T) {
	b := setup(t, func(c *apiConfig) { c.MaxBody = 4096; c.MaxBatchBody = 8192 })
	big := `{"to":["0612345678"],"message":"` + strings.Repeat("a", 5000) + `"}`
	// Declared length: refused before reading.
	r := b.postRaw(t, "/v1/sms", big)
	require.Contains(t, r.problem(t, http.StatusRequestEntityTooLarge)["detail"], "4096")
	// No declared length (chunked): refused once the limit is crossed.
	r = b.do(t, call{method: http.MethodPost, path: "/v1/sms", token: shopToken, contentType: "application/json", body: strings.NewReader(big), length: -1})
	r.problem(t, http.StatusRequestEntityTooLarge)
	// Batches have their own limit, JSON and CSV.
	rows := strings.Repeat(`{"to":"0612345678","message":"Bonjour"},`, 300)
	r = b.postRaw(t, "/v1/batches", `{"rows":[`+strings.TrimSuffix(rows, ",")+`]}`)
	r.problem(t, http.StatusRequestEntityTooLarge)
	csv := strings.Repeat("0612345678,Bonjour\n", 500)
	r = b.do(t, call{method: http.MethodPost, path: "/v1/batches", token: shopToken, contentType: "text/csv", body: strings.NewReader(csv), length: -1})
	r.problem(t, http.StatusRequestEntityTooLarge)
	// Under the limit, the same routes work.
	require.Equal(t, http.StatusAccepted, b.post(t, "/v1/sms", map[string]any{"to": []string{"0612345678"}, "message": "x"}).status)
	require.Len(t, b.taskIDs(t), 1)
}

func TestOnlyJSONAndCSVBodiesAreAccepted(t *testing.T) {
	b := setup(t)
	body := `{"to":["0612345678"],"message":"x"}`
	for _, tc := range []struct{ path, contentType string }{
		{"/v1/sms", ""},
		{"/v1/sms", "text/plain"},                        // what a cross-site form can send
		{"/v1/sms", "application/x-www-form-urlencoded"}, // likewise
		{"/v1/sms", "multipart/form-data; boundary=x"},   // likewise
		{"/v1/sms", "application/json; charset=iso-8859-1"},
		{"/v1/sms", "text/csv"},
		{"/v1/voice", "text/json"},
		{"/v1/batches", "text/plain"},
		{"/v1/batches", "text/csv; charset=utf-16"},
	} {
		r := b.do(t, call{method: http.MethodPost, path: tc.path, token: shopToken, contentType: tc.contentType, body: strings.NewReader(body)})
		p := r.problem(t, http.StatusUnsupportedMediaType)
		require.Contains(t, p["type"], "unsupported-media-type", tc.contentType)
	}
	require.Empty(t, b.taskIDs(t))
}

func TestIdempotencyKeyIsAPlainIdentifier(t *testing.T) {
	b := setup(t)
	for _, key := range []string{"a/b", "with space", strings.Repeat("k", 129), "é"} {
		r := b.post(t, "/v1/sms", map[string]any{"to": []string{"0612345678"}, "message": "x"}, "Idempotency-Key", key)
		require.Equal(t, "Idempotency-Key", r.problem(t, http.StatusUnprocessableEntity)["field"], key)
	}
	require.Empty(t, b.taskIDs(t))
}
