package redisurl_test

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/redistest"
	"github.com/smsq/smsq/internal/redisurl"
)

func TestSentinelURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, url string
		want      redis.FailoverOptions
	}{
		{
			"no password",
			"redis-sentinel://s0:26379,s1:26379,s2:26379?master=mymaster",
			redis.FailoverOptions{MasterName: "mymaster", SentinelAddrs: []string{"s0:26379", "s1:26379", "s2:26379"}},
		},
		{
			"one password for data nodes and sentinels, a database",
			"redis-sentinel://:hunter2@s0:26379,s1:26379/3?master=mymaster",
			redis.FailoverOptions{MasterName: "mymaster", SentinelAddrs: []string{"s0:26379", "s1:26379"}, Password: "hunter2", SentinelPassword: "hunter2", DB: 3},
		},
		{
			"ACL user, sentinels with their own password",
			"redis-sentinel://smsq:hunter2@s0:26379/0?master=m&sentinel_password=s%40cret",
			redis.FailoverOptions{MasterName: "m", SentinelAddrs: []string{"s0:26379"}, Username: "smsq", Password: "hunter2", SentinelPassword: "s@cret"},
		},
		{
			"password on the sentinels only",
			"redis-sentinel://s0:26379?master=m&sentinel_password=hunter2",
			redis.FailoverOptions{MasterName: "m", SentinelAddrs: []string{"s0:26379"}, SentinelPassword: "hunter2"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := redisurl.Parse(tc.url)
			require.NoError(t, err)
			require.Nil(t, o.Simple)
			require.Equal(t, tc.want, *o.Failover)
		})
	}
}

func TestSimpleURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		url  string
		want redis.Options
	}{
		{"redis://127.0.0.1:6379/0", redis.Options{Addr: "127.0.0.1:6379"}},
		{"redis://:pw@h:6380/4", redis.Options{Addr: "h:6380", Password: "pw", DB: 4}},
		{"redis://smsq:pw@h:6380", redis.Options{Addr: "h:6380", Username: "smsq", Password: "pw"}},
		{"redis-socket:///run/redis.sock?db=2", redis.Options{Network: "unix", Addr: "/run/redis.sock", DB: 2}},
	} {
		o, err := redisurl.Parse(tc.url)
		require.NoError(t, err, tc.url)
		require.Nil(t, o.Failover)
		require.Equal(t, tc.want, *o.Simple, tc.url)
	}
	o, err := redisurl.Parse("rediss://:pw@cache.example:6380/1")
	require.NoError(t, err)
	require.Equal(t, "cache.example", o.Simple.TLSConfig.ServerName)
}

func TestURLRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ url, want string }{
		{"redis-sentinel://:hunter2@s0:26379,s1:26379", "master name is missing"},
		{"redis-sentinel://:hunter2@s0:26379/x?master=m", "database"},
		{"redis-sentinel://:hunter2@s0,s1:26379?master=m", "host and a port"},
		{"redis-sentinel://:hunter2@s0:26379?master=m&password=hunter2", `unknown parameter "password"`},
		{"http://:hunter2@h:6379", "malformed"},
		{"redis://:hunter2@h:6379/notadb", "malformed"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			_, err := redisurl.Parse(tc.url)
			require.ErrorContains(t, err, "REDIS_URL")
			require.ErrorContains(t, err, tc.want)
			require.NotContains(t, err.Error(), "hunter2", "the URL's password must not reach the error")
		})
	}
}

// TestRedisACLUser logs in to a real redis-server whose only user is an ACL
// user, with REDIS_URL=redis://USER:PASSWORD@… (asynq's parser alone drops
// the user name and would log in as "default").
func TestRedisACLUser(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t, redistest.WithTCP(), redistest.WithArgs(
		"--user", "default", "off",
		"--user", "smsq", "on", ">pw-acl-9f3e", "~*", "&*", "+@all",
	))
	rdb, err := redisurl.Open("redis://smsq:pw-acl-9f3e@" + srv.Addr() + "/2")
	require.NoError(t, err)
	defer rdb.Close()
	require.NoError(t, rdb.Ping(context.Background()).Err())
}
