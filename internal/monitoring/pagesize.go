package monitoring

import (
	"net/http"
	"net/url"
	"strconv"
)

// Page bounds of asynqmon's list routes. The UI offers 10, 20, 30, 60 and
// 100 rows per page (TablePaginationActions.rowsPerPageOptions); asynqmon
// passes size and page to Redis unchecked, and size=-1 answers every task of
// a state in one response (megabytes, and seconds of Redis time).
const (
	maxPageSize = 100
	// maxPage keeps (page-1)*size far from overflowing in asynq's range
	// arithmetic; no queue holds 10^11 tasks.
	maxPage = 1_000_000_000
)

// boundPages clamps the size and page query parameters of API requests to
// 1..maxPageSize and 1..maxPage. A value that is not an integer is dropped,
// so asynqmon uses its default (20 rows, page 1).
func boundPages(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isAPI(r) {
			next.ServeHTTP(w, r)
			return
		}
		q := r.URL.Query()
		changed := clampParam(q, "size", maxPageSize)
		changed = clampParam(q, "page", maxPage) || changed
		if changed {
			r = r.Clone(r.Context())
			r.URL.RawQuery = q.Encode()
		}
		next.ServeHTTP(w, r)
	})
}

// clampParam rewrites q[name] to one integer in 1..hi, or removes it if it
// is not an integer; it reports whether q changed.
func clampParam(q url.Values, name string, hi int) bool {
	vs, ok := q[name]
	if !ok {
		return false
	}
	n, err := strconv.Atoi(vs[0])
	if err != nil {
		delete(q, name)
		return true
	}
	c := min(max(n, 1), hi)
	if len(vs) == 1 && c == n {
		return false
	}
	q[name] = []string{strconv.Itoa(c)}
	return true
}
