// Command worker runs smsq's task server and HTTP endpoints (health,
// webhooks, metrics, web UI). Configuration comes from the environment
// (worker --help lists it; docs/configuration.md); --role (or WORKER_ROLE)
// picks all, tasks or webhooks so one image serves task pods and
// webhook-only pods.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // SMSMODE_TIMEZONE must work in an image without /usr/share/zoneinfo

	"github.com/smsq/smsq/internal/config"
	"github.com/smsq/smsq/internal/worker"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors and help are printed below
	roleFlag := fs.String("role", "", "all, tasks or webhooks (default: $WORKER_ROLE, else all)")
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		printHelp(stdout)
		return 0
	case err != nil:
		fmt.Fprintf(stderr, "worker: %v; run \"worker --help\" for usage\n", err)
		return 2
	case fs.NArg() > 0:
		// e.g. `docker run IMAGE /enqueue …` without --entrypoint: say so
		// rather than silently start a worker.
		fmt.Fprintf(stderr, "worker: unexpected argument %q (flags: --role); to run another command of the image use --entrypoint\n", fs.Arg(0))
		return 2
	}

	cfg, err := config.Load()
	if err != nil {
		fmt.Fprintln(stderr, "worker:", err)
		return 2
	}
	if *roleFlag != "" {
		cfg.Role = *roleFlag
	}
	role, err := worker.ParseRole(cfg.Role)
	if err != nil {
		fmt.Fprintln(stderr, "worker: WORKER_ROLE:", err)
		return 2
	}
	logger := worker.NewLogger(stderr)
	// go-redis logs dial and pool errors itself; as JSON lines like the rest.
	worker.SetRedisLogger(logger)
	w, err := worker.New(cfg, role, logger)
	if err != nil {
		fmt.Fprintln(stderr, "worker:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := w.Run(ctx); err != nil {
		logger.Error("worker failed", "error", err.Error())
		return 1
	}
	return 0
}

func printHelp(w io.Writer) {
	fmt.Fprint(w, `worker — smsq's worker: delivers queued SMS and voice messages through
sMsmode, and serves the callback routes, the HTTP producer API, /healthz,
/readyz, /metrics and the web UI (/monitoring/).

Usage: worker [--role all|tasks|webhooks]

Flags:
  --role ROLE   all, tasks (task servers only) or webhooks (callback routes
                and HTTP producer API only); default $WORKER_ROLE, else all
  -h, --help    this help

Environment (every variable the worker reads; docs/configuration.md has the
full table and what Redis keeps for how long):
`)
	config.WriteHelp(w, "worker")
	fmt.Fprint(w, `
Logs: JSON lines on stderr (text on a terminal); durations in *_ms fields;
an identical line at most once per 10 s, with "repeated": N.

SIGTERM or SIGINT: stop taking tasks, give in-flight ones SHUTDOWN_TIMEOUT,
put the rest back in their queues, exit.
Exit status: 0 after a clean stop, 1 a failure while running, 2 invalid
configuration or usage.
`)
}
