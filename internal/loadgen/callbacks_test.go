package loadgen_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/loadgen"
	"github.com/smsq/smsq/tasks"
)

// Callback k and event k describe the same report, so a floor built from
// the events stores what the receiver would.
func TestDeliveryCallbackMatchesItsEvent(t *testing.T) {
	t.Parallel()
	var status atomic.Int64
	status.Store(http.StatusOK)
	var got *http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		w.WriteHeader(int(status.Load()))
	}))
	t.Cleanup(srv.Close)

	require.NoError(t, loadgen.DeliveryCallback(srv.Client(), srv.URL+"/delivery/", 42))
	require.Equal(t, http.MethodGet, got.Method)
	require.Equal(t, "/delivery/send-0000000042", got.URL.Path)
	q := got.URL.Query()

	b, id, err := loadgen.DeliveryEvent(42, time.Date(2026, 7, 14, 10, 30, 0, 0, time.UTC))
	require.NoError(t, err)
	require.Len(t, id, len("dlr:")+32)
	var ev tasks.DeliveryPayload
	require.NoError(t, json.Unmarshal(b, &ev))
	require.Equal(t, q.Get("smsID"), ev.SMSID)
	require.Equal(t, q.Get("numero"), ev.To)
	require.Equal(t, "11", q.Get("statut"))
	require.Equal(t, 11, ev.Status)
	require.Equal(t, "send-0000000042", ev.TaskID)

	status.Store(http.StatusServiceUnavailable)
	require.ErrorContains(t, loadgen.DeliveryCallback(srv.Client(), srv.URL+"/delivery/", 43), "HTTP 503")
}
