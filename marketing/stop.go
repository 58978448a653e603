package marketing

import "regexp"

// stopMention is built from parts so each rule of HasStopMention is visible.
var stopMention = func() *regexp.Regexp {
	const (
		// boundary: the mention starts a word ("NONSTOP 36180" is not one).
		boundary = `(?:^|[^\pL\pN])`
		// sep: spaces (no-break ones included), punctuation, = > →.
		sep = `[\s\pZ\pP=>\x{2192}]`
		// stop: the word itself, in any ASCII letter case, "STOPSMS" too.
		stop = `[sS][tT][oO][pP](?:[sS][mM][sS])?`
		// word: the words French mentions put between STOP and the number,
		// with or without accents (precomposed or combining).
		word = `(?:[sS][mM][sS]` +
			`|[aA][uU]` +
			`|[aAàÀ]\x{0300}?` +
			`|[pP][aA][rR]` +
			`|[nN][uU][mM](?:[éÉ]|[eE]\x{0301}?)[rR][oO]` +
			`|[nN](?:[°º]|[oO])` +
			`|[cC][oO][uU][rR][tT])`
		// shortCode: five digits, "36180" or grouped "36 180".
		shortCode = `[0-9]{2}[ \x{00A0}\x{202F}]?[0-9]{3}(?:$|[^\pN])`
		// international: the provider's mention abroad, as a whole host
		// name ("no-sms.eu." ends a sentence, "no-sms.eu.com" is another).
		international = `[nN][oO]-[sS][mM][sS]\.[eE][uU](?:$|[^\pL\pN._\-]|\.(?:$|[^\pL\pN]))`
	)
	return regexp.MustCompile(boundary + `(?:` +
		stop + `(?:` + sep + `+` + word + `)*` + sep + `*` + shortCode +
		`|` + international + `)`)
}()

// HasStopMention reports whether text carries an opt-out mention, as a batch
// row must (a batch has no stop parameter). It is true when text holds
//
//   - the word STOP, in any ASCII letter case, followed by a 5-digit short
//     code: the provider's own "STOP 36034" (what stop=1 or stop=2 appends),
//     "STOP36180", "Stop SMS 36180", "STOP au 36180", "STOP SMS au 36 180",
//     "STOP par SMS au n° 36180", "STOP au numéro court 36180",
//     "STOP : 36180". Between STOP and the number only spaces (no-break
//     ones too), punctuation, = > → and the words SMS, au, à, par, numéro,
//     n°, no and court may appear, with or without accents; the code is 5
//     ASCII digits, optionally grouped as "36 180", not followed by another
//     digit;
//   - or "no-sms.eu", the provider's mention for messages sent abroad, as a
//     host name of its own ("www.no-sms.eu" counts, "no-sms.eu.com" does
//     not).
//
// STOP alone ("Répondez STOP"), a long number, or STOP inside a word
// ("NONSTOP 36180") is not a mention: with a custom sender the recipient
// cannot answer the sender, and operators require the short code. Which
// short code the account uses is not checked (the provider may change it).
func HasStopMention(text string) bool {
	return stopMention.MatchString(text)
}
