// Package bench runs smsq's end-to-end benchmarks (`make bench`): the
// production handler stack against a bare asynq server, a provider-bound
// run, OTP latency, the webhook receiver, a 100,000-row batch, the
// producers, the HTTP API and the timeliness of OTPs beside campaigns, each
// against a private redis-server and the fake sMsmode on loopback.
// cmd/bench only wires flags to Run.
//
// One file per scenario (throughput.go, provider.go, otp.go, webhook.go,
// batch.go, enqueue.go, api.go, timeliness.go); what they share: env.go
// (Redis, settings, binaries, machine), workload.go (fake and sends),
// drain.go (asynq servers draining a queue), http.go, process.go (child
// binaries, RSS, CPU), stats.go, profile.go. Parallel clients come from
// internal/loadgen.
package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smsq/smsq/internal/redistest"
)

// Options select what Run measures.
type Options struct {
	// Only lists scenario names to run, among Scenarios: throughput,
	// provider, otp, webhook, batch, enqueue, api, timeliness; empty runs
	// them all.
	Only []string
	// Scale multiplies every task count (1 for the recorded figures; smaller
	// for a quick check of the harness).
	Scale float64
	// Rounds is how many rounds the throughput, webhook and api comparisons
	// run (throughput alternates bare and smsq runs); the median of each
	// figure is reported.
	Rounds int
	// CPUProfile, when set, receives a CPU profile of the smsq throughput
	// runs (the production handler stack draining the queue).
	CPUProfile string
	// ProviderCPUProfile, when set, receives a CPU profile of the
	// provider-bound run.
	ProviderCPUProfile string
	// WebhookCPUProfile, when set, receives a CPU profile of the first
	// receiver round of the webhook comparison.
	WebhookCPUProfile string
	// MemProfile, when set, receives the allocation profiles before
	// (MemProfile+".base") and after the first smsq throughput run.
	MemProfile string
	// BareCPUProfile, when set, receives a CPU profile of the first bare
	// throughput run, for comparison.
	BareCPUProfile string
	// BinDir holds prebuilt enqueue and worker binaries; empty builds them
	// into a temporary directory.
	BinDir string
	// MaxLoad and LoadWait: before starting, wait up to LoadWait for the
	// 1-minute load average to drop below MaxLoad (the machine is shared).
	MaxLoad  float64
	LoadWait time.Duration
	// Progress receives one line per step (stderr).
	Progress io.Writer
}

// Scenarios in the order they run.
var Scenarios = []string{"throughput", "provider", "otp", "webhook", "batch", "enqueue", "api", "timeliness"}

// Row is one line of the table.
type Row struct {
	Scenario  string
	Workload  string
	Smsq      string // smsq's figure
	Reference string // what it is compared with
	Ratio     string
	Target    string
	Verdict   string // met, missed, or "" without a target
	Load      string // load average at the scenario's start → end
}

// Report is the outcome of Run.
type Report struct {
	Machine Machine
	Rows    []Row
	Command string
}

// Run starts a private redis-server and runs the scenarios.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if opts.Scale <= 0 {
		opts.Scale = 1
	}
	if opts.Rounds <= 0 {
		opts.Rounds = 1
	}
	for _, s := range opts.Only {
		if !slices.Contains(Scenarios, s) {
			return nil, fmt.Errorf("unknown scenario %q (want %s)", s, strings.Join(Scenarios, ", "))
		}
	}
	tmp, err := os.MkdirTemp("", "smsq-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	e := &env{opts: opts, tmp: tmp}
	removeBinaries, err := e.buildBinaries()
	if err != nil {
		return nil, err
	}
	defer removeBinaries()
	srv, err := redistest.StartProcess()
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	e.connOpt = srv.ConnOpt()
	e.rdb = redis.NewClient(&redis.Options{Network: srv.Network(), Addr: srv.Addr()})
	defer e.rdb.Close()
	e.redisPID, _ = strconv.Atoi(redisInfo(ctx, e.rdb, "process_id"))
	if err := isolateEnv(srv.URL()); err != nil {
		return nil, err
	}
	e.devnull, err = os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return nil, err
	}
	defer e.devnull.Close()
	e.logger = discardLogger(e.devnull)

	e.waitQuiet(ctx)
	rep := &Report{Machine: Machine{
		CPU: cpuModel(), Cores: runtime.NumCPU(), Go: runtime.Version(),
		Redis: redisVersion(ctx, e.rdb), StartedAt: time.Now(),
	}}
	_, rep.Machine.LoadStart = loadAvg()
	want := func(name string) bool { return len(opts.Only) == 0 || slices.Contains(opts.Only, name) }
	step := func(name string, f func() ([]Row, error)) error {
		if !want(name) {
			return nil
		}
		_, l0 := loadAvg()
		e.progress("%s: starting (load %s)", name, l0)
		rows, err := f()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		_, l1 := loadAvg()
		for i := range rows {
			rows[i].Load = first(l0) + " → " + first(l1)
		}
		rep.Rows = append(rep.Rows, rows...)
		return ctx.Err()
	}
	one := func(f func(context.Context) (Row, error)) func() ([]Row, error) {
		return func() ([]Row, error) {
			r, err := f(ctx)
			return []Row{r}, err
		}
	}
	for _, s := range []struct {
		name string
		f    func() ([]Row, error)
	}{
		{"throughput", one(e.throughput)},
		{"provider", one(e.providerBound)},
		{"otp", one(e.otpLatency)},
		{"webhook", one(e.webhook)},
		{"batch", func() ([]Row, error) { return e.batch(ctx) }},
		{"enqueue", func() ([]Row, error) { return e.enqueue(ctx) }},
		{"api", one(e.httpAPI)},
		{"timeliness", func() ([]Row, error) { return e.timeliness(ctx) }},
	} {
		if err := step(s.name, s.f); err != nil {
			return rep, err
		}
	}
	_, rep.Machine.LoadEnd = loadAvg()
	rep.Machine.FinishedAt = time.Now()
	return rep, nil
}

// first returns the 1-minute figure of a "1m 5m 15m" load string.
func first(load string) string {
	if f := strings.Fields(load); len(f) > 0 {
		return f[0]
	}
	return load
}

// Markers delimit the generated section of BENCHMARKS.md.
const (
	MarkStart = "<!-- bench:start -->"
	MarkEnd   = "<!-- bench:end -->"
)

// Markdown renders the report as the generated section, markers included.
func (r *Report) Markdown() string {
	var b strings.Builder
	m := r.Machine
	b.WriteString(MarkStart + "\n")
	b.WriteString("## End to end (`make bench`)\n\n")
	b.WriteString("Generated by `" + r.Command + "` (`make bench`); everything between the markers is rewritten on each run.\n")
	b.WriteString("One private redis-server (unix socket), the fake sMsmode on loopback and the\n")
	b.WriteString("measured code share the machine's cores; smsq's rows run the production stack\n")
	b.WriteString("(`worker.NewTaskStack`: logging and metrics middlewares, provider metrics, ledger,\n")
	b.WriteString("result writer; JSON logs to /dev/null) or the built binaries. The load average\n")
	b.WriteString("includes the benchmark itself (it keeps one to two cores busy); the start figure is\n")
	b.WriteString("taken after waiting for the machine to quieten down.\n\n")
	fmt.Fprintf(&b, "**Machine.** %s, %d cores, %s, redis-server %s; load average %s at start, %s at end (%s, %s).\n\n",
		m.CPU, m.Cores, m.Go, m.Redis, m.LoadStart, m.LoadEnd,
		m.StartedAt.UTC().Format("2006-01-02 15:04 UTC"), m.FinishedAt.Sub(m.StartedAt).Round(time.Second))
	b.WriteString("| scenario | workload | smsq | compared with | ratio | target | result | load (1 min) |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, row := range r.Rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n",
			row.Scenario, row.Workload, row.Smsq, row.Reference, row.Ratio, row.Target, row.Verdict, row.Load)
	}
	b.WriteString(MarkEnd + "\n")
	return b.String()
}

// WriteInto replaces the marked section of the file at path, or appends it.
func (r *Report) WriteInto(path string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	s, section := string(old), r.Markdown()
	i, j := strings.Index(s, MarkStart), strings.Index(s, MarkEnd)
	switch {
	case i >= 0 && j > i:
		end := j + len(MarkEnd)
		if end < len(s) && s[end] == '\n' {
			end++
		}
		s = s[:i] + section + s[end:]
	default:
		if s != "" && !strings.HasSuffix(s, "\n") {
			s += "\n"
		}
		if s != "" {
			s += "\n"
		}
		s += section
	}
	return os.WriteFile(path, []byte(s), 0o644)
}
