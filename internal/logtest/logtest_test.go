package logtest_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/internal/logtest"
)

func TestBufferTakesConcurrentLines(t *testing.T) {
	t.Parallel()
	var buf logtest.Buffer
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() { fmt.Fprintf(&buf, "{\"n\":%d}\n\n", i) })
	}
	wg.Wait()
	lines := buf.Lines(t)
	require.Len(t, lines, 20, "blank lines skipped, none torn")
	seen := map[float64]bool{}
	for _, l := range lines {
		seen[l["n"].(float64)] = true
	}
	require.Len(t, seen, 20)
}
