package redistest_test

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/redistest"
)

func TestRestartKeepsDataWithAOF(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := redistest.Start(t, redistest.WithAOF())
	c := srv.Client()
	require.NoError(t, c.Set(ctx, "k", "v", 0).Err())

	srv.Stop()
	require.Error(t, c.Ping(ctx).Err(), "server must be down after Stop")

	srv.Restart()
	got, err := c.Get(ctx, "k").Result()
	require.NoError(t, err)
	require.Equal(t, "v", got)
}

func TestKillWithoutPersistenceLosesData(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := redistest.Start(t, redistest.WithTCP())
	require.NotZero(t, srv.Port())
	c := srv.Client()
	require.NoError(t, c.Set(ctx, "k", "v", 0).Err())
	srv.Kill()
	srv.Restart()
	require.ErrorIs(t, c.Get(ctx, "k").Err(), redis.Nil)
}
