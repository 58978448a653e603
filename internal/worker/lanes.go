package worker

import (
	"errors"
	"sync"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/smsq/smsq/internal/config"
	"github.com/smsq/smsq/tasks"
)

// The critical lane keeps CRITICAL_CONCURRENCY task slots in every pod for
// queue critical alone. asynq's weighted queues only favour critical when a
// slot frees, and during a campaign every slot may be busy for seconds with
// a batch upload or a wait for the rate budget: an OTP would wait for the
// first one to end. The lane is a second asynq server in the process, on the
// same Redis client and the same mux (hence the same middlewares and
// metrics), serving critical only. The main server keeps serving every queue
// of WORKER_QUEUES, critical included, so a campaign never loses the
// capacity OTPs leave unused, and OTPs overflow into the main slots when the
// lane is full.
//
// Two asynq v0.26 servers in one process are independent: each has its own
// server ID, so the web UI lists two servers with the same host and PID (the
// lane with queues {critical: 1}); each heartbeater extends only the leases
// of its own tasks, and their recoverers, forwarders and janitors running on
// critical twice are idempotent Redis scripts. An idle lane polls critical
// every TaskCheckInterval like the main server.

// criticalLane returns the lane's configuration, derived from the main
// server's, or nil when cfg has none: CRITICAL_CONCURRENCY=0, or critical
// not in WORKER_QUEUES.
func criticalLane(cfg *config.Config, main asynq.Config) *asynq.Config {
	if cfg.CriticalConcurrency <= 0 {
		return nil
	}
	if _, ok := cfg.WorkerQueues[tasks.QueueCritical]; !ok {
		return nil
	}
	lane := main
	lane.Concurrency = cfg.CriticalConcurrency
	lane.Queues = map[string]int{tasks.QueueCritical: 1}
	return &lane
}

// taskServers runs a pod's asynq servers, the main one and the critical
// lane, as one component: they stop together, so that a shutdown takes one
// SHUTDOWN_TIMEOUT rather than one per server, and no server keeps taking
// tasks while another drains.
type taskServers struct {
	servers []*taskServer
}

func newTaskServers(rdb redis.UniversalClient, ts *TaskStack) *taskServers {
	s := &taskServers{servers: []*taskServer{newTaskServer("task server", rdb, ts.Config, ts.Mux)}}
	if ts.Critical != nil {
		s.servers = append(s.servers, newTaskServer("critical lane", rdb, *ts.Critical, ts.Mux))
	}
	return s
}

func (s *taskServers) String() string {
	if len(s.servers) > 1 {
		return "task servers"
	}
	return s.servers[0].String()
}

func (s *taskServers) start() error {
	for i, srv := range s.servers {
		if err := srv.start(); err != nil {
			shutdownAll(s.servers[:i])
			return err
		}
	}
	return nil
}

// shutdown stops every server from taking new tasks, then waits (up to
// SHUTDOWN_TIMEOUT, for all of them at once) for the tasks in flight; the
// rest go back to their queues.
func (s *taskServers) shutdown() { shutdownAll(s.servers) }

func shutdownAll(servers []*taskServer) {
	for _, srv := range servers {
		srv.server.Stop()
	}
	var wg sync.WaitGroup
	for _, srv := range servers {
		wg.Go(srv.shutdown)
	}
	wg.Wait()
}

// ready reports every server that no longer runs.
func (s *taskServers) ready() error {
	var errs []error
	for _, srv := range s.servers {
		if err := srv.ready(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
