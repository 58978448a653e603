package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// The delivery-poll index: every acceptance Ledger.Record stores is also
// indexed here, in the same script, so that a worker can poll compteRendu.do
// for messages whose delivery reports never arrived (no callbacks, a lost
// callback, voice messages, which get none).
//
//   - smsq:dlr:new: messages never polled, scored by their start (the
//     acceptance, or date_envoi when it is later), the instant DLR_POLL_AFTER
//     counts from;
//   - smsq:dlr:due: messages polled at least once, scored by their next poll;
//   - smsq:dlr:quota: claims made in the current second, all pods together.
//
// A member is "<start unix ms>:<task ID>": the claim script needs the start
// (for the back-off and DLR_POLL_UNTIL) without reading another key. Two
// sorted sets rather than one keep Record free of polling settings: the
// index does not change when DLR_POLL_AFTER does, and with polling off the
// worker simply empties it (DeliveryPolls.Clear).
const (
	dlrNewKey   = "smsq:dlr:new"
	dlrDueKey   = "smsq:dlr:due"
	dlrQuotaKey = "smsq:dlr:quota"
)

// pollStart is when polling counts from: the acceptance, or the scheduled
// date when the message is sent later.
func pollStart(a *Acceptance) time.Time {
	if a.SendAt.After(a.AcceptedAt) {
		return a.SendAt
	}
	return a.AcceptedAt
}

func pollMember(taskID string, start time.Time) string {
	return strconv.FormatInt(start.UnixMilli(), 10) + ":" + taskID
}

func parsePollMember(m string) (taskID string, start time.Time, ok bool) {
	ms, id, found := strings.Cut(m, ":")
	n, err := strconv.ParseInt(ms, 10, 64)
	if !found || err != nil || id == "" {
		return "", time.Time{}, false
	}
	return id, time.UnixMilli(n), true
}

// DeliveryPolls is the index of accepted messages whose delivery reports may
// have to be polled. Ledger.Record fills it; a poller claims the messages
// that are due (Claim), reads what is known of them (Load), and removes
// those whose recipients are all final (Done). Every operation costs the
// same whatever the index holds: a claim reads at most as many members as
// it may poll, never the whole set.
type DeliveryPolls struct {
	rdb redis.UniversalClient
}

// NewDeliveryPolls returns the index stored in rdb.
func NewDeliveryPolls(rdb redis.UniversalClient) (*DeliveryPolls, error) {
	if rdb == nil {
		return nil, errors.New("store: NewDeliveryPolls needs a Redis client")
	}
	return &DeliveryPolls{rdb: rdb}, nil
}

// PollPolicy says when an indexed message is polled. Start is the
// message's acceptance, or its date_envoi when later.
type PollPolicy struct {
	After time.Duration // first poll at Start+After (DLR_POLL_AFTER); must be positive
	Until time.Duration // no poll after Start+Until (DLR_POLL_UNTIL), give or take Grace
	// The wait before the next poll is the time already spent polling
	// (now - Start - After), kept between MinInterval and MaxInterval: the
	// intervals double from MinInterval. MinInterval is also how long a
	// claim is exclusive: no other claim returns the message before it.
	MinInterval, MaxInterval time.Duration
	// Grace is how late a poll may still be made after Start+Until (a
	// backlog, a stopped worker); later, the message leaves the index
	// unpolled (counted as expired).
	Grace time.Duration
	// Rate bounds the claims per second of every poller on this Redis
	// together (and so their provider requests); at least 1.
	Rate int
}

func (p PollPolicy) check() error {
	switch {
	case p.After <= 0:
		return errors.New("store: PollPolicy.After must be positive")
	case p.Until < p.After:
		return errors.New("store: PollPolicy.Until must not be less than After")
	case p.MinInterval <= 0 || p.MaxInterval < p.MinInterval:
		return errors.New("store: PollPolicy needs 0 < MinInterval <= MaxInterval")
	case p.Grace < 0:
		return errors.New("store: PollPolicy.Grace is negative")
	case p.Rate < 1:
		return errors.New("store: PollPolicy.Rate must be at least 1")
	}
	return nil
}

// PollClaim is a message claimed for one poll: until its next poll time
// (at least MinInterval later) no other claim returns it.
type PollClaim struct {
	TaskID string
	Start  time.Time // acceptance, or date_envoi when later
	// Last reports the message's last poll: it has left the index already
	// (DLR_POLL_UNTIL is reached), whatever the poll finds.
	Last   bool
	member string
}

// ClaimResult is what one Claim did.
type ClaimResult struct {
	Claims []PollClaim
	// Expired counts messages removed unpolled: past Start+Until+Grace.
	Expired int
	// Waiting counts messages due now that this claim left for later (the
	// rate bound): a backlog that keeps growing means Rate is too low.
	Waiting int
}

// claimScript claims up to ARGV[7] members due at ARGV[1] (ms), oldest due
// first across both sets, within the second's quota of ARGV[8] claims.
// Each claimed member is re-scored in smsq:dlr:due at its next poll, or
// removed when this is its last; members past their window are removed.
// Claiming and re-scoring are one script, so two pods never claim the same
// member for the same poll.
//
// KEYS: new, due, quota. ARGV: now, after, until, min interval, max
// interval, grace, limit, rate. Returns {expired, waiting, {member, last…}}.
var claimScript = redis.NewScript(`
local now, after, untl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local minI, maxI, grace = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local limit, rate = tonumber(ARGV[7]), tonumber(ARGV[8])
local sec = math.floor(now / 1000)
local used = 0
local q = redis.call('GET', KEYS[3])
if q then
  local s, n = string.match(q, '^(%d+):(%d+)$')
  if s and tonumber(s) == sec then used = tonumber(n) end
end
if rate - used < limit then limit = rate - used end
local due = redis.call('ZCOUNT', KEYS[2], '-inf', now) + redis.call('ZCOUNT', KEYS[1], '-inf', now - after)
if limit <= 0 then return {0, due, {}} end
local a = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'WITHSCORES', 'LIMIT', 0, limit)
local b = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - after, 'WITHSCORES', 'LIMIT', 0, limit)
local out, taken, expired = {}, 0, 0
local i, j = 1, 1
while taken < limit and (i <= #a or j <= #b) do
  local m, src
  if j > #b or (i <= #a and tonumber(a[i+1]) <= tonumber(b[j+1]) + after) then
    m, src = a[i], KEYS[2]
    i = i + 2
  else
    m, src = b[j], KEYS[1]
    j = j + 2
  end
  local start = tonumber(string.match(m, '^(%-?%d+):'))
  if not start then
    redis.call('ZREM', src, m)
  elseif now > start + untl + grace then
    redis.call('ZREM', src, m)
    expired = expired + 1
  else
    taken = taken + 1
    local stop = start + untl
    local wait = now - start - after
    if wait < minI then wait = minI end
    if wait > maxI then wait = maxI end
    local nxt = now + wait
    if src == KEYS[1] then redis.call('ZREM', KEYS[1], m) end
    if now + minI > stop then
      redis.call('ZREM', KEYS[2], m)
      out[#out+1] = m
      out[#out+1] = '1'
    else
      if nxt > stop then nxt = stop end
      redis.call('ZADD', KEYS[2], nxt, m)
      out[#out+1] = m
      out[#out+1] = '0'
    end
  end
end
if taken > 0 then redis.call('SET', KEYS[3], sec .. ':' .. (used + taken), 'PX', 2000) end
return {expired, due - taken - expired, out}
`)

// Claim claims the messages due at now, at most limit of them and at most
// what is left of the current second's pol.Rate; see PollPolicy.
func (d *DeliveryPolls) Claim(ctx context.Context, now time.Time, pol PollPolicy, limit int) (ClaimResult, error) {
	if err := pol.check(); err != nil {
		return ClaimResult{}, err
	}
	if limit < 1 {
		return ClaimResult{}, nil
	}
	res, err := claimScript.Run(ctx, d.rdb, []string{dlrNewKey, dlrDueKey, dlrQuotaKey},
		now.UnixMilli(), pol.After.Milliseconds(), pol.Until.Milliseconds(),
		pol.MinInterval.Milliseconds(), pol.MaxInterval.Milliseconds(), pol.Grace.Milliseconds(),
		limit, pol.Rate).Slice()
	if err != nil {
		return ClaimResult{}, fmt.Errorf("delivery polls: claim: %w", err)
	}
	if len(res) != 3 {
		return ClaimResult{}, fmt.Errorf("delivery polls: claim: unexpected answer of %d items", len(res))
	}
	expired, _ := res[0].(int64)
	waiting, _ := res[1].(int64)
	out := ClaimResult{Expired: int(expired), Waiting: int(max(waiting, 0))}
	items, _ := res[2].([]any)
	for k := 0; k+1 < len(items); k += 2 {
		m, _ := items[k].(string)
		last, _ := items[k+1].(string)
		id, start, ok := parsePollMember(m)
		if !ok {
			continue // the script removes what it cannot parse; never claimed
		}
		out.Claims = append(out.Claims, PollClaim{TaskID: id, Start: start, Last: last == "1", member: m})
	}
	return out, nil
}

func decodeAcceptance(taskID, v string) (*Acceptance, error) {
	var a Acceptance
	if err := json.Unmarshal([]byte(v), &a); err != nil {
		return nil, fmt.Errorf("ledger: corrupt acceptance of %s: %w", taskID, err)
	}
	return &a, nil
}

// PollTarget is a claimed message with what smsq knows of it.
type PollTarget struct {
	PollClaim
	// Acceptance is the ledger's record; nil when the ledger no longer has
	// it (expired or deleted): there is nothing to poll.
	Acceptance *Acceptance
	// States are the recipients' latest statuses by number, as the
	// RecipientStore holds them for the task (reports stored under the
	// smsID alone, which happens only when a report is processed before its
	// acceptance is recorded, are not read: at worst that costs one poll).
	States map[string]RecipientState
}

// Load reads the acceptance and the recipients' statuses of each claim, in
// one round trip for all of them.
func (d *DeliveryPolls) Load(ctx context.Context, claims []PollClaim) ([]PollTarget, error) {
	if len(claims) == 0 {
		return nil, nil
	}
	pipe := d.rdb.Pipeline()
	gets := make([]*redis.StringCmd, len(claims))
	states := make([]*redis.MapStringStringCmd, len(claims))
	for i, c := range claims {
		gets[i] = pipe.Get(ctx, acceptedKey(c.TaskID))
		states[i] = pipe.HGetAll(ctx, recipientsKey(c.TaskID))
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("delivery polls: load: %w", err)
	}
	out := make([]PollTarget, len(claims))
	for i, c := range claims {
		out[i].PollClaim = c
		if v, err := gets[i].Result(); err == nil {
			a, err := decodeAcceptance(c.TaskID, v)
			if err != nil {
				return nil, err
			}
			out[i].Acceptance = a
		}
		m := states[i].Val()
		out[i].States = make(map[string]RecipientState, len(m))
		for num, v := range m {
			st, err := decodeState(v)
			if err != nil {
				return nil, err
			}
			if st.Number == "" {
				st.Number = num
			}
			out[i].States[st.Number] = *st
		}
	}
	return out, nil
}

// Done removes claimed messages from the index: every recipient is final,
// or there is nothing left to poll.
func (d *DeliveryPolls) Done(ctx context.Context, claims ...PollClaim) error {
	members := make([]any, 0, len(claims))
	for _, c := range claims {
		if c.member != "" && !c.Last {
			members = append(members, c.member)
		}
	}
	if len(members) == 0 {
		return nil
	}
	if err := d.rdb.ZRem(ctx, dlrDueKey, members...).Err(); err != nil {
		return fmt.Errorf("delivery polls: done: %w", err)
	}
	return nil
}

// Clear empties the index, for a worker whose polling is off (DLR_POLL_AFTER=0):
// nobody will poll what Record keeps adding.
func (d *DeliveryPolls) Clear(ctx context.Context) error {
	if err := d.rdb.Del(ctx, dlrNewKey, dlrDueKey, dlrQuotaKey).Err(); err != nil {
		return fmt.Errorf("delivery polls: clear: %w", err)
	}
	return nil
}

// Len returns how many messages the index holds (never polled, polled).
func (d *DeliveryPolls) Len(ctx context.Context) (fresh, polled int64, err error) {
	pipe := d.rdb.Pipeline()
	a, b := pipe.ZCard(ctx, dlrNewKey), pipe.ZCard(ctx, dlrDueKey)
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, 0, fmt.Errorf("delivery polls: len: %w", err)
	}
	return a.Val(), b.Val(), nil
}
