package handler

import "time"

// SetLimiterClock makes l read now instead of Redis's clock, so that a test
// can replay minutes of traffic in virtual time.
func SetLimiterClock(l *RedisLimiter, now func() time.Time) { l.now = now }
