package webhook_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/smsq/smsq/internal/redistest"
)

// quietRedis drops go-redis's internal log lines (dial failures while the
// tests stop Redis on purpose).
type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

// TestMain also gives the examples a private redis-server, at REDIS_URL as
// in a real deployment.
func TestMain(m *testing.M) {
	redis.SetLogger(quietRedis{})
	srv, err := redistest.StartProcess()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("REDIS_URL", srv.URL())
	code := m.Run()
	srv.Close()
	os.Exit(code)
}
