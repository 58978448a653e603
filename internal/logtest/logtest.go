// Package logtest collects the JSON log lines of code under test.
package logtest

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// Buffer is a log sink several goroutines may write to, as concurrent
// handlers do.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write implements io.Writer.
func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Lines parses everything written so far as JSON lines.
func (s *Buffer) Lines(t testing.TB) []map[string]any {
	t.Helper()
	return Lines(t, s.String())
}

// Lines parses out as one JSON object a line, failing t on a line that is
// not one; blank lines are skipped.
func Lines(t testing.TB, out string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m), "not a JSON line: %q", l)
		lines = append(lines, m)
	}
	return lines
}
