package webhook_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/webhook"
)

// memEnqueuer is an in-memory webhook.Enqueuer with the events policy's
// IDs: a second payload with the same ID is a Duplicate, and fail makes
// every call fail like an unreachable Redis.
type memEnqueuer struct {
	mu    sync.Mutex
	fail  bool
	calls int
	tasks map[string]any // ID → payload
}

var errRedisDown = errors.New("dial unix /tmp/redis.sock: connect: no such file or directory")

func (m *memEnqueuer) put(id string, p any) (tasks.Enqueued, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.fail {
		return tasks.Enqueued{}, errRedisDown
	}
	if m.tasks == nil {
		m.tasks = map[string]any{}
	}
	res := tasks.Enqueued{ID: id, Plan: tasks.Plan{Queue: tasks.QueueEvents}}
	if _, ok := m.tasks[id]; ok {
		res.Duplicate = true
		return res, nil
	}
	m.tasks[id] = p
	return res, nil
}

func (m *memEnqueuer) Delivery(_ context.Context, p tasks.DeliveryPayload) (tasks.Enqueued, error) {
	return m.put(tasks.DeliveryEventID(p), p)
}

func (m *memEnqueuer) Reply(_ context.Context, p tasks.ReplyPayload) (tasks.Enqueued, error) {
	return m.put(tasks.ReplyEventID(p), p)
}

// FuzzWebhook sends any method, path, query string and body to the handler:
// it must never panic, and never answer 5xx except 503 when the enqueuer
// failed. Every 200 must have stored (or found) a well-formed task.
//
// sel picks the path: 0 the delivery route, 1 the reply route, 2 the webhook
// prefix followed by path, 3 path alone, 4 and 5 the delivery and reply
// routes followed by "/" and path (the task segment).
func FuzzWebhook(f *testing.F) {
	f.Add("GET", uint8(0), "", deliveryQuery, "", []byte(nil), false)
	f.Add("GET", uint8(1), "", replyQuery, "", []byte(nil), false)
	f.Add("POST", uint8(0), "", "", "application/x-www-form-urlencoded", []byte(deliveryQuery), true)
	f.Add("GET", uint8(4), "send-42", deliveryQuery, "", []byte(nil), false)
	f.Add("GET", uint8(5), "a%2Fb/c", replyQuery, "", []byte(nil), false)
	f.Add("GET", uint8(0), "", strings.Replace(deliveryQuery, "S7EpYZ5kmS87", "S7%00%1B%5B31m", 1), "", []byte(nil), false)
	f.Add("GET", uint8(1), "", strings.Replace(replyQuery, "bonjour", "%1B%5D0%3Bx%07STOP", 1), "", []byte(nil), false)

	f.Fuzz(func(t *testing.T, method string, sel uint8, path, query, contentType string, body []byte, fail bool) {
		var p string
		switch sel % 6 {
		case 0:
			p = route("delivery")
		case 1:
			p = route("reply")
		case 2:
			p = webhook.PathPrefix + path
		case 3:
			p = path
		case 4:
			p = route("delivery") + "/" + path
		default:
			p = route("reply") + "/" + path
		}
		enq := &memEnqueuer{fail: fail}
		var logs bytes.Buffer
		h, err := webhook.New(webhook.Config{
			Secrets:  []string{secret},
			Enqueuer: enq,
			Location: paris,
			Logger:   slog.New(slog.NewTextHandler(&logs, nil)),
			MaxBody:  4096,
		})
		if err != nil {
			t.Fatal(err)
		}
		req := &http.Request{
			Method:        method,
			URL:           &url.URL{Path: p, RawQuery: query},
			Proto:         "HTTP/1.1",
			ProtoMajor:    1,
			ProtoMinor:    1,
			Header:        http.Header{},
			Body:          io.NopCloser(bytes.NewReader(body)),
			ContentLength: int64(len(body)),
			Host:          "example.com",
			RemoteAddr:    "192.0.2.1:1234",
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		req = req.WithContext(context.Background())
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, req)

		switch rr.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusRequestEntityTooLarge:
		case http.StatusServiceUnavailable:
			if !fail || enq.calls == 0 {
				t.Fatalf("503 without an enqueuer failure (calls=%d fail=%v)", enq.calls, fail)
			}
		default:
			t.Fatalf("unexpected status %d: %q", rr.Code, rr.Body.String())
		}
		if rr.Code == http.StatusOK {
			if enq.calls != 1 || len(enq.tasks) != 1 {
				t.Fatalf("200 without a stored task (calls=%d)", enq.calls)
			}
			for id, p := range enq.tasks {
				switch p := p.(type) {
				case tasks.DeliveryPayload:
					if !strings.HasPrefix(id, "dlr:") || p.SMSID == "" || p.To == "" || len(p.TaskID) > webhook.MaxPathTaskID {
						t.Fatalf("bad delivery task %s %+v", id, p)
					}
					controls(t, p.SMSID, p.To, p.Ref, p.MCCMNC, p.Cost)
				case tasks.ReplyPayload:
					if !strings.HasPrefix(id, "mo:") || p.From == "" || len(p.TaskID) > webhook.MaxPathTaskID {
						t.Fatalf("bad reply task %s %+v", id, p)
					}
					controls(t, p.SMSID, p.From, p.To, p.Ref, p.ResponseID, strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(p.Message))
				default:
					t.Fatalf("payload %T", p)
				}
			}
		}
		if n := strings.Count(logs.String(), "\n"); n != 1 {
			t.Fatalf("%d log lines, want 1: %s", n, logs.String())
		}
		if sel%6 != 2 && sel%6 != 3 && !strings.Contains(method+path+query+string(body), secret) && strings.Contains(logs.String(), secret) {
			t.Fatalf("secret in the log: %s", logs.String())
		}
	})
}

// controls fails on a control character in any of vs: stored values never
// hold one.
func controls(t *testing.T, vs ...string) {
	t.Helper()
	for _, v := range vs {
		for _, r := range v {
			if r < 0x20 || r >= 0x7f && r <= 0x9f {
				t.Fatalf("control character %U stored in %q", r, v)
			}
		}
	}
}
