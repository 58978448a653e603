// Package redisurl parses REDIS_URL, the one syntax every smsq process and
// the Go producer API accept:
//
//	redis://[[USER]:PASSWORD@]HOST:PORT[/DB]         (USER: a Redis 6+ ACL user)
//	rediss://[[USER]:PASSWORD@]HOST:PORT[/DB]        (TLS)
//	redis-socket://[:PASSWORD@]/PATH/TO/SOCKET[?db=N]
//	redis-sentinel://[[USER]:PASSWORD@]H1:26379,H2:26379[/DB]?master=NAME[&sentinel_password=P]
//
// Errors never quote the URL: it may hold a password.
package redisurl

import (
	"errors"
	"net/url"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// Options are the go-redis options of a parsed REDIS_URL: exactly one of
// Simple (a single server) and Failover (Sentinel) is set. Callers may
// adjust them (timeouts, retries) before NewClient.
type Options struct {
	Simple   *redis.Options
	Failover *redis.FailoverOptions
}

// Parse reads a REDIS_URL.
func Parse(s string) (Options, error) {
	if u, err := url.Parse(s); err == nil && u.Scheme == "redis-sentinel" {
		o, err := parseSentinelURL(u)
		if err != nil {
			return Options{}, errors.New("REDIS_URL (redis-sentinel://): " + err.Error())
		}
		return Options{Failover: &redis.FailoverOptions{
			MasterName: o.MasterName, SentinelAddrs: o.SentinelAddrs,
			SentinelUsername: o.SentinelUsername, SentinelPassword: o.SentinelPassword,
			Username: o.Username, Password: o.Password, DB: o.DB,
		}}, nil
	}
	// asynq's parser knows redis-socket:// and the TLS server name of
	// rediss://; it drops the ACL user, added back below.
	opt, err := asynq.ParseRedisURI(s)
	if err != nil {
		return Options{}, errors.New("REDIS_URL is malformed: want redis://, rediss://, redis-socket:// or redis-sentinel://")
	}
	o, ok := opt.(asynq.RedisClientOpt)
	if !ok {
		return Options{}, errors.New("REDIS_URL: unsupported form")
	}
	simple := &redis.Options{Network: o.Network, Addr: o.Addr, Password: o.Password, DB: o.DB, TLSConfig: o.TLSConfig}
	if u, err := url.Parse(s); err == nil && u.User != nil {
		simple.Username = u.User.Username()
	}
	return Options{Simple: simple}, nil
}

// NewClient returns a client for o. It opens no connection yet.
func (o Options) NewClient() redis.UniversalClient {
	if o.Failover != nil {
		return redis.NewFailoverClient(o.Failover)
	}
	return redis.NewClient(o.Simple)
}

// Open parses s and returns its client.
func Open(s string) (redis.UniversalClient, error) {
	o, err := Parse(s)
	if err != nil {
		return nil, err
	}
	return o.NewClient(), nil
}
