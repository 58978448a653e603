// Package text decides how an SMS is encoded (GSM 03.38 as ISO-8859-15, or
// unicode), counts its units and segments the way sMsmode bills them, and
// produces the bytes that go on the wire.
package text

// SKELETON: agreed API; the text helper replaces the stub bodies.

// Encoding is the encoding a message is sent with.
type Encoding int

// Encodings.
const (
	GSM     Encoding = 1 // ISO-8859-15 bytes on the wire, GSM 03.38 on air; 160/153 units per segment
	Unicode Encoding = 2 // UTF-8 on the wire (classe_msg=9); 70/67 units per segment
)

// String returns "gsm" or "unicode".
func (e Encoding) String() string {
	if e == Unicode {
		return "unicode"
	}
	return "gsm"
}

// Mode is what the caller asked for: auto, gsm or unicode.
type Mode int

// Modes.
const (
	Auto         Mode = 0
	ForceGSM     Mode = 1
	ForceUnicode Mode = 2
)

// ParseMode parses "auto" (or ""), "gsm", "unicode".
func ParseMode(s string) (Mode, error) { return Auto, nil }

// Message is a prepared message.
type Message struct {
	Text     string // the text that will be sent (look-alikes substituted for GSM)
	Encoding Encoding
	Units    int // billed units: GSM septets with double-count characters, or unicode units (astral = 2)
	Segments int // segments for Units (no STOP mention)
}

// Prepare classifies s under mode, substituting free look-alikes for GSM.
// ForceGSM fails with *UnsupportedCharError for a character with no look-alike.
func Prepare(s string, mode Mode) (Message, error) { return Message{Text: s, Encoding: GSM}, nil }

// SegmentsWithStop returns the segments the provider bills once the STOP
// mention of stop (0, 1, 2) is added.
func (m Message) SegmentsWithStop(stop int) int { return m.Segments }

// Check returns *TooLongError when the message with its STOP mention needs more than maxSegments.
func (m Message) Check(stop, maxSegments int) error { return nil }

// Bytes returns the wire bytes: ISO-8859-15 for GSM, UTF-8 for unicode.
func (m Message) Bytes() []byte { return []byte(m.Text) }

// EncodeGSM returns the ISO-8859-15 bytes of s, which must hold only characters of the GSM table.
func EncodeGSM(s string) ([]byte, error) { return []byte(s), nil }

// UnsupportedCharError names a character that cannot be sent as GSM.
type UnsupportedCharError struct {
	Char     rune
	Position int // rune index
}

func (e *UnsupportedCharError) Error() string { return "text: character not in the GSM table" }

// TooLongError is a message needing more segments than allowed.
type TooLongError struct {
	Segments    int // needed
	MaxSegments int
	Encoding    Encoding
	Units       int
}

func (e *TooLongError) Error() string { return "text: message too long" }
