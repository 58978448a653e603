package text

import "unicode/utf8"

// Segment sizes, in units, as the provider bills them. A message that fits
// in one segment gets all of it; a longer one is split into parts that each
// lose room to the concatenation header.
const (
	gsmSingleSegment     = 160
	gsmMultiSegment      = 153
	unicodeSingleSegment = 70
	unicodeMultiSegment  = 67
)

// STOP mention and segment limits of the provider (HTTP API 2.7 p8, p27).
const (
	// StopMaxLength is the longest text, in characters, to which stop=1
	// still adds the mention.
	StopMaxLength = 149
	// StopMentionUnits is what the mention ("STOP 36034" and a separator,
	// or "no-sms.eu" abroad) costs: the 160 − 149 units stop=1 keeps free.
	StopMentionUnits = 11
	// DefaultMaxSegments is the provider's default nbr_msg, used by
	// [Message.Check] when maxSegments is not positive.
	DefaultMaxSegments = 5
)

// CountSegments returns the segments that units cost in enc: 1 up to 160
// (GSM) or 70 (unicode) units, then one per 153 or 67 units. 0 units cost 0
// segments: an empty message is not billed as one SMS, and rejecting it is
// the caller's business.
func CountSegments(enc Encoding, units int) int {
	single, multi := gsmSingleSegment, gsmMultiSegment
	if enc == Unicode {
		single, multi = unicodeSingleSegment, unicodeMultiSegment
	}
	switch {
	case units <= 0:
		return 0
	case units <= single:
		return 1
	}
	return (units + multi - 1) / multi
}

// stopUnits returns the units the STOP mention of stop adds to m.
//
// The reference measures the text "original" (before the mention) in
// characters, so stop=1 compares the rune count of m.Text, the text the
// provider receives, with [StopMaxLength]; double-count characters count
// once there, as the reference says nothing more. The reference documents
// stop only for GSM; a unicode message is counted the same way, so that a
// mention can never push it past max_segments unnoticed.
func (m Message) stopUnits(stop int) int {
	switch stop {
	case 1:
		if utf8.RuneCountInString(m.Text) <= StopMaxLength {
			return StopMentionUnits
		}
	case 2:
		return StopMentionUnits
	}
	return 0
}

// SegmentsWithStop returns the segments the provider bills once the STOP
// mention of stop (0, 1, 2) is added.
//
// stop=1 adds the mention only to a text of at most [StopMaxLength]
// characters, so that it never costs an extra segment on a short message;
// stop=2 always adds it. Any other value adds nothing.
func (m Message) SegmentsWithStop(stop int) int {
	return CountSegments(m.Encoding, m.Units+m.stopUnits(stop))
}

// Check returns *TooLongError when the message with its STOP mention needs more than maxSegments.
//
// maxSegments <= 0 means the provider's default, [DefaultMaxSegments]. The
// provider would cut a longer message; refusing it is the only way to never
// send a truncated text.
func (m Message) Check(stop, maxSegments int) error {
	if maxSegments <= 0 {
		maxSegments = DefaultMaxSegments
	}
	units := m.Units + m.stopUnits(stop)
	if n := CountSegments(m.Encoding, units); n > maxSegments {
		return &TooLongError{Segments: n, MaxSegments: maxSegments, Encoding: m.Encoding, Units: units}
	}
	return nil
}
