package worker

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// repeatFilter is a slog.Handler that writes an identical line (same level,
// message and attributes, the time aside) at most once per interval: the
// first one at once; the ones that follow within the interval are counted,
// and when it ends one line is written, at that time, with "repeated": the
// number of lines it stands for. A line seen again after a quiet interval is
// written at once. So a Redis outage gives a few lines per component and
// interval instead of dozens per second, and no count is lost.
type repeatFilter struct {
	next  slog.Handler
	every time.Duration
	scope string // the attributes and groups of WithAttrs and WithGroup, part of a line's identity
	state *repeatState
}

// repeatState is shared by a filter and the handlers derived from it.
type repeatState struct {
	clock clock
	mu    sync.Mutex
	lines map[string]*repeatedLine
	swept time.Time
}

// repeatedLine is what the filter remembers of one distinct line.
type repeatedLine struct {
	next    slog.Handler // the handler of the line's scope
	shown   time.Time    // when it was last written
	dropped int          // identical lines held back since
	latest  slog.Record  // the latest of them
	flush   stopper      // pending write of latest at the interval's end; nil when none
}

// clock is time, replaceable in tests.
type clock interface {
	Now() time.Time
	AfterFunc(d time.Duration, f func()) stopper
}

type stopper interface{ Stop() bool }

type realClock struct{}

func (realClock) Now() time.Time                              { return time.Now() }
func (realClock) AfterFunc(d time.Duration, f func()) stopper { return time.AfterFunc(d, f) }

func newRepeatFilter(next slog.Handler, every time.Duration, c clock) *repeatFilter {
	return &repeatFilter{next: next, every: every, state: &repeatState{clock: c, lines: map[string]*repeatedLine{}}}
}

// Enabled implements slog.Handler.
func (f *repeatFilter) Enabled(ctx context.Context, level slog.Level) bool {
	return f.next.Enabled(ctx, level)
}

// WithAttrs implements slog.Handler.
func (f *repeatFilter) WithAttrs(attrs []slog.Attr) slog.Handler {
	var b strings.Builder
	b.WriteString(f.scope)
	for _, a := range attrs {
		writeAttr(&b, a)
	}
	return &repeatFilter{next: f.next.WithAttrs(attrs), every: f.every, scope: b.String(), state: f.state}
}

// WithGroup implements slog.Handler.
func (f *repeatFilter) WithGroup(name string) slog.Handler {
	return &repeatFilter{next: f.next.WithGroup(name), every: f.every, scope: f.scope + "[" + name + "]", state: f.state}
}

// Handle implements slog.Handler.
func (f *repeatFilter) Handle(ctx context.Context, r slog.Record) error {
	key := f.key(r)
	s := f.state
	s.mu.Lock()
	now := s.clock.Now()
	l := s.lines[key]
	if l != nil && now.Sub(l.shown) < f.every {
		l.dropped++
		l.latest = r.Clone()
		if l.flush == nil {
			l.flush = s.clock.AfterFunc(l.shown.Add(f.every).Sub(now), func() { f.flush(key) })
		}
		s.mu.Unlock()
		return nil
	}
	if l == nil {
		l = &repeatedLine{next: f.next}
		s.lines[key] = l
	}
	if l.dropped > 0 {
		// The interval ended and its write has not run yet: this line
		// carries the count instead (flush then finds nothing to write).
		l.flush.Stop()
		r = r.Clone()
		r.AddAttrs(slog.Int("repeated", l.dropped+1))
		l.dropped, l.latest = 0, slog.Record{}
	}
	l.flush, l.shown = nil, now
	s.sweep(now, f.every)
	s.mu.Unlock()
	return f.next.Handle(ctx, r)
}

// flush writes the latest line held back under key with its count.
func (f *repeatFilter) flush(key string) {
	s := f.state
	s.mu.Lock()
	l := s.lines[key]
	if l == nil || l.dropped == 0 {
		s.mu.Unlock()
		return
	}
	// Written now, so that the log's times stay in order: it stands for the
	// lines of the interval that just ended.
	now := s.clock.Now()
	r := slog.NewRecord(now, l.latest.Level, l.latest.Message, l.latest.PC)
	l.latest.Attrs(func(a slog.Attr) bool { r.AddAttrs(a); return true })
	r.AddAttrs(slog.Int("repeated", l.dropped))
	l.dropped, l.latest, l.flush, l.shown = 0, slog.Record{}, nil, now
	next := l.next
	s.mu.Unlock()
	_ = next.Handle(context.Background(), r)
}

// sweep forgets, once per interval, the lines that would be written at once
// anyway, so that unique lines (one per task) do not pile up.
func (s *repeatState) sweep(now time.Time, every time.Duration) {
	if now.Sub(s.swept) < every {
		return
	}
	s.swept = now
	for k, l := range s.lines {
		if l.dropped == 0 && now.Sub(l.shown) >= every {
			delete(s.lines, k)
		}
	}
}

// key is a line's identity: scope, level, message and attributes.
func (f *repeatFilter) key(r slog.Record) string {
	var b strings.Builder
	b.WriteString(f.scope)
	b.WriteString(r.Level.String())
	b.WriteByte(' ')
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		writeAttr(&b, a)
		return true
	})
	return b.String()
}

func writeAttr(b *strings.Builder, a slog.Attr) {
	b.WriteByte(' ')
	b.WriteString(a.Key)
	b.WriteByte('=')
	b.WriteString(a.Value.Resolve().String())
}
