package redistest

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/redis/go-redis/v9"
)

// Main runs a test binary's tests, for TestMain: go-redis's own log lines
// are dropped (dial failures while tests stop their Redis on purpose), and
// with WithExampleServer the examples get a private redis-server at
// REDIS_URL, as a deployment's environment would give them.
//
//	func TestMain(m *testing.M) { redistest.Main(m, redistest.WithExampleServer()) }
func Main(m *testing.M, opts ...MainOption) {
	var mo mainOptions
	for _, o := range opts {
		o(&mo)
	}
	redis.SetLogger(quiet{})
	var srv *Server
	if mo.exampleServer {
		var err error
		if srv, err = StartProcess(); err != nil {
			fmt.Fprintln(os.Stderr, "redistest:", err)
			os.Exit(1)
		}
		os.Setenv("REDIS_URL", srv.URL())
	}
	code := m.Run()
	if srv != nil {
		srv.Close()
	}
	os.Exit(code)
}

// MainOption configures Main.
type MainOption func(*mainOptions)

type mainOptions struct{ exampleServer bool }

// WithExampleServer starts one redis-server for the whole binary and sets
// REDIS_URL to it (examples cannot take a *testing.T).
func WithExampleServer() MainOption { return func(o *mainOptions) { o.exampleServer = true } }

// quiet drops go-redis's internal log lines.
type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}
