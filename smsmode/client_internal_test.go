package smsmode

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDefaultHTTPClient(t *testing.T) {
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
	c, err := NewClient(Config{AccessToken: "Ab1CD2efg3Hi"})
	require.NoError(t, err)
	// The token straddles the 120-rune cut: no prefix of it may survive.
	body := strings.Repeat("x", 115) + "Ab1CD2efg3Hi" + strings.Repeat("y", 50)
	s := c.snippet(body)
	assert.NotContains(t, s, "Ab1CD")
	assert.Contains(t, s, "[REDACTED]"[:5])
}
