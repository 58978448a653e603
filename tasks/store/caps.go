package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Caps counts messages per destination country and day against a daily
// cap (DAILY_COUNTRY_CAP), in Redis so that every pod and producer sees the
// same counts. The day is the calendar day in the caller's time zone.
type Caps struct {
	rdb redis.UniversalClient
}

// NewCaps returns the counters in rdb.
func NewCaps(rdb redis.UniversalClient) (*Caps, error) {
	if rdb == nil {
		return nil, errors.New("store: NewCaps needs a Redis client")
	}
	return &Caps{rdb: rdb}, nil
}

// capTTL keeps a day's counters a little longer than the day.
const capTTL = 48 * time.Hour

func capKey(day time.Time, region string) string {
	return "smsq:cap:" + day.Format("2006-01-02") + ":" + region
}

// OverCapError names the first country whose cap the messages would pass.
type OverCapError struct {
	Region string
	Cap    int
	Count  int // already counted today
}

// Error implements error.
func (e *OverCapError) Error() string {
	return fmt.Sprintf("daily cap of %d messages to %s reached (%d counted today)", e.Cap, e.Region, e.Count)
}

// Check reports, without counting anything, whether adding counts
// (messages per region) on day would pass a cap (limit returns a region's
// cap and whether it has one): nil, or an *OverCapError.
func (c *Caps) Check(ctx context.Context, day time.Time, counts map[string]int, limit func(string) (int, bool)) error {
	regions, keys := capped(day, counts, limit)
	if len(keys) == 0 {
		return nil
	}
	vals, err := c.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return fmt.Errorf("caps: read: %w", err)
	}
	for i, r := range regions {
		cur := 0
		if s, ok := vals[i].(string); ok {
			cur, _ = strconv.Atoi(s)
		}
		if n, _ := limit(r); cur+counts[r] > n {
			return &OverCapError{Region: r, Cap: n, Count: cur}
		}
	}
	return nil
}

// takeScript adds ARGV[2k+1] to KEYS[k] under cap ARGV[2k+2] for every k,
// or nothing when one would pass its cap (returns its index, 1-based, and
// its count).
var takeScript = redis.NewScript(`
for i, k in ipairs(KEYS) do
  local cur = tonumber(redis.call('GET', k) or '0')
  if cur + tonumber(ARGV[2*i]) > tonumber(ARGV[2*i+1]) then return {i, cur} end
end
for i, k in ipairs(KEYS) do
  redis.call('INCRBY', k, ARGV[2*i])
  redis.call('PEXPIRE', k, ARGV[1])
end
return {0, 0}
`)

// Take counts the messages on day unless one region would pass its cap;
// then it counts nothing and returns an *OverCapError. Check and count are
// one script: two workers cannot both take the last messages of a cap.
func (c *Caps) Take(ctx context.Context, day time.Time, counts map[string]int, limit func(string) (int, bool)) error {
	regions, keys := capped(day, counts, limit)
	if len(keys) == 0 {
		return nil
	}
	args := []any{capTTL.Milliseconds()}
	for _, r := range regions {
		n, _ := limit(r)
		args = append(args, counts[r], n)
	}
	res, err := takeScript.Run(ctx, c.rdb, keys, args...).Int64Slice()
	if err != nil {
		return fmt.Errorf("caps: take: %w", err)
	}
	if res[0] != 0 {
		r := regions[res[0]-1]
		n, _ := limit(r)
		return &OverCapError{Region: r, Cap: n, Count: int(res[1])}
	}
	return nil
}

// Give returns messages taken for a send the provider refused.
func (c *Caps) Give(ctx context.Context, day time.Time, counts map[string]int, limit func(string) (int, bool)) error {
	regions, keys := capped(day, counts, limit)
	pipe := c.rdb.Pipeline()
	for i, k := range keys {
		pipe.DecrBy(ctx, k, int64(counts[regions[i]]))
	}
	if len(keys) == 0 {
		return nil
	}
	_, err := pipe.Exec(ctx)
	return err
}

func capped(day time.Time, counts map[string]int, limit func(string) (int, bool)) (regions, keys []string) {
	for r := range counts {
		if _, ok := limit(r); ok {
			regions = append(regions, r)
		}
	}
	slices.Sort(regions) // a stable key order
	for _, r := range regions {
		keys = append(keys, capKey(day, r))
	}
	return regions, keys
}
