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
//
// For GSM this is a lower bound: it is exact only when no double-count
// character sits across a part boundary (see [GSMSegments]). A [Message]
// counts its segments from its text.
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

// GSMSegments returns the parts the network splits a GSM text into once
// extra single-unit characters (a STOP mention) are appended to it.
//
// Up to 160 units the text fits one SMS. A longer one is cut into parts of
// 153 septets, and a double-count character ({ } | ~ [ \ ] ^ €), sent as an
// escape septet followed by the character's septet, is never split between
// two parts (GSM 03.38, 3GPP TS 23.038 §6.1.2.1.1): when only one septet is
// left in a part, the pair moves to the next one, and that part holds 152.
// So 152 "a", "€" and 152 "a" (306 units) need three parts, not two.
//
// A character outside the table, which the provider would replace with
// "?", counts one unit.
func GSMSegments(s string, extra int) int {
	parts, _ := gsmSplit(s, extra)
	return parts
}

// gsmSplit counts the parts of s followed by extra single units, and the
// units of s.
func gsmSplit(s string, extra int) (parts, units int) {
	var fill int // units in the current part
	parts = 1
	for i := 0; i < len(s); {
		var cost int
		if c := s[i]; c < utf8.RuneSelf {
			cost = int(gsm.cost[c])
			i++
		} else {
			r, size := utf8.DecodeRuneInString(s[i:])
			cost = gsmCost(r)
			i += size
		}
		if cost == 0 {
			cost = 1 // shown as "?"
		}
		units += cost
		if fill+cost > gsmMultiSegment {
			parts++
			fill = 0
		}
		fill += cost
	}
	total := units + extra
	switch {
	case total <= 0:
		return 0, units
	case total <= gsmSingleSegment:
		return 1, units
	}
	// The appended characters cost one unit each: they fill the last part
	// and then whole parts.
	if fill+extra > 0 {
		parts += (fill + extra - 1) / gsmMultiSegment
	}
	return parts, units
}

// segments returns the segments m needs with extra single units appended:
// from the text for GSM, from the units for unicode. A Message built by hand
// whose Units do not match its Text is counted from its Units.
func (m Message) segments(extra int) int {
	if m.Encoding == Unicode {
		return CountSegments(Unicode, m.Units+extra)
	}
	if m.Units+extra <= gsmSingleSegment {
		return CountSegments(GSM, m.Units+extra)
	}
	parts, units := gsmSplit(m.Text, extra)
	if units != m.Units {
		return CountSegments(GSM, m.Units+extra)
	}
	return parts
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
	return m.segments(m.stopUnits(stop))
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
	extra := m.stopUnits(stop)
	units := m.Units + extra
	if n := m.segments(extra); n > maxSegments {
		return &TooLongError{Segments: n, MaxSegments: maxSegments, Encoding: m.Encoding, Units: units}
	}
	return nil
}
