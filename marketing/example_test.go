package marketing_test

import (
	"fmt"
	"time"

	"github.com/smsq/smsq/marketing"
	"github.com/smsq/smsq/smsmode"
)

func ExampleParseHours() {
	h, err := marketing.ParseHours("mon-fri 8:00-12:00, 11:30-14:00 ; Mon-Fri 14:00-20:00;Sat 10:00-18:00")
	fmt.Println(h, err)

	_, err = marketing.ParseHours("Mon-Sat 08:00-20:00 Sun 10:00-12:00")
	fmt.Println("MARKETING_HOURS:", err)
	// Output:
	// Mon-Fri 08:00-20:00; Sat 10:00-18:00 <nil>
	// MARKETING_HOURS: time range "08:00-20:00 Sun 10:00-12:00" is not HH:MM-HH:MM (separate day groups with ";")
}

func ExampleWindow_Next() {
	hours, _ := marketing.ParseHours("Mon-Sat 08:00-20:00")
	holidays, _ := marketing.ParseHolidays("FR")
	paris, _ := time.LoadLocation("Europe/Paris")
	w, err := marketing.New(hours, holidays, paris)
	if err != nil {
		panic(err)
	}
	for _, s := range []string{
		"2026-12-31 19:59:30", // open: Next is its minute
		"2026-12-31 20:00:00", // closed; 1 January is a holiday
		"2027-12-31 20:00:00", // 1 January 2028 is a Saturday, then Sunday
	} {
		t, _ := time.ParseInLocation(time.DateTime, s, paris)
		fmt.Println(s, w.Open(t), "→ date_envoi", w.Next(t).Format(smsmode.LayoutSendDate))
	}
	// Output:
	// 2026-12-31 19:59:30 true → date_envoi 31122026-19:59
	// 2026-12-31 20:00:00 false → date_envoi 02012027-08:00
	// 2027-12-31 20:00:00 false → date_envoi 03012028-08:00
}

func ExampleWindow_Until() {
	hours, _ := marketing.ParseHours("Mon-Sat 08:00-20:00")
	paris, _ := time.LoadLocation("Europe/Paris")
	w, _ := marketing.New(hours, marketing.Holidays{}, paris)

	now := time.Date(2026, time.June, 8, 19, 50, 0, 0, paris)
	for _, backoff := range []time.Duration{5 * time.Minute, 15 * time.Minute} {
		retry := now.Add(backoff)
		if retry.Before(w.Until(now)) {
			fmt.Println(backoff, "retry at", retry.Format("Mon 15:04"))
		} else {
			fmt.Println(backoff, "retry at", w.Next(retry).Format("Mon 15:04"))
		}
	}
	// Output:
	// 5m0s retry at Mon 19:55
	// 15m0s retry at Tue 08:00
}

func ExampleHasStopMention() {
	for _, text := range []string{
		"Soldes -50% ce week-end ! STOP au 36180",
		"Soldes -50% ce week-end ! Stop SMS 36180",
		"Sales this week-end: no-sms.eu",
		"Soldes -50% ce week-end ! Répondez STOP",
	} {
		fmt.Println(marketing.HasStopMention(text), text)
	}
	// Output:
	// true Soldes -50% ce week-end ! STOP au 36180
	// true Soldes -50% ce week-end ! Stop SMS 36180
	// true Sales this week-end: no-sms.eu
	// false Soldes -50% ce week-end ! Répondez STOP
}
