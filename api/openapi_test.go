package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/api"
	"github.com/smsq/smsq/tasks"
)

func TestTheServedDocumentIsTheCommittedOne(t *testing.T) {
	b := setup(t)
	r := b.do(t, call{method: http.MethodGet, path: "/v1/openapi.json"})
	require.Equal(t, http.StatusOK, r.status)
	require.Equal(t, "application/json", r.header.Get("Content-Type"))
	require.Equal(t, string(committedDocument(t)), string(r.body), "docs/openapi.json differs from the served document: run go generate ./api")
	embedded, err := os.ReadFile("openapi.json")
	require.NoError(t, err)
	require.Equal(t, embedded, api.OpenAPI())
}

func TestTheDocumentIsValidOpenAPI31(t *testing.T) {
	t.Parallel()
	loadDocument(t)
	require.Equal(t, "3.1.0", docModel.GetVersion())
	docMu.Lock()
	ok, errs := docValid.ValidateDocument()
	docMu.Unlock()
	require.True(t, ok, describe(errs))
}

// The check every test applies is not a formality: answers that stray
// from the document fail it.
func TestTheDocumentCheckCatchesDeviations(t *testing.T) {
	t.Parallel()
	loadDocument(t)
	for _, tc := range []struct {
		name, method, path, contentType, body string
		status                                int
		header                                map[string]string
	}{
		{"missing member", "POST", "/v1/sms", "application/json", `{"id":"a","duplicate":false,"encoding":"gsm"}`, 202, map[string]string{"Location": "/v1/tasks/a"}},
		{"extra member", "POST", "/v1/sms", "application/json", `{"id":"a","duplicate":false,"encoding":"gsm","segments":1,"x":1}`, 202, map[string]string{"Location": "/v1/tasks/a"}},
		{"no Location", "POST", "/v1/sms", "application/json", `{"id":"a","duplicate":false,"encoding":"gsm","segments":1}`, 202, nil},
		{"undocumented status", "POST", "/v1/sms", "application/problem+json", `{"type":"https://x","title":"t","status":418,"detail":"d"}`, 418, nil},
		{"problem as text", "POST", "/v1/sms", "text/plain", "invalid", 422, nil},
		{"no Retry-After", "GET", "/v1/tasks/a", "application/problem+json", `{"type":"https://x","title":"t","status":503,"detail":"d"}`, 503, nil},
		{"state outside the list", "GET", "/v1/tasks/a", "application/json", `{"id":"a","type":"sms:send","queue":"default","state":"lost","attempts":0,"max_retry":3,"last_error":"","result":null,"recipients":[]}`, 200, nil},
		{"time not RFC 3339", "GET", "/v1/tasks/a", "application/json", `{"id":"a","type":"sms:send","queue":"default","state":"completed","attempts":1,"max_retry":3,"last_error":"","result":null,"completed_at":"14/07/2026","recipients":[]}`, 200, nil},
	} {
		req, err := http.NewRequest(tc.method, "http://localhost:8080"+tc.path, nil)
		require.NoError(t, err)
		resp := &http.Response{StatusCode: tc.status, Header: http.Header{"Content-Type": {tc.contentType}}, Body: io.NopCloser(strings.NewReader(tc.body))}
		for k, v := range tc.header {
			resp.Header.Set(k, v)
		}
		docMu.Lock()
		ok, _ := docValid.ValidateHttpResponse(req, resp)
		docMu.Unlock()
		require.False(t, ok, tc.name)
	}
}

// The request schemas list exactly the payloads' fields (plus queue), so
// the document follows the tasks package. Fields announced in the
// document before the payload structs have them are listed in pending.
func TestRequestSchemasFollowThePayloads(t *testing.T) {
	t.Parallel()
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	require.NoError(t, json.NewDecoder(bytes.NewReader(committedDocument(t))).Decode(&doc))
	pending := map[string][]string{ // being added to tasks by another change
		"SendRequest":  {"expires_at", "marketing"},
		"VoiceRequest": {"expires_at"},
		"BatchRequest": {"expires_at", "marketing"},
	}
	for schema, typ := range map[string]reflect.Type{
		"SendRequest":  reflect.TypeFor[tasks.SendPayload](),
		"VoiceRequest": reflect.TypeFor[tasks.VoicePayload](),
		"BatchRequest": reflect.TypeFor[tasks.BatchPayload](),
		"BatchRow":     reflect.TypeFor[tasks.BatchRow](),
	} {
		want := jsonNames(typ)
		if schema != "BatchRow" {
			want = append(want, "queue")
		}
		for _, p := range pending[schema] {
			if !slices.Contains(want, p) {
				want = append(want, p)
			}
		}
		var got []string
		for name := range doc.Components.Schemas[schema].Properties {
			got = append(got, name)
		}
		require.ElementsMatch(t, want, got, schema)
	}
}

func jsonNames(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	return out
}
