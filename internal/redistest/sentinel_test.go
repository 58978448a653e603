package redistest_test

import (
	"context"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/redistest"
)

func TestSentinelURLIsWhatAsynqParses(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts five Redis processes")
	}
	top := redistest.StartSentinel(t)
	opt, err := asynq.ParseRedisURI(top.URL())
	require.NoError(t, err)
	require.Equal(t, top.ConnOpt(), opt)
	fo := opt.(asynq.RedisFailoverClientOpt)
	require.Equal(t, redistest.MasterName, fo.MasterName)
	require.Len(t, fo.SentinelAddrs, 3)
}

// A write a replica confirmed (WAIT) survives the master's SIGKILL; the
// failover client follows the new master; the revived old master rejoins
// as a replica of it.
func TestSentinelFailoverKeepsReplicatedWrites(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("waits for a sentinel failover")
	}
	ctx := context.Background()
	top := redistest.StartSentinel(t)
	c := top.Client()
	old, err := top.MasterAddr(ctx)
	require.NoError(t, err)
	require.Equal(t, top.Master.Addr(), old)

	require.NoError(t, c.Set(ctx, "k", "v", 0).Err())
	n, err := c.Wait(ctx, 1, 5*time.Second).Result()
	require.NoError(t, err)
	require.EqualValues(t, 1, n, "the replica confirms the write")

	killed := time.Now()
	top.Kill(top.Master)
	addr, err := top.WaitFailover(old, time.Minute)
	require.NoError(t, err)
	require.Equal(t, top.Replica.Addr(), addr)
	t.Logf("failover took %v", time.Since(killed).Round(time.Millisecond))

	require.Eventually(t, func() bool { return c.Get(ctx, "k").Val() == "v" }, 30*time.Second, 20*time.Millisecond)
	require.NoError(t, c.Set(ctx, "k2", "v2", 0).Err())

	top.Revive(top.Master)
	require.NoError(t, top.WaitReplicas(1, time.Minute))
	require.Equal(t, "v2", top.Master.Client().Get(ctx, "k2").Val(), "the old master is now an up-to-date replica")
	cur, err := top.CurrentMaster()
	require.NoError(t, err)
	require.Same(t, top.Replica, cur)
}
