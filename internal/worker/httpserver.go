package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/net/netutil"
)

// Limits of every listener: whatever listens on the network assumes a
// hostile client.
const (
	maxHeaderBytes = 32 << 10 // request line (webhook query strings: up to 16 KiB) and headers
	maxConns       = 512      // per listener; more wait in the kernel's backlog
	idleTimeout    = 20 * time.Second
)

// httpServer is one listener and its server.
type httpServer struct {
	name, address string
	srv           *http.Server

	mu     sync.Mutex
	ln     net.Listener
	failed chan error // receives Serve's error if it stops on its own; closed on shutdown
}

func newHTTPServer(name, address string, h http.Handler, logger *slog.Logger) *httpServer {
	return &httpServer{
		name: name, address: address, failed: make(chan error, 1),
		srv: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 5 * time.Second, // slow clients cannot hold connections open
			ReadTimeout:       10 * time.Second,
			WriteTimeout:      30 * time.Second,
			IdleTimeout:       idleTimeout,
			MaxHeaderBytes:    maxHeaderBytes,
			ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		},
	}
}

func (s *httpServer) String() string { return s.name + " server" }

func (s *httpServer) start() error {
	ln, err := net.Listen("tcp", s.address)
	if err != nil {
		return fmt.Errorf("%s %s: %w", s.name, s.address, err)
	}
	s.mu.Lock()
	s.ln = netutil.LimitListener(ln, maxConns)
	s.mu.Unlock()
	go func() {
		if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.failed <- err
		}
	}()
	return nil
}

func (s *httpServer) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
}

// addr is the listener's address once started ("" before).
func (s *httpServer) addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}
