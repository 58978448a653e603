package bench

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/smsq/smsq/internal/loadgen"
)

// Statistics and formatting of the figures in the table. Latency quantiles
// come from internal/loadgen, the load generator's own.

// verdict renders whether a target is met.
func verdict(ok bool) string {
	if ok {
		return "**met**"
	}
	return "**missed**"
}

// rate is n events per second of d.
func rate(n int, d time.Duration) float64 { return float64(n) / d.Seconds() }

// median is the median of xs (the mean of the two middle values for an
// even count).
func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// medianDuration is the median of ds, the upper middle value for an even
// count, as loadgen.Quantile(…, 0.5) of the sorted values.
func medianDuration(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return loadgen.Quantile(s, 0.5)
}

// spread renders "min–max" of xs.
func spread(xs []float64) string {
	return fmt.Sprintf("%s–%s", num(slices.Min(xs)), num(slices.Max(xs)))
}

// num renders a rate with thousands separators.
func num(f float64) string {
	s := strconv.FormatInt(int64(f+0.5), 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// ms renders a duration in milliseconds with one decimal.
func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
