// Package producer connects a Go backend to smsq from its environment,
// exactly as the enqueue CLI does: REDIS_URL (Sentinel, ACL users, TLS),
// SMSMODE_DEFAULT_REGION, WORKER_QUEUES, MAX_RETRY, TASK_RETENTION,
// BATCH_CHUNK, MARKETING_HOURS, MARKETING_HOLIDAYS, ALLOWED_COUNTRIES,
// DAILY_COUNTRY_CAP, SMSMODE_TIMEZONE, with the documented defaults; and,
// when set, the sMsmode credentials a cancel after hand-over uses.
//
//	p, err := producer.FromEnv()
//	if err != nil {
//		log.Fatal(err) // one line naming the variable
//	}
//	defer p.Close()
//	res, err := p.Send(ctx, tasks.SendPayload{To: []string{"06 12 34 56 78"}, Message: "Votre code : 4821"},
//		tasks.WithTaskID("otp-"+userID), tasks.WithQueue(tasks.QueueCritical))
//	st, err := p.Status(ctx, res.ID)
//
// A Producer is a tasks.Enqueuer and a tasks.Inspector on one Redis
// client; it is safe for concurrent use.
package producer

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smsq/smsq/internal/config"
	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/tasks"
)

// Producer enqueues, inspects and cancels smsq tasks.
type Producer struct {
	*tasks.Enqueuer
	*tasks.Inspector
	rdb      redis.UniversalClient
	provider tasks.Deleter // nil without credentials: a worker cancels at sMsmode
}

// FromEnv reads the environment and opens the Redis client (no connection
// is made until the first call). Errors name the variable and never quote a
// secret.
func FromEnv() (*Producer, error) {
	cfg, err := config.Load()
	if err != nil {
		return nil, err
	}
	rdb, err := cfg.RedisClient()
	if err != nil {
		return nil, err
	}
	enq, err := tasks.NewEnqueuer(rdb, cfg.TaskOptions())
	if err != nil {
		rdb.Close()
		return nil, err
	}
	insp, err := tasks.NewInspector(rdb)
	if err != nil {
		rdb.Close()
		return nil, err
	}
	p := &Producer{Enqueuer: enq, Inspector: insp, rdb: rdb}
	if cfg.RequireProvider() == nil {
		c, err := smsmode.NewClient(cfg.ProviderConfig())
		if err != nil {
			rdb.Close()
			return nil, fmt.Errorf("config: SMSMODE_BASE_URL: %w", err)
		}
		p.provider = c
	}
	return p, nil
}

// Cancel cancels the task id (see tasks.Inspector.Cancel): with this
// environment's sMsmode credentials when it has them, else through a worker.
func (p *Producer) Cancel(ctx context.Context, id string) (tasks.CancelOutcome, error) {
	return p.Inspector.Cancel(ctx, id, p.provider, time.Now())
}

// Redis is the producer's Redis client, e.g. to check it answers.
func (p *Producer) Redis() redis.UniversalClient { return p.rdb }

// Close closes the Redis client.
func (p *Producer) Close() error { return p.rdb.Close() }
