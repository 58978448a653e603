package monitoring

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBoundPages(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		path, want string
	}{
		{"/api/queues/default/archived_tasks?size=-1", "size=1"},
		{"/api/queues/default/archived_tasks?size=0&page=0", "page=1&size=1"},
		{"/api/queues/default/completed_tasks?size=100000", "size=100"},
		{"/api/queues/default/pending_tasks?size=100&page=3", "size=100&page=3"}, // untouched
		{"/api/queues/default/pending_tasks?size=20&page=-4", "page=1&size=20"},
		{"/api/queues/default/pending_tasks?page=99999999999", "page=1000000000"},
		{"/api/queues/default/pending_tasks?size=abc", ""}, // asynqmon's default
		{"/api/queues/default/pending_tasks?size=10&size=-1", "size=10"},
		{"/api/scheduler_entries/e1/enqueue_events?size=5000", "size=100"},
		{"/api/queues", ""},
		{"/queues/default?size=-1", "size=-1"}, // a UI page, not the API
	} {
		t.Run(tc.path, func(t *testing.T) {
			t.Parallel()
			var got string
			h := boundPages(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.URL.RawQuery }))
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, Path+tc.path, nil))
			require.Equal(t, tc.want, got)
		})
	}
}
