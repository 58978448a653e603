package bench

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/smsq/smsq/internal/config"
	"github.com/smsq/smsq/internal/worker"
)

// The HTTP side of the webhook and API scenarios: the worker's HTTP server
// in this process, the clients that load it and the server that bounds it.

// startHTTPWorker runs the production worker (role webhooks) with cfg in
// this process and returns its address once it listens; stop ends it. what
// names it in the error.
func (e *env) startHTTPWorker(ctx context.Context, cfg *config.Config, what string) (addr string, stop func(), err error) {
	w, err := worker.New(cfg, worker.RoleWebhooks, e.logger)
	if err != nil {
		return "", nil, err
	}
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(wctx) }()
	stop = func() { cancel(); <-done }
	deadline := time.Now().Add(10 * time.Second)
	for w.Addr() == "" && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if w.Addr() == "" {
		stop()
		return "", nil, fmt.Errorf("%s did not listen within 10s", what)
	}
	return w.Addr(), stop, nil
}

// loopbackClient is the HTTP client of clients concurrent callers: no
// proxy, and enough idle connections that none is redialled.
func loopbackClient(clients int) *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		Proxy: nil, MaxIdleConns: 2 * clients, MaxIdleConnsPerHost: 2 * clients,
	}}
}

// serveEmpty serves 200 OK on a loopback port with the worker's server
// timeouts, as the ceiling of an HTTP receiver.
func serveEmpty() (*http.Server, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = w.Write([]byte("OK\n"))
		}),
		ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 90 * time.Second,
	}
	go srv.Serve(ln) //nolint:errcheck // ends with Close
	return srv, "http://" + ln.Addr().String() + "/", nil
}
