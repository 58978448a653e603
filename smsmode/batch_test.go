package smsmode_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/smsmode"
)

// TestWireBatchThreeColumns: without a row refClient the file has the three
// columns of the 2.7 reference ("seuls numero, message, emetteur").
func TestWireBatchThreeColumns(t *testing.T) {
	t.Parallel()
	rec := newRecorder(t)
	c := rec.client(t, func(cfg *smsmode.Config) { cfg.AccessToken, cfg.Pseudo, cfg.Pass = "", testPseudo, testPass })
	_, err := c.SendBatch(context.Background(), &smsmode.Batch{
		RefClient: "camp-é",
		Rows: []smsmode.BatchRow{
			{Number: "33612345678", Message: "Bonjour Zoé", Sender: "RDV"},
			{Number: "33698765432", Message: "Deux\nlignes"},
		},
	})
	require.NoError(t, err)
	r := rec.last(t)
	assert.Equal(t, "numero,message,emetteur\n33612345678,Bonjour Zo\xe9,RDV\n33698765432,\"Deux\nlignes\",\n", string(r.Files["fichier"].Data))
	assert.Equal(t, "pass="+url.QueryEscape(testPass)+"&pseudo="+testPseudo+"&refClient=camp-%E9", r.RawQuery, "ISO-8859-15 in the query too")
	assert.Empty(t, r.Form)
}

// TestWireBatchURLNeverInErrors: the query of sendSMSBatch.do holds the
// credentials; no error the client returns may show it, whatever goes wrong.
func TestWireBatchURLNeverInErrors(t *testing.T) {
	t.Parallel()
	batch := &smsmode.Batch{Rows: []smsmode.BatchRow{{Number: "33612345678", Message: "x"}}}
	check := func(t *testing.T, err error) {
		t.Helper()
		require.Error(t, err)
		var ue *url.Error
		assert.False(t, errors.As(err, &ue), "*url.Error quotes the URL: it must not be in the chain")
		for _, s := range []string{err.Error(), fmt.Sprintf("%v", err), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err), fmt.Sprintf("%s", err)} {
			for _, secret := range []string{testToken, testPass} {
				assert.NotContains(t, s, secret)
			}
		}
		var buf bytes.Buffer
		slog.New(slog.NewJSONHandler(&buf, nil)).Error("send failed", "err", err)
		assert.NotContains(t, buf.String(), testToken)
		assert.NotContains(t, buf.String(), testPass)
	}
	clients := func(t *testing.T, base string, timeout time.Duration) map[string]*smsmode.Client {
		out := map[string]*smsmode.Client{}
		for name, cfg := range map[string]smsmode.Config{
			"token":  {BaseURL: base, AccessToken: testToken, Timeout: timeout},
			"pseudo": {BaseURL: base, Pseudo: testPseudo, Pass: testPass, Timeout: timeout},
		} {
			c, err := smsmode.NewClient(cfg)
			require.NoError(t, err)
			out[name] = c
		}
		return out
	}

	t.Run("connection cut after the request", func(t *testing.T) {
		t.Parallel()
		srv, _ := readThen(t, func(w http.ResponseWriter, r *http.Request) {
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				_ = conn.Close()
			}
		})
		for name, c := range clients(t, srv.URL+"/http/1.6/", 5*time.Second) {
			_, err := c.SendBatch(context.Background(), batch)
			var te *smsmode.TransportError
			require.ErrorAs(t, err, &te, name)
			assert.Equal(t, srv.URL+"/http/1.6/sendSMSBatch.do", te.URL, name)
			assert.True(t, smsmode.IsAmbiguous(err), name)
			check(t, err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		srv, _ := readThen(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
		for name, c := range clients(t, srv.URL+"/http/1.6/", 100*time.Millisecond) {
			_, err := c.SendBatch(context.Background(), batch)
			require.ErrorIs(t, err, context.DeadlineExceeded, name)
			check(t, err)
		}
	})
	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := ln.Addr().String()
		require.NoError(t, ln.Close())
		for name, c := range clients(t, "http://"+addr+"/http/1.6/", 2*time.Second) {
			_, err := c.SendBatch(context.Background(), batch)
			require.False(t, smsmode.IsAmbiguous(err), name)
			check(t, err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		t.Parallel()
		rec := newRecorder(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		for _, c := range clients(t, rec.baseURL, time.Second) {
			_, err := c.SendBatch(ctx, batch)
			require.ErrorIs(t, err, context.Canceled)
			check(t, err)
		}
	})
	t.Run("TLS to a plain server", func(t *testing.T) {
		t.Parallel()
		rec := newRecorder(t)
		for _, c := range clients(t, strings.Replace(rec.baseURL, "http://", "https://", 1), 2*time.Second) {
			_, err := c.SendBatch(context.Background(), batch)
			check(t, err)
		}
	})
	t.Run("redirect and errors echoing the query", func(t *testing.T) {
		t.Parallel()
		rec := newRecorder(t)
		rec.respond = func(w http.ResponseWriter, r *recorded) bool {
			w.Header().Set("Location", "https://elsewhere.example/?"+r.RawQuery)
			w.WriteHeader(http.StatusFound)
			_, _ = io.WriteString(w, "moved: "+r.RawQuery)
			return true
		}
		for _, c := range clients(t, rec.baseURL, time.Second) {
			_, err := c.SendBatch(context.Background(), batch)
			var he *smsmode.HTTPError
			require.ErrorAs(t, err, &he)
			check(t, err)
		}
		rec.respond = func(w http.ResponseWriter, r *recorded) bool {
			_, _ = io.WriteString(w, "garbage "+r.RawQuery)
			return true
		}
		for _, c := range clients(t, rec.baseURL, time.Second) {
			_, err := c.SendBatch(context.Background(), batch)
			var pe *smsmode.ProtocolError
			require.ErrorAs(t, err, &pe)
			check(t, err)
		}
	})
}
