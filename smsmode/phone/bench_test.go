package phone

import (
	"fmt"
	"testing"
)

// benchSink keeps the compiler from optimizing the calls away.
var benchSink string

func BenchmarkNormalize(b *testing.B) {
	for _, bc := range []struct{ name, raw string }{
		{"national", "06 12 34 56 78"},
		{"international", "+44 7911 123456"},
		{"bare", "33612345678"},
		{"invalid", "06 12"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				benchSink, _ = Normalize(bc.raw, "FR")
			}
		})
	}
}

func BenchmarkNormalizeAll100(b *testing.B) {
	raws := make([]string, 100)
	for i := range raws {
		raws[i] = fmt.Sprintf("06 12 34 %02d %02d", i/10, i%10)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NormalizeAll(raws, "FR"); err != nil {
			b.Fatal(err)
		}
	}
}
