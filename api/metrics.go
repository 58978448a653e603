package api

import (
	"errors"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// requestMetrics counts requests by route, status and client name.
type requestMetrics struct {
	requests *prometheus.CounterVec
}

// routeStatuses are the statuses each route answers (the OpenAPI
// document's), created at 0 for every client so that a rate() over them
// works from the first request.
var routeStatuses = map[string][]int{
	routeSMS:     {200, 202, 400, 401, 413, 415, 422, 500, 503},
	routeVoice:   {200, 202, 400, 401, 413, 415, 422, 500, 503},
	routeBatches: {200, 202, 400, 401, 413, 415, 422, 500, 503},
	routeStatus:  {200, 401, 404, 500, 503},
	routeCancel:  {200, 401, 404, 409, 500, 503},
	routeOpenAPI: {200},
	routeOther:   {404, 405},
}

// newRequestMetrics registers smsq_api_requests_total in reg (nil: counts
// nothing). clients are the token names.
func newRequestMetrics(reg prometheus.Registerer, clients []string) (*requestMetrics, error) {
	if reg == nil {
		return nil, nil
	}
	m := &requestMetrics{requests: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "smsq_api_requests_total",
		Help: "HTTP producer API requests by route, HTTP status and client (the token's name in API_TOKENS; none before authentication).",
	}, []string{"route", "status", "token"})}
	if err := reg.Register(m.requests); err != nil {
		var are prometheus.AlreadyRegisteredError
		if !errors.As(err, &are) {
			return nil, err
		}
		m.requests = are.ExistingCollector.(*prometheus.CounterVec)
	}
	for route, statuses := range routeStatuses {
		for _, st := range statuses {
			code := strconv.Itoa(st)
			switch {
			case route == routeOpenAPI || route == routeOther || st == 401:
				m.requests.WithLabelValues(route, code, tokenNone)
			default:
				for _, c := range clients {
					m.requests.WithLabelValues(route, code, c)
				}
			}
		}
	}
	return m, nil
}

func (m *requestMetrics) observe(route string, status int, token string) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(route, strconv.Itoa(status), token).Inc()
}
