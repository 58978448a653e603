package handler_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/event"
	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/tasks/handler"
)

const signingSecret = "whsec-Tq3zR8pLx2Vn"

// receivedEvent is one request a forwardTarget got.
type receivedEvent struct {
	Header http.Header
	Body   []byte
}

// forwardTarget is the application's endpoint: it records requests and
// answers with the next scripted status (200 once the script runs out).
type forwardTarget struct {
	*httptest.Server
	mu     sync.Mutex
	got    []receivedEvent
	script []int
}

func newForwardTarget(t *testing.T, statuses ...int) *forwardTarget {
	ft := &forwardTarget{script: statuses}
	ft.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ft.mu.Lock()
		ft.got = append(ft.got, receivedEvent{Header: r.Header.Clone(), Body: body})
		status := http.StatusOK
		if len(ft.script) > 0 {
			status, ft.script = ft.script[0], ft.script[1:]
		}
		ft.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(ft.Close)
	return ft
}

func (ft *forwardTarget) received() []receivedEvent {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	return append([]receivedEvent(nil), ft.got...)
}

func newForwarder(t *testing.T, target string, opts ...handler.ForwarderOption) *handler.Forwarder {
	t.Helper()
	f, err := handler.NewForwarder(target, signingSecret, opts...)
	require.NoError(t, err)
	return f
}

func TestForwardPostsSignedEvent(t *testing.T) {
	t.Parallel()
	ft := newForwardTarget(t)
	now := time.Unix(1767225600, 0)
	f := newForwarder(t, ft.URL+"/hooks/sms", handler.WithForwardClock(func() time.Time { return now }))
	p := report("33612345678", 11, 0)
	require.NoError(t, f.Forward(context.Background(), tasks.TypeDelivery, "dlr:abc", p))

	got := ft.received()
	require.Len(t, got, 1)
	h := got[0].Header
	require.Equal(t, "application/json", h.Get("Content-Type"))
	require.Equal(t, "1767225600", h.Get(event.HeaderTimestamp))
	require.Regexp(t, `^v1=[0-9a-f]{64}$`, h.Get(event.HeaderSignature))
	require.NoError(t, event.Verify(signingSecret, h.Get(event.HeaderTimestamp), h.Get(event.HeaderSignature), got[0].Body, time.Minute, now.Add(30*time.Second)))
	require.Equal(t, event.Sign(signingSecret, "1767225600", got[0].Body), h.Get(event.HeaderSignature))

	var ev struct {
		Type string                `json:"type"`
		ID   string                `json:"id"`
		Data tasks.DeliveryPayload `json:"data"`
	}
	require.NoError(t, json.Unmarshal(got[0].Body, &ev))
	require.Equal(t, tasks.TypeDelivery, ev.Type)
	require.Equal(t, "dlr:abc", ev.ID)
	require.Equal(t, p.SMSID, ev.Data.SMSID)
	require.True(t, p.ReceivedAt.Equal(ev.Data.ReceivedAt))
	require.True(t, strings.HasPrefix(string(got[0].Body), `{"type":"sms:delivery","id":"dlr:abc","data":{"sms_id":"S1",`), string(got[0].Body))
}

func TestForwardNon2xxAndNetworkErrorsHideSecrets(t *testing.T) {
	t.Parallel()
	ft := newForwardTarget(t, http.StatusInternalServerError, http.StatusBadRequest, http.StatusMovedPermanently)
	target := strings.Replace(ft.URL, "http://", "http://user:pa55word@", 1) + "/in?token=tok3n"
	f := newForwarder(t, target, handler.WithForwardClient(&http.Client{
		Timeout:       time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}))
	for _, want := range []string{"HTTP 500", "HTTP 400", "HTTP 301"} {
		err := f.Forward(context.Background(), tasks.TypeReply, "mo:1", tasks.ReplyPayload{From: "33601020304"})
		require.ErrorContains(t, err, want)
		requireNoSecrets(t, err.Error())
	}
	require.NoError(t, f.Forward(context.Background(), tasks.TypeReply, "mo:1", tasks.ReplyPayload{From: "33601020304"}))

	ft.Close()
	err := f.Forward(context.Background(), tasks.TypeReply, "mo:1", tasks.ReplyPayload{From: "33601020304"})
	require.Error(t, err)
	require.Contains(t, err.Error(), "/in")
	requireNoSecrets(t, err.Error())
	require.NotContains(t, f.String(), "pa55word")
}

func requireNoSecrets(t *testing.T, s string) {
	t.Helper()
	for _, secret := range []string{signingSecret, "pa55word", "tok3n"} {
		require.NotContains(t, s, secret)
	}
}

func TestForwardTimeout(t *testing.T) {
	t.Parallel()
	block := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(block) })
	f := newForwarder(t, slow.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := f.Forward(ctx, tasks.TypeDelivery, "dlr:1", report("33612345678", 11, 0))
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestNewForwarderValidates(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"", "ftp://example.com/x", "/relative", "http://", "://bad"} {
		_, err := handler.NewForwarder(u, signingSecret)
		require.Error(t, err, u)
		require.NotContains(t, err.Error(), signingSecret)
	}
	_, err := handler.NewForwarder("https://example.com/hook", "")
	require.Error(t, err)
}
