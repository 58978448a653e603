package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestProbe(t *testing.T) {
	t.Parallel()
	for status, ok := range map[int]bool{200: true, 204: true, 401: false, 503: false} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(status) }))
		err := probe(srv.URL+"/readyz", time.Second)
		srv.Close()
		if (err == nil) != ok {
			t.Errorf("status %d: err %v", status, err)
		}
	}
	if err := probe("http://127.0.0.1:1/readyz", time.Second); err == nil {
		t.Error("closed port: no error")
	}
}
