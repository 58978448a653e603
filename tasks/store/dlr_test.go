package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/smsmode"
	"github.com/smsq/smsq/tasks/store"
)

// policy is DLR_POLL_AFTER=15m, DLR_POLL_UNTIL=48h with the poller's
// default intervals.
var policy = store.PollPolicy{
	After: 15 * time.Minute, Until: 48 * time.Hour,
	MinInterval: time.Minute, MaxInterval: time.Hour, Grace: time.Minute, Rate: 1000,
}

func newPolls(t *testing.T, b *bundle) *store.DeliveryPolls {
	t.Helper()
	p, err := store.NewDeliveryPolls(b.rdb)
	require.NoError(t, err)
	return p
}

func accept(t *testing.T, b *bundle, taskID string, at, sendAt time.Time) {
	t.Helper()
	require.NoError(t, b.ledger.Record(context.Background(), &store.Acceptance{
		TaskID: taskID, Type: "sms:send", SMSID: "sms-" + taskID, Recipients: []string{"33612345678"},
		Segments: 1, Encoding: "gsm", SendAt: sendAt, AcceptedAt: at,
	}))
}

func claimIDs(r store.ClaimResult) []string {
	var ids []string
	for _, c := range r.Claims {
		ids = append(ids, c.TaskID)
	}
	return ids
}

// Record indexes an acceptance in the same script, from its acceptance or
// its later date_envoi, once: recording again does not put back a message
// the poller has moved on, and a refused record indexes nothing.
func TestRecordIndexesForPolling(t *testing.T) {
	b := setup(t)
	polls := newPolls(t, b)
	ctx := context.Background()

	accept(t, b, "now", t0, time.Time{})
	accept(t, b, "later", t0, t0.Add(3*time.Hour))
	accept(t, b, "past-date", t0, t0.Add(-time.Hour)) // a date_envoi already past is sent at once
	fresh, polled, err := polls.Len(ctx)
	require.NoError(t, err)
	require.Equal(t, [2]int64{3, 0}, [2]int64{fresh, polled})

	r, err := polls.Claim(ctx, t0.Add(policy.After), policy, 10)
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"now", "past-date"}, claimIDs(r), "the scheduled message is not due")
	for _, c := range r.Claims {
		require.True(t, c.Start.Equal(t0), c.TaskID)
	}
	r, err = polls.Claim(ctx, t0.Add(3*time.Hour+policy.After), policy, 10)
	require.NoError(t, err)
	require.Contains(t, claimIDs(r), "later", "DLR_POLL_AFTER counts from date_envoi")
	for _, c := range r.Claims {
		if c.TaskID == "later" {
			require.True(t, c.Start.Equal(t0.Add(3*time.Hour)), c.Start)
		}
	}

	// A retried Record (its first answer lost) leaves the index alone.
	accept(t, b, "now", t0, time.Time{})
	fresh, polled, err = polls.Len(ctx)
	require.NoError(t, err)
	require.Equal(t, [2]int64{0, 3}, [2]int64{fresh, polled})

	err = b.ledger.Record(ctx, &store.Acceptance{TaskID: "thief", SMSID: "sms-now", AcceptedAt: t0})
	require.Error(t, err)
	fresh, _, err = polls.Len(ctx)
	require.NoError(t, err)
	require.Zero(t, fresh, "a refused record is not indexed")
}

// A message is due DLR_POLL_AFTER after its start; a claim is exclusive until
// the next poll; the intervals double from MinInterval up to MaxInterval; the
// last poll is at DLR_POLL_UNTIL, after which the message has left the index.
func TestClaimBackOffUntil(t *testing.T) {
	b := setup(t)
	polls := newPolls(t, b)
	ctx := context.Background()
	accept(t, b, "m", t0, time.Time{})

	claim := func(at time.Time) store.ClaimResult {
		t.Helper()
		r, err := polls.Claim(ctx, at, policy, 10)
		require.NoError(t, err)
		return r
	}
	start := t0.Add(policy.After)
	require.Empty(t, claim(start.Add(-time.Millisecond)).Claims, "not before DLR_POLL_AFTER")

	var polls48h []time.Time
	at := start
	for {
		r := claim(at)
		require.Len(t, r.Claims, 1, "due at %v", at.Sub(t0))
		polls48h = append(polls48h, at)
		require.Empty(t, claim(at).Claims, "claimed twice at the same instant")
		if r.Claims[0].Last {
			break
		}
		next, err := b.rdb.ZScore(ctx, "smsq:dlr:due", fmt.Sprintf("%d:m", t0.UnixMilli())).Result()
		require.NoError(t, err)
		nextAt := time.UnixMilli(int64(next))
		require.Empty(t, claim(nextAt.Add(-time.Millisecond)).Claims, "claimed before its next poll")
		at = nextAt
	}
	var gaps []time.Duration
	for i := 1; i < len(polls48h); i++ {
		gaps = append(gaps, polls48h[i].Sub(polls48h[i-1]))
	}
	require.Equal(t, []time.Duration{time.Minute, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute, 32 * time.Minute, time.Hour}, gaps[:8],
		"doubling from MinInterval to MaxInterval")
	for _, g := range gaps[8:] {
		require.LessOrEqual(t, g, time.Hour)
	}
	require.True(t, t0.Add(policy.Until).Equal(polls48h[len(polls48h)-1]), "the last poll is at DLR_POLL_UNTIL")
	t.Logf("a message never final is polled %d times in %v", len(polls48h), policy.Until)
	require.Less(t, len(polls48h), 60)

	fresh, polled, err := polls.Len(ctx)
	require.NoError(t, err)
	require.Zero(t, fresh+polled, "the last poll removed it")
}

// A message claimed too late (a stopped worker, a backlog) is dropped
// unpolled once DLR_POLL_UNTIL + Grace has passed.
func TestClaimExpires(t *testing.T) {
	b := setup(t)
	polls := newPolls(t, b)
	ctx := context.Background()
	accept(t, b, "old", t0, time.Time{})
	accept(t, b, "edge", t0.Add(time.Hour), time.Time{})

	now := t0.Add(policy.Until + policy.Grace + time.Millisecond)
	r, err := polls.Claim(ctx, now, policy, 10)
	require.NoError(t, err)
	require.Equal(t, 1, r.Expired)
	require.Len(t, r.Claims, 1)
	require.Equal(t, "edge", r.Claims[0].TaskID)
	require.False(t, r.Claims[0].Last)
	fresh, polled, err := polls.Len(ctx)
	require.NoError(t, err)
	require.Equal(t, [2]int64{0, 1}, [2]int64{fresh, polled})

	// Within the grace the last poll is still made.
	r, err = polls.Claim(ctx, t0.Add(time.Hour+policy.Until+policy.Grace), policy, 10)
	require.NoError(t, err)
	require.Len(t, r.Claims, 1)
	require.True(t, r.Claims[0].Last)
}

// Rate bounds the claims of each second, every caller together; what is
// left is reported as waiting and taken oldest first later.
func TestClaimRate(t *testing.T) {
	b := setup(t)
	polls := newPolls(t, b)
	ctx := context.Background()
	for i := range 10 {
		accept(t, b, fmt.Sprintf("m%d", i), t0.Add(time.Duration(i)*time.Second), time.Time{})
	}
	pol := policy
	pol.Rate = 3
	now := t0.Add(time.Hour).Truncate(time.Second)

	r, err := polls.Claim(ctx, now, pol, 100)
	require.NoError(t, err)
	require.Equal(t, []string{"m0", "m1", "m2"}, claimIDs(r), "oldest first")
	require.Equal(t, 7, r.Waiting)
	r, err = polls.Claim(ctx, now.Add(999*time.Millisecond), pol, 100)
	require.NoError(t, err)
	require.Empty(t, r.Claims, "the second's quota is spent")
	require.Equal(t, 7, r.Waiting)

	r, err = polls.Claim(ctx, now.Add(time.Second), pol, 2)
	require.NoError(t, err)
	require.Equal(t, []string{"m3", "m4"}, claimIDs(r), "limit")
	r, err = polls.Claim(ctx, now.Add(time.Second), pol, 100)
	require.NoError(t, err)
	require.Equal(t, []string{"m5"}, claimIDs(r), "the rest of the quota")
}

// Messages already polled and messages never polled are served in the
// order they fell due.
func TestClaimOrderAcrossSets(t *testing.T) {
	b := setup(t)
	polls := newPolls(t, b)
	ctx := context.Background()
	accept(t, b, "a", t0, time.Time{})
	r, err := polls.Claim(ctx, t0.Add(policy.After), policy, 10)
	require.NoError(t, err)
	require.Equal(t, []string{"a"}, claimIDs(r))           // next poll of a: After+1m
	accept(t, b, "b", t0.Add(30*time.Second), time.Time{}) // due at After+30s
	accept(t, b, "c", t0.Add(90*time.Second), time.Time{}) // due at After+90s

	r, err = polls.Claim(ctx, t0.Add(policy.After+2*time.Minute), policy, 2)
	require.NoError(t, err)
	require.Equal(t, []string{"b", "a"}, claimIDs(r))
	r, err = polls.Claim(ctx, t0.Add(policy.After+2*time.Minute), policy, 2)
	require.NoError(t, err)
	require.Equal(t, []string{"c"}, claimIDs(r))
}

// Concurrent claimers never get the same message for the same poll.
func TestClaimConcurrent(t *testing.T) {
	b := setup(t)
	polls := newPolls(t, b)
	ctx := context.Background()
	const n = 300
	for i := range n {
		accept(t, b, fmt.Sprintf("m%03d", i), t0, time.Time{})
	}
	now := t0.Add(policy.After)
	var (
		mu  sync.Mutex
		got = map[string]int{}
		wg  sync.WaitGroup
	)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				r, err := polls.Claim(ctx, now, policy, 7)
				if err != nil {
					t.Error(err)
					return
				}
				if len(r.Claims) == 0 {
					return
				}
				mu.Lock()
				for _, c := range r.Claims {
					got[c.TaskID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	require.Len(t, got, n)
	for id, k := range got {
		require.Equal(t, 1, k, id)
	}
}

// Load reads each claim's acceptance and recipient statuses; Done removes
// claims; Clear empties the index.
func TestLoadDoneClear(t *testing.T) {
	b := setup(t)
	polls := newPolls(t, b)
	ctx := context.Background()
	accept(t, b, "send-1", t0, time.Time{})
	accept(t, b, "gone", t0, time.Time{})
	require.NoError(t, b.rdb.Del(ctx, "smsq:{gone}:accepted").Err())
	for _, d := range []dlr{report("33612345678", smsmode.StatusDeliveredToOperator, 1), report("33612345678", smsmode.StatusReceived, 2)} {
		_, err := b.store.Record(ctx, d.taskID, d.state)
		require.NoError(t, err)
	}

	r, err := polls.Claim(ctx, t0.Add(policy.After), policy, 10)
	require.NoError(t, err)
	require.Len(t, r.Claims, 2)
	targets, err := polls.Load(ctx, r.Claims)
	require.NoError(t, err)
	require.Len(t, targets, 2)
	for _, tg := range targets {
		switch tg.TaskID {
		case "send-1":
			require.NotNil(t, tg.Acceptance)
			require.Equal(t, "sms-send-1", tg.Acceptance.SMSID)
			require.Equal(t, []string{"33612345678"}, tg.Acceptance.Recipients)
			require.Len(t, tg.States, 1)
			st := tg.States["33612345678"]
			require.Equal(t, 11, st.Status)
			require.True(t, st.Final)
		case "gone":
			require.Nil(t, tg.Acceptance)
			require.Empty(t, tg.States)
		}
	}

	require.NoError(t, polls.Done(ctx, r.Claims[0]))
	_, polled, err := polls.Len(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(1), polled)

	accept(t, b, "fresh", t0, time.Time{})
	require.NoError(t, polls.Clear(ctx))
	fresh, polled, err := polls.Len(ctx)
	require.NoError(t, err)
	require.Zero(t, fresh+polled)
}

// Claim refuses a policy that cannot work rather than guessing.
func TestClaimRefusesBadPolicy(t *testing.T) {
	b := setup(t)
	polls := newPolls(t, b)
	for _, tc := range []struct {
		name   string
		change func(p *store.PollPolicy)
	}{
		{"after zero (polling off)", func(p *store.PollPolicy) { p.After = 0 }},
		{"until before after", func(p *store.PollPolicy) { p.Until = p.After - 1 }},
		{"no min interval", func(p *store.PollPolicy) { p.MinInterval = 0 }},
		{"max below min", func(p *store.PollPolicy) { p.MaxInterval = p.MinInterval / 2 }},
		{"no rate", func(p *store.PollPolicy) { p.Rate = 0 }},
		{"negative grace", func(p *store.PollPolicy) { p.Grace = -1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := policy
			tc.change(&p)
			_, err := polls.Claim(context.Background(), t0, p, 1)
			require.Error(t, err)
		})
	}
	_, err := store.NewDeliveryPolls(nil)
	require.Error(t, err)
}
