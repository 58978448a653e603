package api

import (
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/tasks"
)

func TestDecodeJSONNamesTheFieldInPayloadNotation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		body, field string
		status      int
	}{
		{`{"to":["a"],"message":"m"}`, "", 0},
		{`{"to":["a"],"message":"m","queue":"low"}`, "", 0},
		{`{"to":null,"message":null,"send_at":null}`, "", 0},
		{`{"Message":"case-insensitive, as encoding/json"}`, "", 0},
		{`{"to":"a"}`, "to", 422},
		{`{"to":["a",1]}`, "to[1]", 422},
		{`{"to":["a",["b"]]}`, "to[1]", 422},
		{`{"message":{"text":"x"}}`, "message", 422},
		{`{"stop":"1"}`, "stop", 422},
		{`{"stop":1.5}`, "stop", 422},
		{`{"max_segments":1e99}`, "max_segments", 422},
		{`{"reply":1}`, "reply", 422},
		{`{"send_at":"2026-07-14"}`, "send_at", 422},
		{`{"send_at":1784000000}`, "send_at", 422},
		{`{"queue":5}`, "queue", 422},
		{`{"message":"m","unknown":{"deep":[1,2]}}`, "unknown", 422},
		{`{"to":["a"],"message":"m","to_":1}`, "to_", 422},
		{`[]`, "", 400},
		{`null`, "", 0},
		{`{"to":`, "", 400},
		{`{"to":[}`, "", 400},
		{`{} {}`, "", 400},
		{"{\"message\":\"\xff\"}", "", 400},
	} {
		var v sendBody
		p := decodeJSON([]byte(tc.body), &v)
		if tc.status == 0 {
			require.Nil(t, p, tc.body)
			continue
		}
		require.NotNil(t, p, tc.body)
		require.Equal(t, tc.status, p.typ.status, "%s: %s", tc.body, p.detail)
		require.Equal(t, tc.field, p.field, tc.body)
	}

	// A client's long field name is not echoed in full.
	long := strings.Repeat("x", 10_000)
	var v sendBody
	p := decodeJSON([]byte(`{"`+long+`":1}`), &v)
	require.Equal(t, 422, p.typ.status)
	require.LessOrEqual(t, len(p.field), maxFieldName+len("…"))
	require.LessOrEqual(t, len(p.detail), maxDetail+len("…"))

	// Rows: the index of the row, then the row's field.
	for _, tc := range []struct{ body, field string }{
		{`{"rows":[{"to":"a","message":"m"},{"to":"b","message":2}]}`, "rows[1].message"},
		{`{"rows":[{"to":"a","message":"m"},{"to":"b","message":"m","emetteur":"X"}]}`, "rows[1].emetteur"},
		{`{"rows":{"to":"a"}}`, "rows"},
		{`{"rows":["0612345678"]}`, "rows[0]"},
		{`{"sender":"S","rows":[{"to":"a","message":"m"}],"send_at":"soon"}`, "send_at"},
	} {
		var v batchBody
		p := decodeJSON([]byte(tc.body), &v)
		require.NotNil(t, p, tc.body)
		require.Equal(t, tc.field, p.field, "%s: %s", tc.body, p.detail)
	}
}

func TestReadCSV(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, csv, charset string
		rows               []tasks.BatchRow
		lines              []int
		field              string
	}{
		{"header and four columns", "numero,message,emetteur,refClient\n0612345678,Bonjour,SHOP,r1\n", charsetAuto,
			[]tasks.BatchRow{{To: "0612345678", Message: "Bonjour", Sender: "SHOP", Ref: "r1"}}, []int{2}, ""},
		{"no header, two columns, CRLF", "0612345678,Bonjour\r\n 0698765432 ,Salut\r\n", charsetAuto,
			[]tasks.BatchRow{{To: "0612345678", Message: "Bonjour"}, {To: "0698765432", Message: "Salut"}}, []int{1, 2}, ""},
		{"a quoted message over two lines", "0612345678,\"a,\nb\"\n0698765432,c\n", charsetAuto,
			[]tasks.BatchRow{{To: "0612345678", Message: "a,\nb"}, {To: "0698765432", Message: "c"}}, []int{1, 3}, ""},
		{"BOM", "\ufeffnumero,message\n0612345678,é\n", charsetAuto,
			[]tasks.BatchRow{{To: "0612345678", Message: "é"}}, []int{2}, ""},
		{"ISO-8859-15 and Windows-1252 bytes", "0612345678,\xe9t\xe9 \x80 \xa4\n", charsetAuto,
			[]tasks.BatchRow{{To: "0612345678", Message: "été € €"}}, []int{1}, ""},
		{"declared ISO-8859-15", "0612345678,\xc3\xa9\n", charsetLatin9,
			[]tasks.BatchRow{{To: "0612345678", Message: "Ã©"}}, []int{1}, ""},
		{"one field", "0612345678\n", charsetAuto, nil, nil, "rows[0]"},
		{"five fields", "0612345678,a,b,c,d\n", charsetAuto, nil, nil, "rows[0]"},
		{"header only", "numero,message\n", charsetAuto, nil, nil, "rows"},
		{"empty", "", charsetAuto, nil, nil, "rows"},
	} {
		rows, lines, p := readCSV(strings.NewReader(tc.csv), tc.charset, 1<<20)
		if tc.field != "" {
			require.NotNil(t, p, tc.name)
			require.Equal(t, tc.field, p.field, tc.name)
			continue
		}
		require.Nil(t, p, tc.name)
		require.Equal(t, tc.rows, rows, tc.name)
		require.Equal(t, tc.lines, lines, tc.name)
	}
}

func TestQueryIntoTheBatchFields(t *testing.T) {
	t.Parallel()
	q := url.Values{"sender": {"SHOP"}, "reply": {"false"}, "max_segments": {"3"}, "send_at": {"2030-07-14T10:30:00 02:00"}, "dry_run": {"true"}, "queue": {"low"}}
	var p tasks.BatchPayload
	require.Nil(t, queryInto(q, &p, "rows"))
	require.Equal(t, "SHOP", p.Sender)
	require.Equal(t, 3, p.MaxSegments)
	require.Equal(t, "2030-07-14T08:30:00Z", p.SendAt.UTC().Format("2006-01-02T15:04:05Z07:00"))

	for _, tc := range []struct {
		q     url.Values
		field string
	}{
		{url.Values{"max_segments": {"three"}}, "max_segments"},
		{url.Values{"Sender": {"SHOP"}}, "Sender"}, // query names are exact
		{url.Values{"rows": {"[]"}}, "rows"},
		{url.Values{"sender": {"A", "B"}}, "sender"},
		{url.Values{"zzz": {"1"}}, "zzz"},
	} {
		var p tasks.BatchPayload
		pr := queryInto(tc.q, &p, "rows")
		require.NotNil(t, pr, "%v", tc.q)
		require.Equal(t, tc.field, pr.field, "%v", tc.q)
	}
}

// decodeJSON never panics, and every refusal is a 400 or a 422 naming a
// field.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"to":["0612345678"],"message":"x"}`, `{"rows":[{"to":"a","message":1}]}`, `{"send_at":"x"}`,
		`{"to":[1,{"a":[]}]}`, `[`, `{"a":1}`, `null`, `{"rows":[null,{"ref":[]}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var s sendBody
		if p := decodeJSON(b, &s); p != nil {
			require.Contains(t, []int{400, 422}, p.typ.status)
			if p.typ.status == 422 {
				require.NotEmpty(t, p.field, "%q", b)
			}
		}
		var bb batchBody
		if p := decodeJSON(b, &bb); p != nil && p.typ.status == 422 {
			require.NotEmpty(t, p.field, "%q", b)
		}
	})
}
