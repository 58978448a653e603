// Command bench runs smsq's end-to-end benchmarks (internal/bench) and
// prints one table; with -write it also replaces the marked section of
// BENCHMARKS.md. `make bench` runs `go run ./cmd/bench -write BENCHMARKS.md`.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/smsq/smsq/internal/bench"
)

func main() {
	var (
		write    = flag.String("write", "", "also replace (or append) the <!-- bench:start -->…<!-- bench:end --> section of `FILE` (e.g. BENCHMARKS.md)")
		cpu      = flag.String("cpuprofile", "", "write a CPU profile of the first smsq throughput run to this file")
		mem      = flag.String("memprofile", "", "write allocation profiles before (FILE.base) and after the first smsq throughput run")
		pbCPU    = flag.String("provider-cpuprofile", "", "write a CPU profile of the provider-bound run to this file")
		whCPU    = flag.String("webhook-cpuprofile", "", "write a CPU profile of the first webhook receiver round to this file")
		bareCPU  = flag.String("bare-cpuprofile", "", "write a CPU profile of the first bare-asynq throughput run to this file")
		only     = flag.String("only", "", "comma-separated scenarios to run ("+strings.Join(bench.Scenarios, ",")+"); default all")
		scale    = flag.Float64("scale", 1, "multiply every task count (e.g. 0.1 for a quick check; recorded figures use 1)")
		rounds   = flag.Int("rounds", 5, "rounds of the throughput, webhook and api comparisons (medians are reported)")
		bin      = flag.String("bin", "", "directory with prebuilt enqueue and worker binaries (default: build them)")
		maxLoad  = flag.Float64("max-load", 1.5, "wait for the 1-minute load average to drop below this before measuring (0: do not wait)")
		loadWait = flag.Duration("load-wait", 5*time.Minute, "how long to wait for -max-load")
	)
	flag.Parse()
	opts := bench.Options{
		Scale: *scale, Rounds: *rounds, BinDir: *bin,
		CPUProfile: *cpu, MemProfile: *mem, BareCPUProfile: *bareCPU,
		ProviderCPUProfile: *pbCPU, WebhookCPUProfile: *whCPU,
		MaxLoad: *maxLoad, LoadWait: *loadWait, Progress: os.Stderr,
	}
	if *only != "" {
		opts.Only = strings.Split(*only, ",")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := bench.Run(ctx, opts)
	if rep != nil {
		rep.Command = "go run ./cmd/bench " + strings.Join(os.Args[1:], " ")
	}
	if err != nil {
		if rep != nil && len(rep.Rows) > 0 {
			fmt.Print(rep.Markdown())
		}
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	fmt.Print(rep.Markdown())
	if *write != "" {
		if *scale != 1 || *only != "" {
			fmt.Fprintln(os.Stderr, "bench: -write needs the full run (no -scale, no -only): not written")
			os.Exit(1)
		}
		if err := rep.WriteInto(*write); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		fmt.Fprintln(os.Stderr, "bench: wrote", *write)
	}
}
