package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/config"
	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/tasks/store"
)

func TestDryRunPricesWithoutEnqueueing(t *testing.T) {
	b := setup(t)
	r := b.post(t, "/v1/sms?dry_run=true", map[string]any{"to": []string{"0612345678", "0698765432"}, "message": strings.Repeat("a", 161)},
		"Idempotency-Key", "not-used")
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	require.Equal(t, map[string]any{"encoding": "gsm", "segments": 2.0, "recipients": 2.0, "messages": 4.0}, r.json(t))
	require.Empty(t, r.header.Get("Location"))

	r = b.post(t, "/v1/voice?dry_run=1", map[string]any{"to": []string{"0612345678"}, "message": "Bonjour"})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	require.Equal(t, map[string]any{"encoding": "voice", "segments": 1.0, "recipients": 1.0, "messages": 1.0}, r.json(t))

	// A batch: per chunk, as the Go API would enqueue it.
	rows := make([]map[string]string, 2100)
	for i := range rows {
		rows[i] = map[string]string{"to": fmt.Sprintf("06%08d", 12_000_000+i), "message": "Bonjour"}
	}
	rows[2050]["message"] = strings.Repeat("b", 200)
	r = b.post(t, "/v1/batches?dry_run=true", map[string]any{"rows": rows})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	require.Equal(t, []any{
		map[string]any{"encoding": "gsm", "segments": 1000.0, "recipients": 1000.0, "messages": 1000.0},
		map[string]any{"encoding": "gsm", "segments": 1000.0, "recipients": 1000.0, "messages": 1000.0},
		map[string]any{"encoding": "gsm", "segments": 101.0, "recipients": 100.0, "messages": 101.0},
	}, r.json(t)["chunks"])

	// A refused row is named by its index in the whole batch, not in its chunk.
	rows[2050]["message"] = "☺"
	r = b.post(t, "/v1/batches?dry_run=true", map[string]any{"rows": rows})
	require.Equal(t, "rows[2050].message", r.problem(t, http.StatusUnprocessableEntity)["field"])
	r = b.do(t, call{method: http.MethodPost, path: "/v1/batches?dry_run=true&sender=SHOP", token: shopToken, contentType: "text/csv",
		body: strings.NewReader("0612345678,Bonjour\n0612345679,\"Prix : 10 \u20b9\"\n")})
	p := r.problem(t, http.StatusUnprocessableEntity)
	require.Equal(t, "rows[1].message", p["field"])
	require.EqualValues(t, 2, p["line"])

	r = b.post(t, "/v1/sms?dry_run=true", map[string]any{"to": []string{"12"}, "message": "x"})
	require.Equal(t, "to[0]", r.problem(t, http.StatusUnprocessableEntity)["field"])
	require.Empty(t, b.taskIDs(t))
}

// A dry run makes the checks of an enqueue, the commercial window
// included: a marketing message on a Sunday evening shows when it would
// really leave (Monday's opening); a transactional one shows no send_at.
func TestDryRunShowsTheSendTimeTheMarketingWindowGives(t *testing.T) {
	sunday := time.Date(2026, 7, 12, 21, 30, 0, 0, paris)
	o := config.Defaults().TaskOptions()
	o.Now = func() time.Time { return sunday }
	// A dry run reads no Redis here (no daily cap): a client to nowhere will do.
	nowhere := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { nowhere.Close() })
	enq, err := tasks.NewEnqueuer(nowhere, o)
	require.NoError(t, err)
	b := setup(t, func(c *apiConfig) { c.Enqueuer = enq })
	r := b.post(t, "/v1/sms?dry_run=true", map[string]any{"to": []string{"0612345678"}, "message": "Soldes -50 %", "marketing": true})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	require.Equal(t, "2026-07-13T08:00:00+02:00", r.json(t)["send_at"])
	r = b.post(t, "/v1/sms?dry_run=true", map[string]any{"to": []string{"0612345678"}, "message": "Votre code : 4821"})
	require.Nil(t, r.json(t)["send_at"])
	r = b.post(t, "/v1/batches?dry_run=true", map[string]any{"marketing": true, "rows": []map[string]string{{"to": "0612345678", "message": "Soldes"}}})
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	require.Equal(t, "2026-07-13T08:00:00+02:00", r.json(t)["chunks"].([]any)[0].(map[string]any)["send_at"])
	// The STOP rule of a commercial message with a custom sender.
	r = b.post(t, "/v1/sms?dry_run=true", map[string]any{"to": []string{"0612345678"}, "message": "Soldes", "sender": "MYSHOP", "marketing": true})
	require.Equal(t, "stop", r.problem(t, http.StatusUnprocessableEntity)["field"])
}

// panicDeleter stands for a bug below the API.
type panicDeleter struct{}

func (panicDeleter) DeleteSMS(context.Context, string) error { panic("deleter bug") }

// No panic reaches a client: a bug answers 500 with a problem, is logged
// with its stack, and the server keeps serving.
func TestAPanicIsA500AndALogLine(t *testing.T) {
	b := setup(t, func(c *apiConfig) { c.Deleter = panicDeleter{} })
	require.NoError(t, b.ledger.Record(context.Background(), &store.Acceptance{
		TaskID: "held", SMSID: "S1", DateEnvoi: "01012036-10:00", SendAt: time.Now().Add(24 * time.Hour), AcceptedAt: time.Now(),
	}))
	r := b.delete(t, "/v1/tasks/held")
	p := r.problem(t, http.StatusInternalServerError)
	require.NotContains(t, p["detail"], "deleter bug", "internals stay in the log")
	var found bool
	for _, l := range b.logs.Lines(t) {
		if l["msg"] == "api panic" {
			found = true
			require.Equal(t, "deleter bug", l["panic"])
			require.Contains(t, l["stack"], "cancelTask")
		}
	}
	require.True(t, found, "the panic was not logged:\n%s", b.logs.String())
	require.Equal(t, http.StatusAccepted, b.post(t, "/v1/sms", map[string]any{"to": []string{"0612345678"}, "message": "x"}).status)
}
