package text_test

import (
	"fmt"
	"strings"

	"github.com/smsq/smsq/smsmode/text"
)

func ExamplePrepare() {
	m, err := text.Prepare("Bonjour ! C’est l’été : « fête » à 20 h – venez nombreux…", text.Auto)
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Text)
	fmt.Println(m.Encoding, m.Units, "units,", m.Segments, "segment")
	fmt.Printf("% x\n", m.Bytes()[:12])
	// Output:
	// Bonjour ! C'est l'été : " fete " à 20 h - venez nombreux...
	// gsm 59 units, 1 segment
	// 42 6f 6e 6a 6f 75 72 20 21 20 43 27
}

func ExamplePrepare_emoji() {
	m, err := text.Prepare(strings.Repeat("🎉", 36), text.Auto)
	if err != nil {
		panic(err)
	}
	// Emoji lie beyond U+FFFF and count two units each: 72 units do not fit
	// in one 70-unit segment.
	fmt.Println(m.Encoding, m.Units, "units,", m.Segments, "segments")
	// Output:
	// unicode 72 units, 2 segments
}

func ExamplePrepare_forceGSM() {
	_, err := text.Prepare("Merci ☺", text.ForceGSM)
	fmt.Println(err)
	// Output:
	// text: character "☺" (U+263A) at position 6 is not in the GSM character table; use encoding unicode
}

func ExampleMessage_Check() {
	m, _ := text.Prepare(strings.Repeat("Lorem ipsum ", 85), text.Auto)
	fmt.Println(m.Check(0, 0))
	fmt.Println(m.SegmentsWithStop(2), m.Check(2, 7))
	// Output:
	// text: message needs 7 segments (1020 gsm units) but max_segments is 5
	// 7 <nil>
}
