package bench

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/smsq/smsq/tasks"
)

// --- 6. enqueue ------------------------------------------------------------

// enqueue measures the producers: sequential runs of the built `enqueue
// send` (process start included) and the Go producer API.
func (e *env) enqueue(ctx context.Context) ([]Row, error) {
	runs := e.n(200, 20)
	if err := e.flush(ctx); err != nil {
		return nil, err
	}
	bin := filepath.Join(e.binDir, "enqueue")
	env := childEnv()
	start := time.Now()
	for i := range runs {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		cmd := exec.CommandContext(cctx, bin, "send", "--to", fmt.Sprintf("06%08d", 12_000_000+i), "--message", "Votre code : 4821", "--queue", tasks.QueueCritical)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		cancel()
		if err != nil {
			return nil, fmt.Errorf("enqueue send: %v: %s", err, tail(string(out), 300))
		}
	}
	cli := time.Since(start)

	n := e.n(20_000, 1_000)
	if err := e.flush(ctx); err != nil {
		return nil, err
	}
	d, err := e.enqueueSends(ctx, n, "api", tasks.QueueDefault)
	if err != nil {
		return nil, err
	}
	return []Row{{
		Scenario: "6a. `enqueue send`",
		Workload: fmt.Sprintf("%d sequential runs of the built binary (exec, config, Redis connection, validation, enqueue)", runs),
		Smsq:     fmt.Sprintf("%.1f runs/s (%.1f ms each)", rate(runs, cli), float64(cli.Microseconds())/1000/float64(runs)),
	}, {
		Scenario: "6b. Go producer API",
		Workload: fmt.Sprintf("tasks.Enqueuer.Send of %s distinct sends, %d goroutines", num(float64(n)), producerConcurrency),
		Smsq:     fmt.Sprintf("%s enqueues/s", num(rate(n, d))),
	}}, nil
}
