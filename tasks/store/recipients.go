package store

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/smsq/smsq/smsmode"
)

// RecipientState is a recipient's latest delivery status, as the last
// applicable delivery report (sms:delivery) said.
type RecipientState struct {
	Number     string    `json:"number"` // international digits
	SMSID      string    `json:"sms_id"`
	Status     int       `json:"status"`
	StatusText string    `json:"status_text"`
	Final      bool      `json:"final"`
	ReceivedAt time.Time `json:"received_at"`
	MCCMNC     string    `json:"mcc_mnc,omitempty"`
	Cost       string    `json:"cost,omitempty"`
}

// DefaultRecipientTTL is how long recipient statuses are kept after their
// last report: the provider's own look-up window.
const DefaultRecipientTTL = 30 * 24 * time.Hour

// RecipientStore keeps each recipient's latest delivery status in Redis, per
// send task: one hash per task (smsq:{taskID}:recipients), one field per
// number. Reports whose task is unknown (no task_id) are kept per smsID
// instead (smsq:{sms:smsID}:recipients).
//
// Reports may arrive late, twice or out of order, and anyone who learns
// the webhook URL and a real smsID and number can post one. Record applies
// a report only when it moves the recipient forward: states are ranked
// pending (not final: sent, delivered to operator, temporary errors…) <
// failed (final, not a delivery) < delivered (received, delivered,
// listened, read, not read), and
//
//   - a report of a lower rank never replaces a higher one: a delivered
//     message never becomes failed or pending again, a final status is never
//     replaced by a non-final one;
//   - a report of a higher rank replaces a lower one whatever its date (the
//     provider's second-granularity clocks disagree, and a delivery receipt
//     is the strongest evidence there is);
//   - within a rank, the report with the later (or equal) received_at wins:
//     a status never moves backwards in time.
//
// So a forged failure cannot undo a delivery, and a forged report dated in
// the far future can hold back at most later reports of its own rank (the
// event handler refuses dates more than a day ahead). What no rule can stop
// is a forged report that moves a recipient forward first (pending →
// delivered): the provider does not sign its callbacks.
//
// The comparison and the write are one Lua script, so concurrent workers
// cannot interleave. Keys expire ttl after their last write.
type RecipientStore struct {
	rdb redis.UniversalClient
	ttl time.Duration
}

// NewRecipientStore returns a store in rdb, keeping statuses for ttl after
// their last report (DefaultRecipientTTL unless a test needs another).
func NewRecipientStore(rdb redis.UniversalClient, ttl time.Duration) (*RecipientStore, error) {
	if rdb == nil {
		return nil, errors.New("store: NewRecipientStore needs a Redis client")
	}
	if ttl <= 0 {
		return nil, errors.New("store: NewRecipientStore needs a positive TTL")
	}
	return &RecipientStore{rdb: rdb, ttl: ttl}, nil
}

func recipientsKey(taskID string) string   { return "smsq:{" + taskID + "}:recipients" }
func recipientsSMSKey(smsID string) string { return "smsq:{sms:" + smsID + "}:recipients" }

// A stored value is "<received_at unix ms>:<rank>:<JSON of RecipientState>",
// so the script compares without decoding JSON. rank is p (pending), f
// (failed) or d (delivered); values written before ranks existed carry 0
// (not final) or 1 (final, delivered or failed).
func encodeState(s *RecipientState) (string, error) {
	b, err := json.Marshal(s)
	if err != nil {
		return "", err
	}
	return strconv.FormatInt(s.ReceivedAt.UnixMilli(), 10) + ":" + rankOf(s) + ":" + string(b), nil
}

// rankOf is the state's rank letter (see RecipientStore).
func rankOf(s *RecipientState) string {
	switch {
	case !s.Final:
		return "p"
	case smsmode.Status(s.Status).Delivered():
		return "d"
	}
	return "f"
}

func decodeState(v string) (*RecipientState, error) {
	_, rest, ok1 := strings.Cut(v, ":")
	_, js, ok2 := strings.Cut(rest, ":")
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("recipients: corrupt value %.40q", v)
	}
	var s RecipientState
	if err := json.Unmarshal([]byte(js), &s); err != nil {
		return nil, fmt.Errorf("recipients: corrupt value: %w", err)
	}
	return &s, nil
}

// recordScript: KEYS[1] hash; ARGV: number, value, received_at ms, rank
// (p|f|d), ttl ms. Returns 1 when the value was written, 0 when the stored
// state wins. A legacy rank 1 (final of either kind) is replaced only by a
// final report that is not older, as the rules were then.
var recordScript = redis.NewScript(`
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then
  local at, r = string.match(old, '^(%-?%d+):([01pfd]):')
  if at then
    local newAt, newR = tonumber(ARGV[3]), ARGV[4]
    local rank = {['0'] = 0, p = 0, f = 1, d = 2}
    if r == '1' then
      if newR == 'p' or tonumber(at) > newAt then return 0 end
    else
      local o, n = rank[r], rank[newR]
      if n < o then return 0 end
      if n == o and tonumber(at) > newAt then return 0 end
    end
    if old == ARGV[2] then
      redis.call('PEXPIRE', KEYS[1], ARGV[5])
      return 1
    end
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
`)

// Record stores st for its recipient of send task taskID (or, when the
// task is unknown, of st.SMSID) unless the stored state wins (see
// RecipientStore). applied reports whether it was written; recording the
// same report twice is harmless (applied both times, same state).
func (s *RecipientStore) Record(ctx context.Context, taskID string, st RecipientState) (applied bool, err error) {
	if st.Number == "" || (taskID == "" && st.SMSID == "") {
		return false, fmt.Errorf("recipients: report without recipient or IDs")
	}
	key := recipientsKey(taskID)
	if taskID == "" {
		key = recipientsSMSKey(st.SMSID)
	}
	v, err := encodeState(&st)
	if err != nil {
		return false, err
	}
	n, err := recordScript.Run(ctx, s.rdb, []string{key},
		st.Number, v, st.ReceivedAt.UnixMilli(), rankOf(&st), s.ttl.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("recipients: record %s: %w", st.Number, err)
	}
	return n == 1, nil
}

// Recipients returns the latest state of every recipient of the send task
// taskID, sorted by number. smsIDs (the task's provider IDs, from its
// Acceptance) add the reports recorded before the task was known; when a
// number appears under both, the same rules as Record pick the state.
// Unknown IDs give an empty list, not an error.
func (s *RecipientStore) Recipients(ctx context.Context, taskID string, smsIDs ...string) ([]RecipientState, error) {
	keys := make([]string, 0, 1+len(smsIDs))
	if taskID != "" {
		keys = append(keys, recipientsKey(taskID))
	}
	for _, id := range smsIDs {
		if id != "" {
			keys = append(keys, recipientsSMSKey(id))
		}
	}
	best := map[string]*RecipientState{}
	for _, k := range keys {
		m, err := s.rdb.HGetAll(ctx, k).Result()
		if err != nil {
			return nil, fmt.Errorf("recipients: read: %w", err)
		}
		for num, v := range m {
			st, err := decodeState(v)
			if err != nil {
				return nil, err
			}
			if st.Number == "" {
				st.Number = num
			}
			if cur, ok := best[st.Number]; !ok || supersedes(st, cur) {
				best[st.Number] = st
			}
		}
	}
	out := make([]RecipientState, 0, len(best))
	for _, st := range best {
		out = append(out, *st)
	}
	slices.SortFunc(out, func(a, b RecipientState) int { return cmp.Compare(a.Number, b.Number) })
	return out, nil
}

// supersedes reports whether state a replaces state b under Record's rules.
func supersedes(a, b *RecipientState) bool {
	ra, rb := rank(a), rank(b)
	if ra != rb {
		return ra > rb
	}
	return !a.ReceivedAt.Before(b.ReceivedAt)
}

func rank(s *RecipientState) int {
	switch rankOf(s) {
	case "d":
		return 2
	case "f":
		return 1
	}
	return 0
}
