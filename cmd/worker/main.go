// Command worker runs smsq's task server and HTTP endpoints. Configuration
// comes from the environment (see README).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // SMSMODE_TIMEZONE must work in a scratch image without /usr/share/zoneinfo

	"github.com/smsq/smsq/internal/config"
	"github.com/smsq/smsq/internal/worker"
)

func main() {
	cfg, err := config.Load()
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(2)
	}
	logger := worker.NewLogger(os.Stderr)
	w, err := worker.New(cfg, logger)
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := w.Run(ctx); err != nil {
		logger.Error("worker failed", "error", err.Error())
		os.Exit(1)
	}
}
