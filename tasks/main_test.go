package tasks_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smsq/smsq/internal/redistest"
)

type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

// TestMain gives the examples a private redis-server of their own and points
// REDIS_URL at it, as a producer's environment would.
func TestMain(m *testing.M) {
	redis.SetLogger(quietRedis{})
	srv, err := redistest.StartProcess()
	if err != nil {
		fmt.Fprintln(os.Stderr, "tasks tests:", err)
		os.Exit(1)
	}
	os.Setenv("REDIS_URL", srv.URL())
	code := m.Run()
	srv.Close()
	os.Exit(code)
}

var paris = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err)
	}
	return loc
}()
