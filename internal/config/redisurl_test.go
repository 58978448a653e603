package config_test

import (
	"context"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/config"
	"github.com/smsq/smsq/internal/redistest"
)

func TestSentinelURL(t *testing.T) {
	for _, tc := range []struct {
		name, url string
		want      asynq.RedisFailoverClientOpt
	}{
		{
			"no password",
			"redis-sentinel://s0:26379,s1:26379,s2:26379?master=mymaster",
			asynq.RedisFailoverClientOpt{MasterName: "mymaster", SentinelAddrs: []string{"s0:26379", "s1:26379", "s2:26379"}},
		},
		{
			"one password for data nodes and sentinels, a database",
			"redis-sentinel://:hunter2@s0:26379,s1:26379/3?master=mymaster",
			asynq.RedisFailoverClientOpt{MasterName: "mymaster", SentinelAddrs: []string{"s0:26379", "s1:26379"}, Password: "hunter2", SentinelPassword: "hunter2", DB: 3},
		},
		{
			"ACL user, sentinels with their own password",
			"redis-sentinel://smsq:hunter2@s0:26379/0?master=m&sentinel_password=s%40cret",
			asynq.RedisFailoverClientOpt{MasterName: "m", SentinelAddrs: []string{"s0:26379"}, Username: "smsq", Password: "hunter2", SentinelPassword: "s@cret"},
		},
		{
			"password on the sentinels only",
			"redis-sentinel://s0:26379?master=m&sentinel_password=hunter2",
			asynq.RedisFailoverClientOpt{MasterName: "m", SentinelAddrs: []string{"s0:26379"}, SentinelPassword: "hunter2"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("REDIS_URL", tc.url)
			c, err := config.Load()
			require.NoError(t, err)
			opt, err := c.RedisConnOpt()
			require.NoError(t, err)
			require.Equal(t, tc.want, opt)
		})
	}
}

func TestSentinelURLRefused(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"redis-sentinel://:hunter2@s0:26379,s1:26379", "master name is missing"},
		{"redis-sentinel://:hunter2@s0:26379/x?master=m", "database"},
		{"redis-sentinel://:hunter2@s0,s1:26379?master=m", "host and a port"},
		{"redis-sentinel://:hunter2@s0:26379?master=m&password=hunter2", `unknown parameter "password"`},
	} {
		t.Run(tc.want, func(t *testing.T) {
			t.Setenv("REDIS_URL", tc.url)
			_, err := config.Load()
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
	srv := redistest.Start(t, redistest.WithTCP(), redistest.WithArgs(
		"--user", "default", "off",
		"--user", "smsq", "on", ">pw-acl-9f3e", "~*", "&*", "+@all",
	))
	t.Setenv("REDIS_URL", "redis://smsq:pw-acl-9f3e@"+srv.Addr()+"/2")
	c, err := config.Load()
	require.NoError(t, err)
	opt, err := c.RedisConnOpt()
	require.NoError(t, err)
	require.Equal(t, asynq.RedisClientOpt{Addr: srv.Addr(), Username: "smsq", Password: "pw-acl-9f3e", DB: 2}, opt)

	rdb, err := c.RedisClient()
	require.NoError(t, err)
	defer rdb.Close()
	require.NoError(t, rdb.Ping(context.Background()).Err())
}
