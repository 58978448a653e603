package tasks

import (
	"github.com/redis/go-redis/v9"

	"github.com/smsq/smsq/internal/redisurl"
)

// OpenRedis returns a client for a REDIS_URL, parsed exactly as the smsq
// processes parse it:
//
//	redis://[[USER]:PASSWORD@]HOST:PORT[/DB]          (USER: a Redis 6+ ACL user)
//	rediss://[[USER]:PASSWORD@]HOST:PORT[/DB]         (TLS)
//	redis-socket://[:PASSWORD@]/PATH/TO/SOCKET[?db=N]
//	redis-sentinel://[[USER]:PASSWORD@]H1:26379,H2:26379[/DB]?master=NAME[&sentinel_password=P]
//
// It opens no connection yet. One client serves an Enqueuer and an
// Inspector together; close it when done. Errors never quote the URL.
func OpenRedis(redisURL string) (redis.UniversalClient, error) {
	return redisurl.Open(redisURL)
}
