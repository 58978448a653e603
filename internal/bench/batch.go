package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/smsq/smsq/tasks"
)

// --- 5. batch --------------------------------------------------------------

// batch runs the built `enqueue batch` on a CSV of rows (wall time and max
// RSS), then the built worker draining the chunks against the fake (drain
// time and peak RSS).
func (e *env) batch(ctx context.Context) ([]Row, error) {
	rows := e.n(100_000, 2_000)
	chunks := (rows + 999) / 1000
	file := filepath.Join(e.tmp, "rows.csv")
	var b strings.Builder
	b.WriteString("numero,message,emetteur,refClient\n")
	for i := range rows {
		fmt.Fprintf(&b, "06%08d,Bonjour client %d : votre commande est prête,MYSHOP,ref-%d\n", 12_000_000+i, i, i)
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		return nil, err
	}
	if err := e.flush(ctx); err != nil {
		return nil, err
	}
	wall, rss, how, out, err := runMeasured(ctx, childEnv(), filepath.Join(e.binDir, "enqueue"), "batch", "--file", file, "--id", "bench")
	if err != nil {
		return nil, err
	}
	if got := len(strings.Fields(string(out))); got != chunks {
		return nil, fmt.Errorf("enqueue batch printed %d IDs, want %d", got, chunks)
	}
	e.progress("batch enqueue: %s, max RSS %d MiB", wall.Round(time.Millisecond), rss/1024)
	enqueueRow := Row{
		Scenario: "5a. batch enqueue",
		Workload: fmt.Sprintf("`enqueue batch` (built binary) of a %s-row CSV → %d chunk tasks", num(float64(rows)), chunks),
		Smsq:     fmt.Sprintf("%.2f s (%s rows/s), max RSS %d MB (%s)", wall.Seconds(), num(rate(rows, wall)), rss/1024, how),
		Target:   "< 10 s, < 200 MB",
		Verdict:  verdict(wall < 10*time.Second && rss < 200*1024),
	}

	// The worker binary drains the chunks against the fake.
	fake := newFake()
	defer fake.Close()
	w, err := e.startWorker("worker.log", "SMSMODE_BASE_URL="+fake.URL)
	if err != nil {
		return nil, err
	}
	// VmHWM, not the rusage of the exited child (see vmHWM), polled while
	// the worker runs.
	var maxRSS int64
	insp := asynq.NewInspector(e.connOpt)
	defer insp.Close()
	deadline := time.After(5 * time.Minute)
	var drained time.Duration
poll:
	for {
		select {
		case <-w.done:
			w.log.Close()
			return nil, w.exitError("worker exited early")
		case <-deadline:
			w.kill()
			return nil, fmt.Errorf("worker did not drain %d chunks in 5 minutes", chunks)
		case <-ctx.Done():
			w.kill()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		maxRSS = max(maxRSS, vmHWM(w.pid()))
		if fake.RequestCount("sendSMSBatch.do") < chunks {
			continue
		}
		qi, err := insp.GetQueueInfo(tasks.QueueLow)
		if err == nil && qi.Pending == 0 && qi.Active == 0 && qi.Retry == 0 && qi.Completed == chunks {
			drained = time.Since(w.started)
			break poll
		}
	}
	maxRSS = max(maxRSS, vmHWM(w.pid()))
	w.stop()
	if got := fake.RequestCount("sendSMSBatch.do"); got != chunks {
		return nil, fmt.Errorf("the fake got %d batch calls for %d chunks", got, chunks)
	}
	e.progress("batch drain: %s, max RSS %d MiB", drained.Round(time.Millisecond), maxRSS/1024)
	drainRow := Row{
		Scenario: "5b. batch drain",
		Workload: fmt.Sprintf("the worker binary (defaults: concurrency 20) draining those %d chunks through sendSMSBatch.do", chunks),
		Smsq:     fmt.Sprintf("%.2f s from exec (%s rows/s), peak RSS %d MB (VmHWM)", drained.Seconds(), num(rate(rows, drained)), maxRSS/1024),
	}
	return []Row{enqueueRow, drainRow}, nil
}
