// Package marketing decides when a commercial SMS may be sent in France and
// whether a text carries the opt-out ("STOP") mention.
//
// French rules for commercial SMS: none on Sundays, on public holidays, nor
// outside 08:00–20:00, and a free way to opt out in every message. smsq marks
// such messages with "marketing": true; a [Window] built from MARKETING_HOURS,
// MARKETING_HOLIDAYS and SMSMODE_TIMEZONE says when they may go out. A
// marketing message whose send time falls outside the window is handed to
// the provider with date_envoi set to [Window.Next].
//
// # MARKETING_HOURS
//
// The opening hours of one week, as day groups separated by ";", each a
// list of days followed by a list of time ranges:
//
//	Mon-Sat 08:00-20:00                           the default
//	Mon-Fri 08:00-12:00,14:00-20:00; Sat 10:00-18:00
//	Mon,Wed,Fri 09:00-19:00; Tue,Thu 09:00-12:30
//
// Days are Mon Tue Wed Thu Fri Sat Sun, in any letter case, alone or as a
// range "Mon-Sat" that runs forward through the week (Mon first, Sun last:
// "Sat-Mon" is refused). Times are H:MM or HH:MM on the 24-hour clock; a
// range start-end is half-open, [start, end): "08:00-20:00" opens at 08:00
// and is closed at 20:00 exactly. 24:00 is allowed as an end only, and a
// range cannot cross midnight (write "Fri 22:00-24:00; Sat 00:00-02:00",
// which is one opening period). Spaces are allowed around every separator.
// A day named in several groups gets the union of their ranges; overlapping
// and touching ranges merge. Hours with no opening at all are refused.
//
// [ParseHours] returns an error whose text is one line naming what is
// wrong, without a prefix: the caller prefixes it with the variable name.
// [Hours.String] gives the canonical form, which parses back to the same
// hours.
//
// # MARKETING_HOLIDAYS
//
// The days closed whatever the hours say, computed for any year by
// [ParseHolidays]:
//
//   - FR, the default: the French public holidays of the Code du travail
//     (art. L3133-1): 1 January, Easter Monday, 1 May, 8 May, Ascension
//     (Easter + 39 days), Whit Monday (Easter + 50), 14 July, 15 August,
//     1 November, 11 November and 25 December. Easter is the Gregorian
//     computus (the anonymous algorithm published by Meeus). Whit Monday is
//     included although many employers work on it (journée de solidarité):
//     it stays a public holiday.
//   - FR-57 (also accepted as FR-67 and FR-68): FR plus the two extra
//     holidays of Alsace-Moselle, Good Friday and 26 December.
//   - none: no holidays.
//
// The overseas departments' extra holidays (abolition of slavery) are not
// covered.
//
// # Time, minutes and DST
//
// Hours are wall-clock times in the Window's location (SMSMODE_TIMEZONE,
// Europe/Paris by default). A minute is open when its wall-clock time is in
// a range of its weekday and its date is not a holiday; an instant is open
// when its minute is. Around a DST change this follows the wall clock: on the
// night clocks go forward, a range starting in the skipped hour opens when
// the clocks land in it (with "Sun 02:30-03:30" on the last Sunday of March in
// Paris, at 03:00 CEST); on the night they go back, the repeated hour is
// judged twice, each time by its wall-clock time.
//
// The provider's date_envoi has minute precision, so [Window.Next] always
// returns the start of a minute: a message scheduled at its result is never
// sent before the opening. Searches look at most 400 days ahead. Every week
// of accepted hours has an opening and a year has at most 13 holidays, so
// [Window.Next] always finds one well within that.
//
// # STOP mention
//
// A batch row has no stop parameter, so its text must carry the opt-out
// mention itself. [HasStopMention] accepts the forms the provider appends
// (stop=1 or stop=2: "STOP" and a 5-digit short code such as 36034 for
// France, "no-sms.eu" abroad) and the usual French wordings of the same
// mention; see its documentation for the exact rules.
package marketing
