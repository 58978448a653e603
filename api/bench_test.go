package api_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/api"
	smsqconfig "github.com/smsq/smsq/internal/config"
	"github.com/smsq/smsq/internal/redistest"
	"github.com/smsq/smsq/tasks"
)

// BenchmarkPostSMS measures the handler alone (no network) with
// production-like logging and metrics, and the Go producer's Send on the
// same Redis: the difference is what the HTTP layer costs on top.
func BenchmarkPostSMS(b *testing.B) {
	srv := redistest.Start(b)
	rdb := srv.Client()
	enq, err := tasks.NewEnqueuer(rdb, smsqconfig.Defaults().TaskOptions())
	require.NoError(b, err)
	insp, err := tasks.NewInspector(rdb)
	require.NoError(b, err)
	h, err := api.New(api.Config{
		Tokens: []api.Token{{Name: "shop", Token: shopToken}}, Enqueuer: enq, Inspector: insp,
		BatchChunk: 1000, Location: paris,
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Registerer: prometheus.NewRegistry(),
	})
	require.NoError(b, err)
	var n atomic.Int64
	body := func(i int64) string {
		return fmt.Sprintf(`{"to":["06%08d"],"message":"Votre code : %04d"}`, 12_000_000+i%80_000_000, i%10_000)
	}
	b.Run("handler", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := n.Add(1)
				req := httptest.NewRequest(http.MethodPost, "/v1/sms", strings.NewReader(body(i)))
				req.Header.Set("Authorization", "Bearer "+shopToken)
				req.Header.Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusAccepted {
					b.Fatalf("HTTP %d: %s", rec.Code, rec.Body)
				}
			}
		})
	})
	b.Run("enqueuer", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := n.Add(1)
				p := tasks.SendPayload{To: []string{fmt.Sprintf("06%08d", 12_000_000+i%80_000_000)}, Message: fmt.Sprintf("Votre code : %04d", i%10_000)}
				if _, err := enq.Send(context.Background(), p); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}
