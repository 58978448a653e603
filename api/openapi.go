package api

import (
	_ "embed"
	"net/http"
)

// openAPI is the OpenAPI 3.1 document of the API, served at
// /v1/openapi.json and committed as docs/openapi.json (go generate copies
// it; a test checks the two are equal).
//
//go:generate cp openapi.json ../docs/openapi.json
//go:embed openapi.json
var openAPI []byte

// OpenAPI returns the OpenAPI 3.1 document of the API (JSON).
func OpenAPI() []byte { return append([]byte(nil), openAPI...) }

// serveDocument answers GET /v1/openapi.json, the one route without a token:
// client generators and API gateways fetch it.
func serveDocument(w http.ResponseWriter) int {
	return writeBody(w, http.StatusOK, "application/json", openAPI)
}
