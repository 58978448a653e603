package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/tasks"
)

func TestBatchIsChunkedAsTheGoAPIChunksIt(t *testing.T) {
	b := setup(t)
	rows := make([]map[string]string, 2500)
	for i := range rows {
		rows[i] = map[string]string{"to": fmt.Sprintf("06%08d", 12_000_000+i), "message": "Bonjour, votre commande est prête."}
	}
	body := map[string]any{"rows": rows, "sender": "SHOP", "ref": "july"}
	r := b.post(t, "/v1/batches", body, "Idempotency-Key", "july-campaign")
	require.Equal(t, http.StatusAccepted, r.status, "%s", r.body)
	m := r.json(t)
	require.Equal(t, []any{"july-campaign-1", "july-campaign-2", "july-campaign-3"}, m["ids"])
	require.Equal(t, false, m["duplicate"])
	require.EqualValues(t, 2500, m["messages"])

	var chunk tasks.BatchPayload
	b.payload(t, tasks.QueueLow, "july-campaign-3", &chunk)
	require.Len(t, chunk.Rows, 500)
	require.Equal(t, "33612002000", chunk.Rows[0].To)
	require.Equal(t, "SHOP", chunk.Sender)

	again := b.post(t, "/v1/batches", body, "Idempotency-Key", "july-campaign")
	require.Equal(t, http.StatusOK, again.status, "%s", again.body)
	require.Equal(t, true, again.json(t)["duplicate"])
	require.Equal(t, m["ids"], again.json(t)["ids"])
	require.Len(t, b.taskIDs(t), 3)

	// Without a key, the chunks share a new UUID.
	r = b.post(t, "/v1/batches", map[string]any{"rows": rows[:2], "queue": "default"})
	require.Equal(t, http.StatusAccepted, r.status, "%s", r.body)
	ids := r.json(t)["ids"].([]any)
	require.Len(t, ids, 1)
	require.True(t, strings.HasSuffix(ids[0].(string), "-1"))
	b.payload(t, tasks.QueueDefault, ids[0].(string), &chunk)
}

func TestBatchAsTheProvidersCSVFile(t *testing.T) {
	b := setup(t)
	// The reference's layout: a header, quoted fields, an empty emetteur,
	// a refClient column; here in ISO-8859-15, as Excel saves it.
	csv := "\"numero\",\"message\",\"emetteur\",\"refClient\"\r\n" +
		"\"0612345678\",\"Ceci est le corps du message 1, test fichier CSV\",\"RDV\",\"ref123\"\r\n" +
		"0698765432,\"R\xe9ponse \xe0 votre demande\",\"\",\"ref456\"\r\n" +
		"0611223344,\"Troisi\xe8me\nligne\"\r\n"
	r := b.do(t, call{
		method: http.MethodPost, path: "/v1/batches?sender=SHOP&ref=fallback&queue=default&send_at=2030-07-14T10:30:00%2B02:00",
		token: crmToken, contentType: "text/csv", body: strings.NewReader(csv), checkRequest: true,
		headers: map[string]string{"Idempotency-Key": "csv-1"},
	})
	require.Equal(t, http.StatusAccepted, r.status, "%s", r.body)
	require.Equal(t, []any{"csv-1-1"}, r.json(t)["ids"])

	var p tasks.BatchPayload
	b.payload(t, tasks.QueueDefault, "csv-1-1", &p)
	require.Equal(t, []tasks.BatchRow{
		{To: "33612345678", Message: "Ceci est le corps du message 1, test fichier CSV", Sender: "RDV", Ref: "ref123"},
		{To: "33698765432", Message: "Réponse à votre demande", Ref: "ref456"},
		{To: "33611223344", Message: "Troisième\nligne"},
	}, p.Rows)
	require.Equal(t, "SHOP", p.Sender)
	require.Equal(t, "fallback", p.Ref)
	require.True(t, p.SendAt.Equal(mustTime(t, "2030-07-14T08:30:00Z")), "%v", p.SendAt)

	// UTF-8 without a header; an unencoded "+" in send_at arrives as a space.
	r = b.do(t, call{
		method: http.MethodPost, path: "/v1/batches?send_at=2030-07-14T10:30:00+02:00", token: shopToken,
		contentType: "text/csv; charset=utf-8", body: strings.NewReader("\ufeff0612345678,Réponse à vous\n"),
	})
	require.Equal(t, http.StatusAccepted, r.status, "%s", r.body)
	id := r.json(t)["ids"].([]any)[0].(string)
	b.payload(t, tasks.QueueLow, id, &p)
	require.Equal(t, "Réponse à vous", p.Rows[0].Message)
	require.True(t, p.SendAt.Equal(mustTime(t, "2030-07-14T08:30:00Z")))

	// Declared ISO-8859-15: bytes that happen to be valid UTF-8 (here
	// "ģ") are still read as ISO-8859-15 ("Ä£").
	r = b.do(t, call{
		method: http.MethodPost, path: "/v1/batches", token: shopToken,
		contentType: "text/csv; charset=ISO-8859-15", body: strings.NewReader("0612345678,Prix \xc4\xa3\n"),
	})
	require.Equal(t, http.StatusAccepted, r.status, "%s", r.body)
	b.payload(t, tasks.QueueLow, r.json(t)["ids"].([]any)[0].(string), &p)
	require.Equal(t, "Prix Ä£", p.Rows[0].Message)
}

func TestCSVErrorsNameTheRowAndItsLine(t *testing.T) {
	b := setup(t)
	for _, tc := range []struct {
		name, query, csv string
		status           int
		field            string
		line             int
	}{
		{"row field", "", "numero,message\n0612345678,Bonjour\n\"0612345679\",\"Prix : 10 \u20b9\"\n", 422, "rows[1].message", 3},
		{"row number", "", "0612345678,Bonjour\n\n12,Bonjour\n", 422, "rows[1].to", 3},
		{"field count", "", "0612345678,Bonjour,SHOP,ref,extra\n", 422, "rows[0]", 1},
		{"semicolons", "", "0612345678;Bonjour\n", 422, "rows[0]", 1},
		{"no rows", "", "numero,message,emetteur\n", 422, "rows", 0},
		{"batch field", "?sender=THIS+IS+TOO+LONG", "0612345678,Bonjour\n", 422, "sender", 0},
		{"unknown parameter", "?emetteur=SHOP", "0612345678,Bonjour\n", 422, "emetteur", 0},
		{"rows as a parameter", "?rows=x", "0612345678,Bonjour\n", 422, "rows", 0},
		{"parameter type", "?reply=maybe", "0612345678,Bonjour\n", 422, "reply", 0},
		{"repeated parameter", "?sender=A&sender=B", "0612345678,Bonjour\n", 422, "sender", 0},
		{"parameter time", "?send_at=tomorrow", "0612345678,Bonjour\n", 422, "send_at", 0},
		{"queue", "?queue=events", "0612345678,Bonjour\n", 422, "queue", 0},
		{"empty body", "", "", 422, "rows", 0},
	} {
		r := b.do(t, call{method: http.MethodPost, path: "/v1/batches" + tc.query, token: shopToken, contentType: "text/csv", body: strings.NewReader(tc.csv)})
		p := r.problem(t, tc.status)
		if tc.field != "" {
			require.Equal(t, tc.field, p["field"], "%s: %s", tc.name, r.body)
		}
		if tc.line > 0 {
			require.EqualValues(t, tc.line, p["line"], "%s: %s", tc.name, r.body)
			require.Contains(t, p["detail"], fmt.Sprintf("line %d", tc.line), tc.name)
		} else {
			require.Nil(t, p["line"], tc.name)
		}
	}
	require.Empty(t, b.taskIDs(t))
}
