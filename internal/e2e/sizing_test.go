package e2e

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/config"
	"github.com/smsq/smsq/internal/proctest"
	"github.com/smsq/smsq/internal/redistest"
	"github.com/smsq/smsq/internal/worker"
	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/smsmode/smsmodetest"
	"github.com/smsq/smsq/tasks"
)

var sizingMessages = flag.Int("sizing.messages", 300, "messages TestRedisSizing sends (docs/operations.md: 5000)")

// maxBytesKeptPerMessage bounds what smsq's own keys of one message (the
// ledger and the recipient statuses, MEMORY USAGE) take for a month;
// docs/operations.md gives the measured figures. Past it, the sizing
// section is wrong.
const maxBytesKeptPerMessage = 1024

// The measure behind docs/operations.md's "Sizing Redis": messages sent
// through the production task stack (in-process worker, fake provider
// calling the delivery webhooks back with 13 then 11), then Redis's
// used_memory while finished tasks are retained (TASK_RETENTION) and once
// they are gone (what a month keeps), and every key family left with its
// TTL. It also checks that every key smsq leaves behind expires by itself.
//
//	go test -count=1 -run TestRedisSizing -v ./internal/e2e/ -args -sizing.messages=5000
func TestRedisSizing(t *testing.T) {
	t.Parallel()
	n := *sizingMessages
	srv := redistest.Start(t)
	fake := smsmodetest.NewServer(smsmodetest.WithCredit(1e9), smsmodetest.WithoutRecording(),
		smsmodetest.WithAutoDelivery(smsmode.StatusDeliveredToOperator, smsmode.StatusReceived))
	t.Cleanup(fake.Close)

	cfg := config.Defaults()
	cfg.RedisURL = srv.URL()
	cfg.SmsmodeBaseURL = fake.URL
	cfg.SmsmodeAccessToken = smsmodetest.AccessToken
	cfg.HTTPAddr = proctest.FreeAddr(t)
	cfg.WebhookSecret = config.Secrets{"sizing-webhook-secret-0123"}
	cfg.WebhookPublicURL = "http://" + cfg.HTTPAddr
	rdb := srv.Client()
	// Measured with no other client connected (before the worker starts,
	// after it stops), so that connection buffers do not count.
	base := usedMemory(t, rdb)
	w, err := worker.New(cfg, worker.RoleAll, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	stop := sync.OnceFunc(func() { cancel(); require.NoError(t, <-done) })
	t.Cleanup(stop)
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + cfg.HTTPAddr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 20*time.Second, 20*time.Millisecond)

	enq, err := tasks.NewEnqueuer(rdb, cfg.TaskOptions())
	require.NoError(t, err)
	start := time.Now()
	var wg sync.WaitGroup
	ids := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range ids {
				_, err := enq.Send(context.Background(), tasks.SendPayload{
					To:      []string{fmt.Sprintf("06%08d", i)},
					Message: fmt.Sprintf("Votre commande %d est expédiée. Suivi : https://exemple.fr/s/%08X", 100000+i, i),
				}, tasks.WithTaskID(fmt.Sprintf("order-%06d-shipped", i)))
				require.NoError(t, err)
			}
		})
	}
	for i := range n {
		ids <- i
	}
	close(ids)
	wg.Wait()

	// Sent, and both reports of every message stored.
	insp := asynq.NewInspectorFromRedisClient(rdb)
	require.Eventually(t, func() bool {
		sends, err1 := insp.GetQueueInfo("default")
		events, err2 := insp.GetQueueInfo(config.QueueEvents)
		return err1 == nil && err2 == nil && sends.Completed == n && events.Completed == 2*n &&
			events.Pending+events.Active+events.Retry+events.Scheduled == 0
	}, time.Duration(n)*100*time.Millisecond+30*time.Second, 100*time.Millisecond)
	took := time.Since(start)
	stop()
	t.Logf("%d messages (2 delivery reports each) in %v", n, took.Round(time.Millisecond))
	perMessage := func(stage string) {
		t.Logf("%-62s %6d bytes per message (used_memory)", stage, (usedMemory(t, rdb)-base)/int64(n))
	}
	perMessage("within TASK_RETENTION (tasks, results, reports, ledger, statuses):")
	logFamilies(t, rdb, n)

	// TASK_RETENTION later asynq's janitor has deleted the finished tasks:
	// do what it does.
	for _, q := range []string{"default", config.QueueEvents} {
		_, err := insp.DeleteAllCompletedTasks(q)
		require.NoError(t, err)
	}
	perMessage("after TASK_RETENTION until day 30 (ledger, statuses):")
	families := logFamilies(t, rdb, n)
	var kept int64
	for f, s := range families {
		// The polling index is one sorted set whose members leave when the
		// message is final or DLR_POLL_UNTIL passes (docs/delivery-reports.md).
		if strings.HasPrefix(f, "smsq:") && !strings.HasPrefix(f, "smsq:dlr:") {
			require.Positive(t, s.minTTL, "%s never expires", f)
			kept += s.bytes
		}
	}
	require.LessOrEqual(t, kept/int64(n), int64(maxBytesKeptPerMessage), "MEMORY USAGE of smsq's keys per message")

	// Day 30: the recipient statuses expire.
	iter := rdb.Scan(context.Background(), 0, "smsq:{*}:recipients", 1000).Iterator()
	for iter.Next(context.Background()) {
		require.NoError(t, rdb.Del(context.Background(), iter.Val()).Err())
	}
	require.NoError(t, iter.Err())
	perMessage("from day 30 to day 45 (ledger):")
}

func usedMemory(t *testing.T, rdb *redis.Client) int64 {
	t.Helper()
	info, err := rdb.Info(context.Background(), "memory").Result()
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^used_memory:(\d+)`).FindStringSubmatch(info)
	require.NotNil(t, m, info)
	v, err := strconv.ParseInt(m[1], 10, 64)
	require.NoError(t, err)
	return v
}

type family struct {
	keys, bytes    int64
	minTTL, maxTTL time.Duration // -1: no expiry
}

// keyFamilies turn a key into its family's name: IDs become words.
var keyFamilies = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`^(asynq:\{[^}]+\}:t:).*`), "${1}ID"},
	{regexp.MustCompile(`^(asynq:(servers|workers):)\{.*\}$`), "${1}{HOST:PID:ID}"},
	{regexp.MustCompile(`\d{4}-\d{2}-\d{2}$`), "DATE"},
	{regexp.MustCompile(`^smsq:\{sms:[^}]*\}`), "smsq:{sms:SMSID}"},
	{regexp.MustCompile(`^smsq:\{[^}]*\}`), "smsq:{TASK}"},
	{regexp.MustCompile(`^smsq:sms:.*`), "smsq:sms:SMSID"},
}

func familyOf(key string) string {
	for _, f := range keyFamilies {
		key = f.re.ReplaceAllString(key, f.repl)
	}
	return key
}

// logFamilies logs every key family's count, bytes per message and TTLs.
func logFamilies(t *testing.T, rdb *redis.Client, messages int) map[string]family {
	t.Helper()
	ctx := context.Background()
	out := map[string]family{}
	iter := rdb.Scan(ctx, 0, "*", 1000).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		name := familyOf(k)
		size, err := rdb.MemoryUsage(ctx, k, 0).Result()
		require.NoError(t, err)
		ttl, err := rdb.PTTL(ctx, k).Result()
		require.NoError(t, err)
		f, seen := out[name]
		f.keys++
		f.bytes += size
		if !seen {
			f.minTTL, f.maxTTL = ttl, ttl
		}
		f.minTTL, f.maxTTL = min(f.minTTL, ttl), max(f.maxTTL, ttl)
		out[name] = f
	}
	require.NoError(t, iter.Err())
	names := make([]string, 0, len(out))
	for n := range out {
		names = append(names, n)
	}
	slices.Sort(names)
	var b strings.Builder
	fmt.Fprintf(&b, "%-50s %7s %9s  %s\n", "keys", "count", "B/msg", "TTL")
	for _, n := range names {
		f := out[n]
		ttl := "none"
		if f.maxTTL >= 0 {
			ttl = days(f.minTTL) + " – " + days(f.maxTTL)
		}
		fmt.Fprintf(&b, "%-50s %7d %9.1f  %s\n", n, f.keys, float64(f.bytes)/float64(messages), ttl)
	}
	t.Log("\n" + b.String())
	return out
}

func days(d time.Duration) string {
	if d < 0 {
		return "none"
	}
	if d >= 24*time.Hour {
		return fmt.Sprintf("%.1fd", d.Hours()/24)
	}
	return d.Round(time.Second).String()
}
