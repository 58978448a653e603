package text

import (
	"fmt"
	"strings"
)

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
	// Auto substitutes free look-alikes and sends GSM when that leaves only
	// table characters, and the original text as unicode otherwise.
	Auto Mode = 0
	// ForceGSM substitutes free look-alikes and fails on any character left
	// outside the table, for channels that cannot carry unicode (replies
	// with classe_msg=4, batch files).
	ForceGSM Mode = 1
	// ForceUnicode sends the text as is, as unicode.
	ForceUnicode Mode = 2
)

// ParseMode parses "auto" (or ""), "gsm", "unicode", ignoring case.
func ParseMode(s string) (Mode, error) {
	switch {
	case s == "" || strings.EqualFold(s, "auto"):
		return Auto, nil
	case strings.EqualFold(s, "gsm"):
		return ForceGSM, nil
	case strings.EqualFold(s, "unicode"):
		return ForceUnicode, nil
	}
	return Auto, fmt.Errorf("text: unknown encoding mode %q (want auto, gsm or unicode)", s)
}

// String returns "auto", "gsm" or "unicode", the names [ParseMode] accepts.
func (m Mode) String() string {
	switch m {
	case Auto:
		return "auto"
	case ForceGSM:
		return "gsm"
	case ForceUnicode:
		return "unicode"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// MarshalText implements [encoding.TextMarshaler], so that a Mode reads
// well in JSON and configuration.
func (m Mode) MarshalText() ([]byte, error) {
	if m < Auto || m > ForceUnicode {
		return nil, fmt.Errorf("text: unknown encoding mode %d", int(m))
	}
	return []byte(m.String()), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler] with [ParseMode].
func (m *Mode) UnmarshalText(b []byte) error {
	mode, err := ParseMode(string(b))
	if err != nil {
		return err
	}
	*m = mode
	return nil
}
