// Package text decides how an SMS is encoded (GSM 03.38 as ISO-8859-15, or
// unicode), counts its units and segments the way sMsmode bills them, and
// produces the bytes that go on the wire.
//
// # Character table
//
// The provider's table ("CARACTERES ET ENCODAGE", HTTP API 2.7 p6) decides
// what is GSM: LF, CR, space, the printable ASCII characters except the
// backtick, and ¡ £ € ¥ § ¿ Ä Å Æ Ç È É Ñ Ö Ø Ü ß à ä å æ è é ì ñ ò ö ø ù ü.
// Anything else would be replaced by "?" by the provider, so it is never sent
// as GSM. Each character costs one unit except { } | ~ [ \ ] ^ €, which GSM
// sends as an escape sequence and which therefore cost two.
//
// # Unicode
//
// A unicode message (classe_msg=9) costs one unit per code point up to
// U+FFFF and two units per code point above (most emoji): the provider counts
// UTF-16 code units.
//
// # Segments
//
// A GSM message fits in one segment up to 160 units and then takes 153 units
// per segment (306, 459, 612, 765), except that a double-count character is
// never split between two segments: one that would start on a segment's
// last unit moves to the next segment, which may therefore hold 152 units
// (see [GSMSegments]). A unicode message fits 70 units and then 67 per
// segment (134, 201, 268, 335); see [CountSegments].
//
// # Modes
//
// [Auto] first replaces look-alikes that cost nothing (’ → ', “ → ", … → ...,
// no-break space → space, ê → e, ç → c…) and sends GSM when that leaves only
// table characters; otherwise it sends the original text, untouched, as
// unicode. [ForceGSM] substitutes the same way but fails with
// *[UnsupportedCharError] instead of falling back. [ForceUnicode] sends the
// text as is. A message is never cut: [Message.Check] refuses one that needs
// more segments than allowed.
//
// # Look-alikes
//
// A look-alike is a replacement made only of table characters that a reader
// takes for the original: it keeps the message GSM, at 160 units per segment
// instead of 70. The replacements are deliberately conservative: a
// substitution must not change what the message says.
//
// Replaced:
//
//   - quotes and apostrophes: ‘ ’ ‚ ‛ ′ ‹ › ´ ` → '  and  “ ” „ ‟ ″ « » → "
//   - … → ...
//   - dashes and minus: ‐ ‑ ‒ – — ― − → -
//   - tab and every Unicode space separator (no-break space U+00A0, narrow
//     no-break space U+202F, thin space U+2009…) → space
//   - line and paragraph separators U+2028, U+2029 → LF
//   - invisible characters (soft hyphen, zero-width space and joiners, word
//     joiner, BOM) and stray combining diacritics U+0300..U+036F → nothing
//   - œ Œ → oe OE; ł Ł đ Đ Ð ı → l L d D D i; × → x
//   - any other letter whose canonical decomposition (NFD) is a table letter
//     followed by combining marks → that letter, with its first mark when
//     the table has the combination: ê → e, ç → c, Â → A, ą → a, ǘ → ü,
//     Å (U+212B ANGSTROM SIGN) → Å
//   - a character canonically equivalent to a single other one → that one,
//     or its look-alike: U+037E GREEK QUESTION MARK → ;, U+212A KELVIN SIGN
//     → K, U+1FEF GREEK VARIA → '.
//
// Not replaced, because no table character looks like them or a
// replacement would change the meaning: ¤ ¢ ° º ª © ® ™ • · ¦ ¬ ± ÷ µ ¶,
// superscripts and fractions, ð þ, Greek and other scripts, symbols (≠ is
// not =), emoji. Table characters (é è à ù ì ò ä ö ü ñ å æ ø ß É È Ç Ä Ö Ü
// Ñ Å Æ Ø, €…) are never touched.
package text
