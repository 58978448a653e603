package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const benchRows = 100_000

// benchFile writes a 100,000-row CSV (header, four fields) and returns its path.
func benchFile(b *testing.B) string {
	b.Helper()
	return writeFile(b, "rows.csv", "numero,message,emetteur,refClient\n"+genRows(benchRows))
}

// BenchmarkBatch100k measures `enqueue batch --file ROWS.csv` with 100,000
// rows (100 chunks of BATCH_CHUNK=1000) into a private Redis, in process:
// reading, validating, enqueueing. It reports rows/s and the peak live heap.
//
//	go test -run '^$' -bench BenchmarkBatch100k -benchtime 3x ./cmd/enqueue/
func BenchmarkBatch100k(b *testing.B) {
	f := setup(b)
	file := benchFile(b)
	rdb := f.srv.Client()
	peak := heapSampler()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		if err := rdb.FlushAll(context.Background()).Err(); err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		b.StartTimer()
		r := f.run("batch", "--file", file, "--id", "bench")
		if r.code != 0 || len(strings.Fields(r.stdout)) != benchRows/1000 {
			b.Fatalf("exit %d, %d IDs, stderr %q", r.code, len(strings.Fields(r.stdout)), r.stderr)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(peak())/(1<<20), "peak-heap-MB")
}

// BenchmarkBatch100kProcess builds the binary and runs it as a user would,
// reporting the wall time (ns/op) and the process's peak RSS.
//
//	go test -run '^$' -bench BenchmarkBatch100kProcess -benchtime 3x ./cmd/enqueue/
func BenchmarkBatch100kProcess(b *testing.B) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		b.Skip("go tool not in PATH")
	}
	bin := filepath.Join(b.TempDir(), "enqueue")
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	f := setup(b)
	file := benchFile(b)
	rdb := f.srv.Client()
	var maxRSS int64
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		if err := rdb.FlushAll(context.Background()).Err(); err != nil {
			b.Fatal(err)
		}
		cmd := exec.Command(bin, "batch", "--file", file, "--id", "bench")
		cmd.Env = os.Environ() // setup's environment: the private Redis
		var stderr strings.Builder
		cmd.Stderr = &stderr
		b.StartTimer()
		out, err := cmd.Output()
		b.StopTimer()
		if err != nil || len(strings.Fields(string(out))) != benchRows/1000 {
			b.Fatalf("%v: %d IDs, stderr %q", err, len(strings.Fields(string(out))), stderr.String())
		}
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			maxRSS = max(maxRSS, int64(ru.Maxrss)) // KiB on Linux
		}
	}
	b.ReportMetric(float64(maxRSS)/1024, "maxRSS-MB")
	b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
}

// heapSampler samples the live heap every few milliseconds until the
// returned func is called, which returns the highest value seen.
func heapSampler() func() uint64 {
	var (
		mu   sync.Mutex
		peak uint64
		done = make(chan struct{})
		wg   sync.WaitGroup
	)
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			mu.Lock()
			peak = max(peak, sample[0].Value.Uint64())
			mu.Unlock()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak
	}
}
