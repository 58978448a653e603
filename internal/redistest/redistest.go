// Package redistest starts private redis-server processes for tests.
//
// Every server gets its own data directory and a unix socket (or a loopback
// port), so tests can stop, kill and restart it without touching any Redis
// they did not start. The binary is redis-server from PATH, or $REDIS_SERVER.
package redistest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// Server is a redis-server process owned by one test (Start) or by a
// program (StartProcess).
type Server struct {
	t      testing.TB // nil for StartProcess
	dir    string
	socket string // unix socket path, or "" in TCP mode
	port   int    // TCP port, or 0 in socket mode
	args   []string
	// password is requirepass (WithPassword), or the sentinel's own.
	password string

	mu  sync.Mutex
	cmd *exec.Cmd
}

// Option configures a Server.
type Option func(*config)

type config struct {
	tcp      bool
	args     []string
	password string
}

// WithTCP listens on a free loopback port instead of a unix socket (needed
// when another process must reach the server by host:port, e.g. sentinels).
func WithTCP() Option { return func(c *config) { c.tcp = true } }

// WithAOF turns on append-only persistence with fsync on every write, so a
// restart keeps every acknowledged write.
func WithAOF() Option {
	return func(c *config) { c.args = append(c.args, "--appendonly", "yes", "--appendfsync", "always") }
}

// WithPassword makes the server require password p (requirepass), and use
// it as a replica (masterauth); every client this package hands out sends it.
func WithPassword(p string) Option { return func(c *config) { c.password = p } }

// WithArgs passes extra redis-server arguments (e.g. "--maxmemory", "2mb").
func WithArgs(args ...string) Option { return func(c *config) { c.args = append(c.args, args...) } }

// Start starts a redis-server for t and stops it when t ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s, err := newServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	s.t = t
	t.Cleanup(s.Close)
	s.Restart()
	return s
}

// newServer prepares a server (data directory, arguments) without starting it.
func newServer(opts []Option) (*Server, error) {
	var c config
	for _, o := range opts {
		o(&c)
	}
	bin := binary()
	if _, err := exec.LookPath(bin); err != nil {
		return nil, fmt.Errorf("redistest: %s not found (install Debian's redis-server package or set REDIS_SERVER): %v", bin, err)
	}
	// Unix socket paths are limited to ~100 bytes: t.TempDir() can be longer.
	dir, err := os.MkdirTemp("", "smsq-redis-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir}
	s.args = []string{"--dir", dir, "--save", "", "--appendonly", "no", "--logfile", filepath.Join(dir, "redis.log")}
	if c.tcp {
		port, err := loopbackPort()
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		s.port = port
		s.args = append(s.args, "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1")
	} else {
		s.socket = filepath.Join(dir, "redis.sock")
		s.args = append(s.args, "--port", "0", "--unixsocket", s.socket, "--unixsocketperm", "700")
	}
	if c.password != "" {
		s.password = c.password
		s.args = append(s.args, "--requirepass", c.password, "--masterauth", c.password)
	}
	s.args = append(s.args, c.args...) // later arguments win, so options override the defaults
	return s, nil
}

// Close kills the server and removes its data directory.
func (s *Server) Close() {
	s.Kill()
	os.RemoveAll(s.dir)
}

func freePort(t testing.TB) int {
	port, err := loopbackPort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

func loopbackPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Network returns "unix" or "tcp".
func (s *Server) Network() string {
	if s.socket != "" {
		return "unix"
	}
	return "tcp"
}

// Addr returns the socket path or host:port.
func (s *Server) Addr() string {
	if s.socket != "" {
		return s.socket
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
}

// Port returns the TCP port (0 in socket mode).
func (s *Server) Port() int { return s.port }

// Dir returns the server's data directory.
func (s *Server) Dir() string { return s.dir }

// URL returns a REDIS_URL for this server: redis-socket:// or redis://,
// with its password if it has one.
func (s *Server) URL() string {
	u := &url.URL{Scheme: "redis", Host: s.Addr(), Path: "/0"}
	if s.socket != "" {
		u = &url.URL{Scheme: "redis-socket", Path: s.socket}
	}
	if s.password != "" {
		u.User = url.UserPassword("", s.password)
	}
	return u.String()
}

// ConnOpt returns the asynq connection option for this server.
func (s *Server) ConnOpt() asynq.RedisClientOpt {
	return asynq.RedisClientOpt{Network: s.Network(), Addr: s.Addr(), Password: s.password}
}

// options are the go-redis options of a client of this server.
func (s *Server) options() *redis.Options {
	return &redis.Options{Network: s.Network(), Addr: s.Addr(), Password: s.password}
}

// Client returns a new go-redis client, closed when the test ends (the
// caller closes it for a StartProcess server).
func (s *Server) Client() *redis.Client {
	c := redis.NewClient(s.options())
	if s.t != nil {
		s.t.Cleanup(func() { c.Close() })
	}
	return c
}

// Restart starts the process again after Stop or Kill (a no-op while running)
// and waits until it answers PING.
func (s *Server) Restart() {
	if s.t == nil {
		if err := s.start(); err != nil {
			panic(err)
		}
		return
	}
	s.t.Helper()
	if err := s.start(); err != nil {
		s.t.Fatal(err)
	}
}

// start is Restart, returning the failure.
func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return nil
	}
	cmd := exec.Command(binary(), s.args...)
	cmd.Dir = s.dir
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("redistest: start redis-server: %v", err)
	}
	s.cmd = cmd
	go cmd.Wait() //nolint:errcheck // reaps the process; exit status is irrelevant
	if err := s.waitReady(15 * time.Second); err != nil {
		return fmt.Errorf("redistest: redis-server did not become ready: %v\n%s", err, s.logTail())
	}
	return nil
}

func binary() string {
	if b := os.Getenv("REDIS_SERVER"); b != "" {
		return b
	}
	return "redis-server"
}

func (s *Server) waitReady(d time.Duration) error {
	o := s.options()
	o.MaxRetries, o.DialTimeout = -1, 200*time.Millisecond
	c := redis.NewClient(o)
	defer c.Close()
	deadline := time.Now().Add(d)
	var err error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		err = c.Ping(ctx).Err()
		cancel()
		// NOAUTH: up, and its users are ACL users this package does not know
		// (WithArgs("--user", …)); the test logs in itself.
		if err == nil || strings.HasPrefix(err.Error(), "NOAUTH") {
			return nil
		}
		// Loading an AOF answers LOADING; keep polling.
		time.Sleep(10 * time.Millisecond)
	}
	return err
}

// Stop shuts the server down cleanly (SHUTDOWN, which persists when AOF is on).
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	c := redis.NewClient(s.options())
	_ = c.Shutdown(context.Background()).Err() // the connection drops: an error is expected
	c.Close()
	s.waitExit()
}

// Kill kills the server with SIGKILL.
func (s *Server) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	s.waitExit()
}

func (s *Server) waitExit() {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if s.cmd.Process.Signal(syscallZero) != nil {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if s.socket != "" {
		os.Remove(s.socket)
	}
	s.cmd = nil
}

func (s *Server) logTail() string {
	f, err := os.Open(filepath.Join(s.dir, "redis.log"))
	if err != nil {
		return ""
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > 20 {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// String describes the server for test logs.
func (s *Server) String() string { return fmt.Sprintf("redis-server at %s", s.Addr()) }
