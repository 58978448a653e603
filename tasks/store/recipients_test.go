package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/redistest"
	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/tasks/store"
)

// bundle is what the store tests need: a private Redis with a ledger and a
// recipient store in it.
type bundle struct {
	redis  *redistest.Server
	rdb    *redis.Client
	store  *store.RecipientStore
	ledger *store.Ledger
}

func setup(t *testing.T) *bundle {
	t.Helper()
	t.Parallel()
	srv := redistest.Start(t)
	b := &bundle{redis: srv, rdb: srv.Client()}
	var err error
	b.store, err = store.NewRecipientStore(b.rdb, time.Hour)
	require.NoError(t, err)
	b.ledger, err = store.NewLedger(b.rdb, store.DefaultLedgerTTL)
	require.NoError(t, err)
	return b
}

var t0 = time.Date(2026, 7, 14, 10, 30, 0, 0, smsmode.DefaultLocation())

// dlr is a delivery report for a task.
type dlr struct {
	taskID string
	state  store.RecipientState
}

// report is a delivery report of task "send-1" / smsID "S1" at t0+sec.
func report(to string, status smsmode.Status, sec int) dlr {
	return dlr{taskID: "send-1", state: store.RecipientState{
		Number: to, SMSID: "S1", Status: int(status), StatusText: status.String(), Final: status.Final(),
		ReceivedAt: t0.Add(time.Duration(sec) * time.Second), MCCMNC: "20801", Cost: "1",
	}}
}

func (b *bundle) record(t *testing.T, r dlr) bool {
	t.Helper()
	applied, err := b.store.Record(context.Background(), r.taskID, r.state)
	require.NoError(t, err)
	return applied
}

func (b *bundle) statusOf(t *testing.T, taskID, number string, smsIDs ...string) store.RecipientState {
	t.Helper()
	rs, err := b.store.Recipients(context.Background(), taskID, smsIDs...)
	require.NoError(t, err)
	for _, r := range rs {
		if r.Number == number {
			return r
		}
	}
	t.Fatalf("no state for %s in %+v", number, rs)
	return store.RecipientState{}
}

func TestRecipientStoreKeepsLatestAndFinal(t *testing.T) {
	b := setup(t)
	const n = "33612345678"
	require.True(t, b.record(t, report(n, smsmode.StatusSent, 0)))
	require.True(t, b.record(t, report(n, smsmode.StatusDeliveredToOperator, 5)))
	require.False(t, b.record(t, report(n, smsmode.StatusSent, 1)), "older non-final report")
	require.Equal(t, 13, b.statusOf(t, "send-1", n).Status)

	require.True(t, b.record(t, report(n, smsmode.StatusReceived, 10)))
	require.False(t, b.record(t, report(n, smsmode.StatusTemporaryAbsence, 20)), "non-final after final, even newer")
	require.False(t, b.record(t, report(n, smsmode.StatusDelivered, 9)), "older final")
	got := b.statusOf(t, "send-1", n)
	require.Equal(t, store.RecipientState{
		Number: n, SMSID: "S1", Status: 11, StatusText: "received", Final: true,
		ReceivedAt: got.ReceivedAt, MCCMNC: "20801", Cost: "1",
	}, got)
	require.True(t, got.ReceivedAt.Equal(t0.Add(10*time.Second)))

	// A newer final report (read receipt) still replaces a final one.
	require.True(t, b.record(t, report(n, smsmode.StatusRead, 30)))
	require.Equal(t, 100, b.statusOf(t, "send-1", n).Status)
}

// A final status replaces a non-final one even when its date is earlier
// (the provider's second-granularity clocks disagree): it tells more.
func TestRecipientStoreFinalBeatsNewerNonFinal(t *testing.T) {
	b := setup(t)
	require.True(t, b.record(t, report("33600000001", smsmode.StatusDeliveredToOperator, 10)))
	require.True(t, b.record(t, report("33600000001", smsmode.StatusReceived, 9)))
	require.Equal(t, 11, b.statusOf(t, "send-1", "33600000001").Status)
}

func TestRecipientStoreSameReportTwiceIsHarmless(t *testing.T) {
	b := setup(t)
	p := report("33612345678", smsmode.StatusReceived, 0)
	require.True(t, b.record(t, p))
	require.True(t, b.record(t, p))
	rs, err := b.store.Recipients(context.Background(), "send-1")
	require.NoError(t, err)
	require.Len(t, rs, 1)
	require.Equal(t, 11, rs[0].Status)
}

func TestRecipientStoreSortedByNumberAndTTL(t *testing.T) {
	b := setup(t)
	for _, n := range []string{"33699999999", "33600000001", "447700900123"} {
		b.record(t, report(n, smsmode.StatusSent, 0))
	}
	rs, err := b.store.Recipients(context.Background(), "send-1")
	require.NoError(t, err)
	require.Equal(t, []string{"33600000001", "33699999999", "447700900123"}, []string{rs[0].Number, rs[1].Number, rs[2].Number})

	keys, err := b.rdb.Keys(context.Background(), "*recipients*").Result()
	require.NoError(t, err)
	require.Len(t, keys, 1)
	ttl, err := b.rdb.PTTL(context.Background(), keys[0]).Result()
	require.NoError(t, err)
	require.InDelta(t, time.Hour.Seconds(), ttl.Seconds(), 60)

	rs, err = b.store.Recipients(context.Background(), "unknown-task", "unknown-sms")
	require.NoError(t, err)
	require.Empty(t, rs)
}

// Reports that came before the task was known are kept per smsID and
// merged in when the caller names the task's smsIDs.
func TestRecipientStoreBySMSIDAndMerge(t *testing.T) {
	b := setup(t)
	early := report("33612345678", smsmode.StatusReceived, 3)
	early.taskID = ""
	require.True(t, b.record(t, early))
	other := report("33612345679", smsmode.StatusSent, 0)
	other.taskID = ""
	require.True(t, b.record(t, other))
	require.True(t, b.record(t, report("33612345678", smsmode.StatusDeliveredToOperator, 5)))
	require.True(t, b.record(t, report("33612345679", smsmode.StatusDelivered, 6)))

	byTask, err := b.store.Recipients(context.Background(), "send-1")
	require.NoError(t, err)
	require.Len(t, byTask, 2)
	bySMS, err := b.store.Recipients(context.Background(), "", "S1")
	require.NoError(t, err)
	require.Len(t, bySMS, 2)

	require.Equal(t, 11, b.statusOf(t, "send-1", "33612345678", "S1").Status, "final from the smsID key wins")
	require.Equal(t, 14, b.statusOf(t, "send-1", "33612345679", "S1").Status)
}

func TestRecipientStoreRejectsReportWithoutRecipient(t *testing.T) {
	b := setup(t)
	_, err := b.store.Record(context.Background(), "send-1", store.RecipientState{SMSID: "S1"})
	require.Error(t, err)
	_, err = b.store.Record(context.Background(), "", store.RecipientState{Number: "33612345678"})
	require.Error(t, err)
}

// Many workers recording the same reports in random orders converge on the
// same state: the comparison and the write are atomic.
func TestRecipientStoreConcurrentOutOfOrder(t *testing.T) {
	b := setup(t)
	seq := []dlr{}
	for i, st := range []smsmode.Status{smsmode.StatusSent, smsmode.StatusTemporaryAbsence, smsmode.StatusDeliveredToOperator, smsmode.StatusReceived} {
		for n := range 20 {
			seq = append(seq, report(fmt.Sprintf("336000000%02d", n), st, i*10))
		}
	}
	// Non-final late reports that must lose.
	for n := range 20 {
		seq = append(seq, report(fmt.Sprintf("336000000%02d", n), smsmode.StatusDeliveredToOperator, 100))
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 1))
			order := r.Perm(len(seq))
			for _, i := range order {
				if _, err := b.store.Record(context.Background(), seq[i].taskID, seq[i].state); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	rs, err := b.store.Recipients(context.Background(), "send-1")
	require.NoError(t, err)
	require.Len(t, rs, 20)
	for _, r := range rs {
		require.Equal(t, 11, r.Status, r.Number)
		require.True(t, r.Final)
	}
}

func TestRecipientStoreRedisDown(t *testing.T) {
	b := setup(t)
	b.redis.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	r := report("33612345678", smsmode.StatusReceived, 0)
	_, err := b.store.Record(ctx, r.taskID, r.state)
	require.Error(t, err)
}

// What someone who knows the webhook URL, a real smsID and its number can
// post (the provider does not sign callbacks), and what the ranks let
// through. Each case records its reports in order on a fresh recipient and
// checks the final state.
func TestRecipientStoreForgedReports(t *testing.T) {
	b := setup(t)
	type rep struct {
		st      smsmode.Status
		sec     int
		applied bool
	}
	for i, c := range []struct {
		name string
		seq  []rep
		want smsmode.Status
	}{
		{"a later failure does not undo a delivery (the review's statut=2 after received [11])",
			[]rep{{smsmode.StatusReceived, 10, true}, {smsmode.StatusInternalError, 20, false}}, smsmode.StatusReceived},
		{"nor a permanent error dated years later",
			[]rep{{smsmode.StatusDelivered, 10, true}, {smsmode.StatusPermanentOperator, 10 * 365 * 86400, false}}, smsmode.StatusDelivered},
		{"a forged failure first is replaced by the real delivery, even dated earlier",
			[]rep{{smsmode.StatusDeliveredToOperator, 5, true}, {smsmode.StatusRejected, 1000, true}, {smsmode.StatusReceived, 10, true}}, smsmode.StatusReceived},
		{"a far-future delivered report holds back only later deliveries",
			[]rep{{smsmode.StatusReceived, 86400, true}, {smsmode.StatusRead, 20, false}, {smsmode.StatusUndeliverable, 30, false}}, smsmode.StatusReceived},
		{"a delivered message never goes back to pending",
			[]rep{{smsmode.StatusRead, 10, true}, {smsmode.StatusDeliveredToOperator, 20, false}, {smsmode.StatusSent, 30, false}}, smsmode.StatusRead},
		{"within failures, the later report wins",
			[]rep{{smsmode.StatusUndeliverable, 10, true}, {smsmode.StatusRejected, 5, false}, {smsmode.StatusExpired, 20, true}}, smsmode.StatusExpired},
		{"within pending states too",
			[]rep{{smsmode.StatusTemporaryAbsence, 10, true}, {smsmode.StatusSent, 5, false}, {smsmode.StatusDeliveredToOperator, 20, true}}, smsmode.StatusDeliveredToOperator},
	} {
		n := fmt.Sprintf("336000001%02d", i)
		for j, r := range c.seq {
			require.Equal(t, r.applied, b.record(t, report(n, r.st, r.sec)), "%s: report %d (%v)", c.name, j, r.st)
		}
		require.Equal(t, int(c.want), b.statusOf(t, "send-1", n).Status, c.name)
	}
}

// Values written before ranks existed ("<ms>:1:" for any final status)
// keep the rules they were written under: any final report that is not
// older replaces them, a non-final one never does.
func TestRecipientStoreLegacyValues(t *testing.T) {
	b := setup(t)
	ctx := context.Background()
	legacy := func(n string, st smsmode.Status, sec int) {
		at := t0.Add(time.Duration(sec) * time.Second)
		js := fmt.Sprintf(`{"number":%q,"sms_id":"S1","status":%d,"status_text":%q,"final":%v,"received_at":%q}`,
			n, st, st.String(), st.Final(), at.Format(time.RFC3339))
		fin := "0"
		if st.Final() {
			fin = "1"
		}
		require.NoError(t, b.rdb.HSet(ctx, "smsq:{send-1}:recipients", n, fmt.Sprintf("%d:%s:%s", at.UnixMilli(), fin, js)).Err())
	}
	legacy("33600000201", smsmode.StatusReceived, 10)
	require.False(t, b.record(t, report("33600000201", smsmode.StatusDeliveredToOperator, 20)))
	require.False(t, b.record(t, report("33600000201", smsmode.StatusRead, 5)))
	require.True(t, b.record(t, report("33600000201", smsmode.StatusRead, 20)))
	require.False(t, b.record(t, report("33600000201", smsmode.StatusInternalError, 30)), "now ranked: delivered")

	legacy("33600000202", smsmode.StatusDeliveredToOperator, 10)
	require.True(t, b.record(t, report("33600000202", smsmode.StatusRejected, 5)))
	require.Equal(t, int(smsmode.StatusRejected), b.statusOf(t, "send-1", "33600000202").Status)
}

// Recipients merges the per-task and per-smsID keys with the same ranks.
func TestRecipientStoreMergeUsesRanks(t *testing.T) {
	b := setup(t)
	early := report("33612345678", smsmode.StatusReceived, 3)
	early.taskID = ""
	require.True(t, b.record(t, early))
	require.True(t, b.record(t, report("33612345678", smsmode.StatusInternalError, 50)))
	require.Equal(t, 11, b.statusOf(t, "send-1", "33612345678", "S1").Status, "a delivery outranks a later failure")
}
