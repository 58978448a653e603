// Command worker runs smsq's task server and HTTP endpoints (health,
// webhooks, metrics, web UI). Configuration comes from the environment (see
// README); --role (or WORKER_ROLE) picks all, tasks or webhooks so one image
// serves task pods and webhook-only pods.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // SMSMODE_TIMEZONE must work in an image without /usr/share/zoneinfo

	"github.com/smsq/smsq/internal/config"
	"github.com/smsq/smsq/internal/worker"
)

func main() {
	roleFlag := flag.String("role", "", "all, tasks or webhooks (default: $WORKER_ROLE, else all)")
	flag.Parse()
	if flag.NArg() > 0 {
		// e.g. `docker run IMAGE /enqueue …` without --entrypoint: say so
		// rather than silently start a worker.
		fmt.Fprintf(os.Stderr, "worker: unexpected argument %q (flags: --role); to run another command of the image use --entrypoint\n", flag.Arg(0))
		os.Exit(2)
	}

	cfg, err := config.Load()
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(2)
	}
	if *roleFlag != "" {
		cfg.Role = *roleFlag
	}
	role, err := worker.ParseRole(cfg.Role)
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker: WORKER_ROLE:", err)
		os.Exit(2)
	}
	logger := worker.NewLogger(os.Stderr)
	w, err := worker.New(cfg, role, logger)
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
