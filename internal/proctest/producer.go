package proctest

import (
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/config"
	"github.com/smsq/smsq/tasks"
	"github.com/smsq/smsq/tasks/store"
)

// Enqueuer is a Go producer on rdb with the default settings, but maxRetry
// retries (the tests' own MAX_RETRY).
func Enqueuer(t testing.TB, rdb redis.UniversalClient, maxRetry int) *tasks.Enqueuer {
	t.Helper()
	o := config.Defaults().TaskOptions()
	o.MaxRetry = maxRetry
	e, err := tasks.NewEnqueuer(rdb, o)
	require.NoError(t, err)
	return e
}

// Inspector is a task inspector on rdb.
func Inspector(t testing.TB, rdb redis.UniversalClient) *tasks.Inspector {
	t.Helper()
	i, err := tasks.NewInspector(rdb)
	require.NoError(t, err)
	return i
}

// Ledger is the acceptance ledger in rdb.
func Ledger(t testing.TB, rdb redis.UniversalClient) *store.Ledger {
	t.Helper()
	l, err := store.NewLedger(rdb, store.DefaultLedgerTTL)
	require.NoError(t, err)
	return l
}
