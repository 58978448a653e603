package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/webhook"
)

// memEnqueuer is an in-memory Enqueuer: task IDs conflict like asynq's, and
// fail makes every call fail like an unreachable Redis.
type memEnqueuer struct {
	mu    sync.Mutex
	fail  bool
	calls int
	tasks map[string]*asynq.Task
	queue map[string]string
}

var errRedisDown = errors.New("dial unix /tmp/redis.sock: connect: no such file or directory")

func (m *memEnqueuer) EnqueueContext(_ context.Context, t *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.fail {
		return nil, errRedisDown
	}
	var id, queue string
	for _, o := range opts {
		switch o.Type() {
		case asynq.TaskIDOpt:
			id = o.Value().(string)
		case asynq.QueueOpt:
			queue = o.Value().(string)
		}
	}
	if m.tasks == nil {
		m.tasks, m.queue = map[string]*asynq.Task{}, map[string]string{}
	}
	if _, ok := m.tasks[id]; ok {
		return nil, asynq.ErrTaskIDConflict
	}
	m.tasks[id], m.queue[id] = t, queue
	return &asynq.TaskInfo{ID: id, Queue: queue, Type: t.Type(), Payload: t.Payload()}, nil
}

// FuzzWebhook sends any method, path, query string and body to the handler:
// it must never panic, and never answer 5xx except 503 when the enqueuer
// failed. Every 200 must have stored (or found) a well-formed task.
//
// sel picks the path: 0 the delivery route, 1 the reply route, 2 the webhook
// prefix followed by path, 3 path alone.
func FuzzWebhook(f *testing.F) {
	f.Add("GET", uint8(0), "", deliveryQuery, "", []byte(nil), false)
	f.Add("GET", uint8(1), "", replyQuery, "", []byte(nil), false)
	f.Add("POST", uint8(0), "", "", "application/x-www-form-urlencoded", []byte(deliveryQuery), true)

	f.Fuzz(func(t *testing.T, method string, sel uint8, path, query, contentType string, body []byte, fail bool) {
		var p string
		switch sel % 4 {
		case 0:
			p = route("delivery")
		case 1:
			p = route("reply")
		case 2:
			p = webhook.PathPrefix + path
		default:
			p = path
		}
		enq := &memEnqueuer{fail: fail}
		var logs bytes.Buffer
		h := webhook.New(webhook.Config{
			Secret:   secret,
			Enqueuer: enq,
			Location: paris,
			Logger:   slog.New(slog.NewTextHandler(&logs, nil)),
			MaxBody:  4096,
		})
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
			for id, task := range enq.tasks {
				if enq.queue[id] != tasks.QueueEvents {
					t.Fatalf("task %s on queue %q", id, enq.queue[id])
				}
				switch task.Type() {
				case tasks.TypeDelivery:
					var d tasks.DeliveryPayload
					if !strings.HasPrefix(id, "dlr:") || json.Unmarshal(task.Payload(), &d) != nil || d.SMSID == "" || d.To == "" {
						t.Fatalf("bad delivery task %s %s", id, task.Payload())
					}
				case tasks.TypeReply:
					var r tasks.ReplyPayload
					if !strings.HasPrefix(id, "mo:") || json.Unmarshal(task.Payload(), &r) != nil || r.From == "" {
						t.Fatalf("bad reply task %s %s", id, task.Payload())
					}
				default:
					t.Fatalf("task type %q", task.Type())
				}
			}
		}
		if n := strings.Count(logs.String(), "\n"); n != 1 {
			t.Fatalf("%d log lines, want 1: %s", n, logs.String())
		}
		if sel%4 < 2 && !strings.Contains(method+query+string(body), secret) && strings.Contains(logs.String(), secret) {
			t.Fatalf("secret in the log: %s", logs.String())
		}
	})
}
