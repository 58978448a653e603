package smsmodetest

import (
	"bufio"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/charmap"

	"github.com/smsq/smsq/smsmode/text"
)

// The fake reads the reference on its own (gsm.go); these tests compare its
// reading with the client's, smsmode/text, and fail where they disagree.

// TestFakeDoesNotImportText keeps the fake's reading its own.
func TestFakeDoesNotImportText(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		require.NoError(t, err)
		for _, imp := range parsed.Imports {
			require.NotEqual(t, `"github.com/smsq/smsq/smsmode/text"`, imp.Path.Value, "%s must not use the client's text package", f)
		}
	}
}

// TestCharacterTableAgainstText compares, byte by byte, what the fake shows
// and counts with what the client sends and counts.
func TestCharacterTableAgainstText(t *testing.T) {
	t.Parallel()
	require.Len(t, refTable, 127, "rows of the reference's table (€ twice)")
	for b := 0; b < 256; b++ {
		c := charmap.ISO8859_15.DecodeByte(byte(b))
		if b == 0x80 {
			c = '€' // the reference's second €, its Windows-1252 byte
		}
		_, err := text.EncodeGSM(string(c))
		inText := err == nil
		inFake := shown[b] != '?' || b == '?'
		require.Equal(t, inText, inFake, "byte 0x%02X %q: in the client's table %t, in the fake's %t", b, c, inText, inFake)
		if !inFake {
			continue
		}
		require.Equal(t, c, shown[b], "byte 0x%02X", b)
		m, err := text.Prepare(string(c), text.ForceGSM)
		require.NoError(t, err)
		require.Equal(t, m.Units, gsmUnits(c), "units of %q", c)
	}
}

// crossCheck compares the fake and the client on s: charset, units, parts
// with each STOP mention, and the fake's cut against the client's check.
func crossCheck(t *testing.T, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		return
	}
	// What the handset shows of a GSM send: the client writes "?" for a
	// character outside its table, the fake shows "?" for it.
	if latin, err := charmap.ISO8859_15.NewEncoder().String(s); err == nil {
		want := strings.ToValidUTF8(string(mustDecode(t, text.Message{Text: s, Encoding: text.GSM}.Bytes())), "")
		require.Equal(t, want, decodeGSM(latin), "shown text of %q", s)
	}
	if _, err := text.EncodeGSM(s); err == nil {
		m, err := text.Prepare(s, text.ForceGSM)
		require.NoError(t, err)
		require.Equal(t, s, m.Text, "no substitution for table characters")
		require.Equal(t, m.Segments, gsmParts(s), "GSM parts of %q", s)
		checkStopAndCut(t, s, m, false)
	}
	m, err := text.Prepare(s, text.ForceUnicode)
	require.NoError(t, err)
	require.Equal(t, m.Segments, unicodeParts(s), "unicode parts of %q", s)
	checkStopAndCut(t, s, m, true)
}

func mustDecode(t *testing.T, b []byte) []byte {
	t.Helper()
	out, err := charmap.ISO8859_15.NewDecoder().Bytes(b)
	require.NoError(t, err)
	return out
}

func checkStopAndCut(t *testing.T, s string, m text.Message, unicode bool) {
	t.Helper()
	for stop := 0; stop <= 2; stop++ {
		withFR := s
		if stopAdded(s, stop) {
			withFR += stopMentionFR
		}
		require.Equal(t, m.SegmentsWithStop(stop), parts(withFR, unicode), "parts of %q with stop=%d", s, stop)
		if !unicode && stopAdded(s, stop) {
			require.Equal(t, text.GSMSegments(s, utf8.RuneCountInString(stopMentionIntl)), parts(s+stopMentionIntl, false),
				"parts of %q with the international mention", s)
		}
		for maxParts := 1; maxParts <= 6; maxParts++ {
			limit := maxParts
			if unicode {
				limit = min(maxParts, maxUnicodeParts)
			}
			got, segs, truncated := compose(s, unicode, stop, maxParts, stopMentionFR)
			require.Equal(t, m.Check(stop, limit) != nil, truncated, "%q stop=%d nbr_msg=%d: the fake cuts what the client refuses", s, stop, maxParts)
			require.LessOrEqual(t, segs, limit)
			if !truncated {
				require.Equal(t, withFR, got)
				continue
			}
			core := strings.TrimSuffix(got, stopMentionFR)
			require.True(t, strings.HasPrefix(s, core))
			require.NoError(t, prepare(t, core, unicode).Check(stop, limit), "the cut %q fits", core)
			next := []rune(s)[utf8.RuneCountInString(core)]
			require.Error(t, prepare(t, core+string(next), unicode).Check(stop, limit), "one more character would not fit")
		}
	}
}

func prepare(t *testing.T, s string, unicode bool) text.Message {
	t.Helper()
	mode := text.ForceGSM
	if unicode {
		mode = text.ForceUnicode
	}
	m, err := text.Prepare(s, mode)
	require.NoError(t, err)
	return m
}

// corpus reads testdata/crosscheck.txt: one Go-quoted string per line,
// "#" comments.
func corpus(t testing.TB) []string {
	f, err := os.Open(filepath.Join("testdata", "crosscheck.txt"))
	require.NoError(t, err)
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		ln := sc.Text()
		if ln == "" || strings.HasPrefix(ln, "#") {
			continue
		}
		s, err := strconv.Unquote(ln)
		require.NoError(t, err, "line %q", ln)
		out = append(out, s)
	}
	require.NoError(t, sc.Err())
	return out
}

func TestCrossCheckCorpus(t *testing.T) {
	t.Parallel()
	texts := corpus(t)
	require.Greater(t, len(texts), 100)
	for _, s := range texts {
		crossCheck(t, s)
	}
}

// FuzzCrossCheck compares the fake and the client on any text.
func FuzzCrossCheck(f *testing.F) {
	// More seeds live in testdata/fuzz/FuzzCrossCheck.
	for _, s := range corpus(f) {
		if len(s) < 200 {
			f.Add(s)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 2000 {
			return
		}
		crossCheck(t, s)
	})
}
