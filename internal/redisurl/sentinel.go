package redisurl

import (
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/hibiken/asynq"
)

// parseSentinelURL reads REDIS_URL's Sentinel form:
//
//	redis-sentinel://[[USER]:PASSWORD@]HOST1:26379,HOST2:26379[/DB]?master=NAME[&sentinel_password=P]
//
// asynq.ParseRedisURI gives the user-info password to the Sentinels only and
// drops the database, so the data nodes could have no password at all. Here
// USER and PASSWORD authenticate to the primary and replicas (ACL user or
// requirepass) and, as in the common charts where both share one secret, to
// the Sentinels too; sentinel_password gives the Sentinels a password of
// their own (or one where the data nodes have none). Errors never quote the
// URL: it may hold a password.
func parseSentinelURL(u *url.URL) (asynq.RedisFailoverClientOpt, error) {
	var opt asynq.RedisFailoverClientOpt
	q := u.Query()
	for k := range q {
		if k != "master" && k != "sentinel_password" {
			return opt, errors.New("unknown parameter " + strconv.Quote(k) + " (want master, sentinel_password)")
		}
	}
	opt.MasterName = q.Get("master")
	if opt.MasterName == "" {
		return opt, errors.New("the master name is missing (?master=NAME)")
	}
	for _, a := range strings.Split(u.Host, ",") {
		host, port, ok := strings.Cut(a, ":")
		if !ok || host == "" || port == "" {
			return opt, errors.New("each Sentinel address needs a host and a port (h1:26379,h2:26379)")
		}
		opt.SentinelAddrs = append(opt.SentinelAddrs, a)
	}
	if u.User != nil {
		opt.Username = u.User.Username()
		opt.Password, _ = u.User.Password()
		opt.SentinelPassword = opt.Password
	}
	if q.Has("sentinel_password") {
		opt.SentinelPassword = q.Get("sentinel_password")
	}
	if db := strings.Trim(u.Path, "/"); db != "" {
		n, err := strconv.Atoi(db)
		if err != nil || n < 0 {
			return opt, errors.New("the database (path) is not a number")
		}
		opt.DB = n
	}
	return opt, nil
}
