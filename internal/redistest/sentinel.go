package redistest

import (
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

// MasterName is the name the sentinels of StartSentinel monitor.
const MasterName = "mymaster"

// Sentinel is a Redis Sentinel topology owned by one test, all on loopback
// TCP: a master, one replica of it and three sentinels (quorum 2) running
// `redis-server <conf> --sentinel`, so only Debian's redis-server package is
// needed (no redis-sentinel package).
//
// The sentinels detect a dead master after one second and fail over to the
// replica. Kill keeps a killed server's port reserved, so that sentinels still
// trying to reach it can never talk to a Redis another test started on that
// port; Revive brings it back, and the sentinels turn it into a replica of
// the current master.
type Sentinel struct {
	t testing.TB

	// Master and Replica are the initial roles; after a failover they swap
	// (see CurrentMaster).
	Master    *Server
	Replica   *Server
	Sentinels []*Server

	password string // WithAuth

	mu       sync.Mutex
	reserved map[*Server]net.Listener
}

// SentinelOption configures StartSentinel.
type SentinelOption func(*sentinelConfig)

type sentinelConfig struct {
	dataArgs []string
	password string
}

// WithDataArgs passes extra redis-server arguments to the master and the
// replica (e.g. "--min-replicas-to-write", "1").
func WithDataArgs(args ...string) SentinelOption {
	return func(c *sentinelConfig) { c.dataArgs = append(c.dataArgs, args...) }
}

// WithAuth makes every server of the topology, the sentinels included,
// require password p, as the common Kubernetes charts set it up; URL,
// ConnOpt and Client carry it.
func WithAuth(p string) SentinelOption {
	return func(c *sentinelConfig) { c.password = p }
}

// Sentinel timing, short so that a failover takes seconds in tests.
const (
	sentinelDownAfter       = 1000 // ms without an answer before a sentinel calls the master down
	sentinelFailoverTimeout = 5000 // ms
)

// StartSentinel starts the topology for t, waits until every sentinel sees
// the master, the replica in sync and the two other sentinels, and stops
// everything when t ends.
func StartSentinel(t testing.TB, opts ...SentinelOption) *Sentinel {
	t.Helper()
	var c sentinelConfig
	for _, o := range opts {
		o(&c)
	}
	// Full syncs (first sync, a revived master joining as a replica) start at
	// once instead of after Redis 7's default 5 s diskless-sync delay.
	data := []string{"--repl-diskless-sync", "yes", "--repl-diskless-sync-delay", "0"}
	data = append(data, c.dataArgs...)

	s := &Sentinel{t: t, password: c.password, reserved: map[*Server]net.Listener{}}
	s.Master = Start(t, WithTCP(), WithAOF(), WithPassword(c.password), WithArgs(data...))
	s.Replica = Start(t, WithTCP(), WithAOF(), WithPassword(c.password), WithArgs(data...),
		WithArgs("--replicaof", "127.0.0.1", strconv.Itoa(s.Master.Port())))
	// Registered before the sentinels start, so it runs after they are
	// killed (cleanups run last in, first out): no sentinel is left to try
	// the port once it is released.
	t.Cleanup(s.releaseAll)
	for range 3 {
		s.Sentinels = append(s.Sentinels, s.startSentinel(s.Master.Port()))
	}
	if err := s.waitTopology(s.Master.Addr(), 1, 60*time.Second); err != nil {
		t.Fatalf("redistest: sentinel topology not ready: %v\n%s", err, s.logs())
	}
	return s
}

func (s *Sentinel) startSentinel(masterPort int) *Server {
	t := s.t
	t.Helper()
	if _, err := exec.LookPath(binary()); err != nil {
		t.Fatalf("redistest: %s not found (install Debian's redis-server package or set REDIS_SERVER): %v", binary(), err)
	}
	dir, err := os.MkdirTemp("", "smsq-sentinel-")
	if err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	// Sentinels rewrite this file (CONFIG REWRITE) as they learn the
	// topology: it lives in the sentinel's own writable directory.
	conf := filepath.Join(dir, "sentinel.conf")
	text := fmt.Sprintf(`port %d
bind 127.0.0.1
daemonize no
dir %s
logfile %s
sentinel monitor %s 127.0.0.1 %d 2
sentinel down-after-milliseconds %s %d
sentinel failover-timeout %s %d
sentinel parallel-syncs %s 1
`, port, dir, filepath.Join(dir, "redis.log"),
		MasterName, masterPort,
		MasterName, sentinelDownAfter,
		MasterName, sentinelFailoverTimeout,
		MasterName)
	if s.password != "" {
		text += fmt.Sprintf("sentinel auth-pass %s %s\nrequirepass %s\n", MasterName, s.password, s.password)
	}
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := &Server{t: t, dir: dir, port: port, args: []string{conf, "--sentinel"}, password: s.password}
	srv.Restart()
	t.Cleanup(func() {
		srv.Kill()
		os.RemoveAll(dir)
	})
	return srv
}

// SentinelAddrs returns the sentinels' host:port addresses.
func (s *Sentinel) SentinelAddrs() []string {
	addrs := make([]string, len(s.Sentinels))
	for i, sn := range s.Sentinels {
		addrs[i] = sn.Addr()
	}
	return addrs
}

// URL returns the REDIS_URL of the topology:
// redis-sentinel://[:PASSWORD@]127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3?master=mymaster
// (internal/config reads the password as the data nodes' and the sentinels').
func (s *Sentinel) URL() string {
	auth := ""
	if s.password != "" {
		auth = url.UserPassword("", s.password).String() + "@"
	}
	return "redis-sentinel://" + auth + strings.Join(s.SentinelAddrs(), ",") + "?master=" + MasterName
}

// ConnOpt returns the asynq connection option for the topology.
func (s *Sentinel) ConnOpt() asynq.RedisFailoverClientOpt {
	return asynq.RedisFailoverClientOpt{
		MasterName: MasterName, SentinelAddrs: s.SentinelAddrs(),
		Password: s.password, SentinelPassword: s.password,
	}
}

// Client returns a new go-redis failover client (it asks the sentinels for
// the master and follows failovers), closed when the test ends.
func (s *Sentinel) Client() *redis.Client {
	c := redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName: MasterName, SentinelAddrs: s.SentinelAddrs(),
		Password: s.password, SentinelPassword: s.password,
	})
	s.t.Cleanup(func() { c.Close() })
	return c
}

// sentinelClient returns a client of one sentinel; the caller closes it.
func (s *Sentinel) sentinelClient(addr string) *redis.SentinelClient {
	return redis.NewSentinelClient(&redis.Options{
		Addr: addr, Password: s.password, MaxRetries: -1,
		DialTimeout: time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second,
	})
}

// MasterAddrs returns the master address each sentinel reports ("" for a
// sentinel that did not answer).
func (s *Sentinel) MasterAddrs(ctx context.Context) []string {
	out := make([]string, len(s.Sentinels))
	for i, sn := range s.Sentinels {
		c := s.sentinelClient(sn.Addr())
		hp, err := c.GetMasterAddrByName(ctx, MasterName).Result()
		c.Close()
		if err == nil && len(hp) == 2 {
			out[i] = net.JoinHostPort(hp[0], hp[1])
		}
	}
	return out
}

// MasterAddr returns the master address all sentinels agree on, or an error
// while they disagree (during a failover).
func (s *Sentinel) MasterAddr(ctx context.Context) (string, error) {
	addrs := s.MasterAddrs(ctx)
	for _, a := range addrs {
		if a == "" || a != addrs[0] {
			return "", fmt.Errorf("sentinels disagree on the master: %v", addrs)
		}
	}
	return addrs[0], nil
}

// ServerAt returns the topology's data server listening on addr (nil if none).
func (s *Sentinel) ServerAt(addr string) *Server {
	for _, srv := range []*Server{s.Master, s.Replica} {
		if srv.Addr() == addr {
			return srv
		}
	}
	return nil
}

// CurrentMaster returns the data server all sentinels report as master.
func (s *Sentinel) CurrentMaster() (*Server, error) {
	addr, err := s.MasterAddr(context.Background())
	if err != nil {
		return nil, err
	}
	if srv := s.ServerAt(addr); srv != nil {
		return srv, nil
	}
	return nil, fmt.Errorf("sentinels report %s, which is not one of this topology's servers", addr)
}

// WaitFailover waits until every sentinel reports a master other than old
// and that server answers as a master, and returns its address.
func (s *Sentinel) WaitFailover(old string, timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		addr, err := s.MasterAddr(ctx)
		switch {
		case err != nil:
			last = err
		case addr == old:
			last = fmt.Errorf("sentinels still report %s", old)
		case s.ServerAt(addr) == nil:
			cancel()
			return "", fmt.Errorf("sentinels report %s, which is not one of this topology's servers", addr)
		default:
			role, rerr := s.replicationInfo(ctx, addr)
			if rerr == nil && role["role"] == "master" {
				cancel()
				return addr, nil
			}
			last = fmt.Errorf("%s is not a master yet: %v %v", addr, role["role"], rerr)
		}
		cancel()
		time.Sleep(50 * time.Millisecond)
	}
	return "", fmt.Errorf("no failover within %v: %v\n%s", timeout, last, s.logs())
}

// WaitReplicas waits until the current master has n replicas in sync and
// every sentinel knows them as healthy replicas and knows the two other
// sentinels: the topology can fail over again.
func (s *Sentinel) WaitReplicas(n int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		addr, err := s.MasterAddr(ctx)
		if err == nil {
			err = s.checkTopology(ctx, addr, n)
		}
		cancel()
		if err == nil {
			return nil
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("topology not healed within %v: %v\n%s", timeout, last, s.logs())
}

func (s *Sentinel) waitTopology(master string, replicas int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := s.checkTopology(ctx, master, replicas)
		cancel()
		if err == nil {
			return nil
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	return last
}

// checkTopology reports why master, its replicas and the sentinels are not
// (yet) a healthy topology.
func (s *Sentinel) checkTopology(ctx context.Context, master string, replicas int) error {
	info, err := s.replicationInfo(ctx, master)
	if err != nil {
		return fmt.Errorf("master %s: %w", master, err)
	}
	if info["role"] != "master" {
		return fmt.Errorf("%s is a %s, not a master", master, info["role"])
	}
	online := 0
	for k, v := range info {
		if strings.HasPrefix(k, "slave") && strings.Contains(v, "state=online") {
			online++
		}
	}
	if online < replicas {
		return fmt.Errorf("master %s has %d of %d replicas online", master, online, replicas)
	}
	for _, sn := range s.Sentinels {
		if err := s.checkSentinel(ctx, sn.Addr(), master, replicas, len(s.Sentinels)-1); err != nil {
			return fmt.Errorf("sentinel %s: %w", sn.Addr(), err)
		}
	}
	return nil
}

func (s *Sentinel) checkSentinel(ctx context.Context, addr, master string, replicas, others int) error {
	c := s.sentinelClient(addr)
	defer c.Close()
	m, err := c.Master(ctx, MasterName).Result()
	if err != nil {
		return err
	}
	if got := net.JoinHostPort(m["ip"], m["port"]); got != master {
		return fmt.Errorf("reports master %s, want %s", got, master)
	}
	if m["flags"] != "master" {
		return fmt.Errorf("master flags %q", m["flags"])
	}
	rs, err := c.Replicas(ctx, MasterName).Result()
	if err != nil {
		return err
	}
	healthy := 0
	for _, r := range rs {
		if r["flags"] == "slave" && r["master-link-status"] == "ok" {
			healthy++
		}
	}
	if healthy < replicas {
		return fmt.Errorf("sees %d of %d healthy replicas: %v", healthy, replicas, rs)
	}
	ss, err := c.Sentinels(ctx, MasterName).Result()
	if err != nil {
		return err
	}
	ok := 0
	for _, o := range ss {
		if o["flags"] == "sentinel" {
			ok++
		}
	}
	if ok < others {
		return fmt.Errorf("sees %d of %d other sentinels", ok, others)
	}
	return nil
}

// replicationInfo returns INFO replication of the server at addr as a map.
func (s *Sentinel) replicationInfo(ctx context.Context, addr string) (map[string]string, error) {
	c := redis.NewClient(&redis.Options{Addr: addr, Password: s.password, MaxRetries: -1, DialTimeout: time.Second})
	defer c.Close()
	text, err := c.Info(ctx, "replication").Result()
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			m[k] = v
		}
	}
	return m, nil
}

// Kill SIGKILLs one of the topology's data servers and reserves its port
// until Revive (or the end of the test): the sentinels keep probing that
// address, and must never reach a Redis some other test started there.
// Connections to the reserved port are accepted and closed at once, which
// the sentinels see as a server that is down.
func (s *Sentinel) Kill(srv *Server) {
	s.t.Helper()
	srv.Kill()
	l, err := net.Listen("tcp", srv.Addr())
	if err != nil {
		s.t.Fatalf("redistest: reserve the port of the killed %s: %v", srv, err)
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	s.mu.Lock()
	s.reserved[srv] = l
	s.mu.Unlock()
}

// Revive releases the port Kill reserved and restarts srv with its data, as
// a replica of the master the sentinels report (the way a sentinel-aware
// init script brings a node back): it never serves stale data as a second
// master, and it is in sync within a second instead of waiting for the
// sentinels to convert it (about twenty seconds). If srv is still the
// master the sentinels report (no failover happened), it restarts as master.
func (s *Sentinel) Revive(srv *Server) {
	s.t.Helper()
	s.mu.Lock()
	l := s.reserved[srv]
	delete(s.reserved, srv)
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	addr, err := s.MasterAddr(ctx)
	cancel()
	if err != nil {
		s.t.Fatalf("redistest: revive %s: %v", srv, err)
	}
	if addr != srv.Addr() {
		host, port, _ := net.SplitHostPort(addr)
		srv.mu.Lock()
		srv.args = append(srv.args, "--replicaof", host, port) // the last replicaof wins
		srv.mu.Unlock()
	}
	if l != nil {
		l.Close()
	}
	srv.Restart()
}

func (s *Sentinel) releaseAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for srv, l := range s.reserved {
		l.Close()
		delete(s.reserved, srv)
	}
}

// logs returns the tail of every process's log, for failure messages.
func (s *Sentinel) logs() string {
	var b strings.Builder
	all := append([]*Server{s.Master, s.Replica}, s.Sentinels...)
	for _, srv := range all {
		if srv == nil {
			continue
		}
		fmt.Fprintf(&b, "--- %s\n%s\n", srv, srv.logTail())
	}
	return b.String()
}
