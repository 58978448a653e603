package smsmode

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDefaultHTTPClient(t *testing.T) {
	t.Parallel()
	hc := newHTTPClient()
	tr, ok := hc.Transport.(*http.Transport)
	require.True(t, ok)
	assert.GreaterOrEqual(t, tr.MaxIdleConns, 200)
	assert.GreaterOrEqual(t, tr.MaxIdleConnsPerHost, 128, "100 sends in flight must reuse their connections")
	assert.Equal(t, 90*time.Second, tr.IdleConnTimeout)
	assert.NotZero(t, tr.TLSHandshakeTimeout)
	assert.True(t, tr.ForceAttemptHTTP2)
	assert.Zero(t, hc.Timeout, "the per-request context bounds each call")
	assert.NotNil(t, hc.CheckRedirect)
}

type countingRT struct{ n atomic.Int32 }

func (c *countingRT) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return &http.Response{
		StatusCode: 200,
		Header:     http.Header{"Content-Type": {"text/plain"}},
		Body:       http.NoBody,
		Request:    r,
	}, nil
}

func TestCustomHTTPClientIsUsed(t *testing.T) {
	t.Parallel()
	rt := &countingRT{}
	c, err := NewClient(Config{AccessToken: "tok12345", HTTPClient: &http.Client{Transport: rt}})
	require.NoError(t, err)
	rs, err := c.DeliveryReport(context.Background(), "id")
	require.NoError(t, err)
	assert.Empty(t, rs, "an empty compteRendu body means no report yet")
	assert.Equal(t, int32(1), rt.n.Load())
	assert.Same(t, rt, c.http.Transport)
}

func TestSecretsNotInSnippetsEvenTruncated(t *testing.T) {
	t.Parallel()
	c, err := NewClient(Config{AccessToken: "Ab1CD2efg3Hi"})
	require.NoError(t, err)
	// The token straddles the 120-rune cut: no prefix of it may survive.
	body := strings.Repeat("x", 115) + "Ab1CD2efg3Hi" + strings.Repeat("y", 50)
	s := c.snippet(body)
	assert.NotContains(t, s, "Ab1CD")
	assert.Contains(t, s, "[REDACTED]"[:5])
}

// leakyRT fails every round trip with an error quoting the request's URL,
// as a careless custom transport (or a wrapped proxy error) might.
type leakyRT struct{}

func (leakyRT) RoundTrip(r *http.Request) (*http.Response, error) {
	return nil, fmt.Errorf("proxy refused %s: %w", r.URL.String(), context.DeadlineExceeded)
}

func TestTransportErrorScrubsTheQuery(t *testing.T) {
	t.Parallel()
	for _, cfg := range []Config{
		{AccessToken: "Ab1CD2efg3Hi", HTTPClient: &http.Client{Transport: leakyRT{}}},
		{Pseudo: "jean", Pass: "s3cr3t-P4ss", HTTPClient: &http.Client{Transport: leakyRT{}}},
	} {
		c, err := NewClient(cfg)
		require.NoError(t, err)
		_, err = c.SendBatch(context.Background(), &Batch{Rows: []BatchRow{{Number: "33612345678", Message: "x"}}})
		var te *TransportError
		require.ErrorAs(t, err, &te)
		for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err), te.Err.Error()} {
			assert.NotContains(t, s, "Ab1CD2efg3Hi")
			assert.NotContains(t, s, "s3cr3t-P4ss")
		}
		assert.Contains(t, err.Error(), "proxy refused https://api.smsmode.com/http/1.6/sendSMSBatch.do?[REDACTED]")
		assert.ErrorIs(t, err, context.DeadlineExceeded, "the cause is still there")
		var ue *url.Error
		assert.False(t, errors.As(err, &ue))
	}
	// A form-body endpoint's URL has no query; its errors are left alone.
	c, err := NewClient(Config{AccessToken: "Ab1CD2efg3Hi", HTTPClient: &http.Client{Transport: leakyRT{}}})
	require.NoError(t, err)
	_, err = c.Credit(context.Background())
	var te *TransportError
	require.ErrorAs(t, err, &te)
	_, scrubbed := te.Err.(*scrubbedError)
	assert.False(t, scrubbed)
}
