package marketing_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/marketing"
)

func TestParseHours(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string // want is the canonical String()
	}{
		{"Mon-Sat 08:00-20:00", "Mon-Sat 08:00-20:00"},
		{"mon-sat 8:00-20:00", "Mon-Sat 08:00-20:00"},
		{"  MON - SAT   08:00 - 20:00  ", "Mon-Sat 08:00-20:00"},
		{"Mon-Sat08:00-20:00", "Mon-Sat 08:00-20:00"},
		{"Mon-Fri 08:00-12:00,14:00-20:00; Sat 10:00-18:00", "Mon-Fri 08:00-12:00,14:00-20:00; Sat 10:00-18:00"},
		{"Mon-Fri 08:00-12:00 , 14:00-20:00 ;Sat 10:00-18:00;", "Mon-Fri 08:00-12:00,14:00-20:00; Sat 10:00-18:00"},
		{"Mon,Wed 09:00-10:00", "Mon,Wed 09:00-10:00"},
		{"Mon, Tue ,Wed 09:00-10:00", "Mon-Wed 09:00-10:00"},
		{"Mon-Mon 09:00-10:00", "Mon 09:00-10:00"},
		{"Sun 00:00-24:00", "Sun 00:00-24:00"},
		{"Mon-Sun 00:00-24:00", "Mon-Sun 00:00-24:00"},
		// Overlapping and touching ranges merge, also across groups.
		{"Mon 08:00-12:00,11:00-14:00", "Mon 08:00-14:00"},
		{"Mon 08:00-12:00,12:00-14:00", "Mon 08:00-14:00"},
		{"Mon 14:00-20:00,08:00-12:00", "Mon 08:00-12:00,14:00-20:00"},
		{"Mon 09:00-10:00,08:00-20:00", "Mon 08:00-20:00"},
		{"Mon-Fri 08:00-12:00; Wed 11:00-18:00", "Mon-Tue,Thu-Fri 08:00-12:00; Wed 08:00-18:00"},
		{"Mon-Sat 08:00-20:00; Sat 08:00-20:00", "Mon-Sat 08:00-20:00"},
		// Days with equal hours are grouped; Monday comes first.
		{"Sun 10:00-12:00; Mon 10:00-12:00", "Mon,Sun 10:00-12:00"},
		{"Tue 10:00-11:00; Mon 09:00-10:00; Wed 10:00-11:00", "Mon 09:00-10:00; Tue-Wed 10:00-11:00"},
		{"Mon,Wed,Fri 09:00-19:00; Tue,Thu 09:00-12:30", "Mon,Wed,Fri 09:00-19:00; Tue,Thu 09:00-12:30"},
		{"Sat 23:59-24:00", "Sat 23:59-24:00"},
		{"Mon 00:00-00:01", "Mon 00:00-00:01"},
		{"\tMon\u00a0 08:00-20:00\n", "Mon 08:00-20:00"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			h, err := marketing.ParseHours(tt.in)
			require.NoError(t, err)
			require.Equal(t, tt.want, h.String())
			again, err := marketing.ParseHours(h.String())
			require.NoError(t, err)
			require.Equal(t, h, again, "String parses back to the same hours")
		})
	}
}

func TestParseHoursErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string // want is the whole error text
	}{
		{"", `no opening hours (expected e.g. "Mon-Sat 08:00-20:00")`},
		{" ; ;", `no opening hours (expected e.g. "Mon-Sat 08:00-20:00")`},
		{"Mon-Sat", `"Mon-Sat" has no time range (expected e.g. "Mon-Sat 08:00-20:00")`},
		{"08:00-20:00", `"08:00-20:00" names no days before its time ranges (expected e.g. "Mon-Sat 08:00-20:00")`},
		{"Mox 08:00-20:00", `day "Mox" is not one of Mon Tue Wed Thu Fri Sat Sun`},
		{"Monday 08:00-20:00", `day "Monday" is not one of Mon Tue Wed Thu Fri Sat Sun`},
		{"Mo n 08:00-20:00", `day "Mo n" is not one of Mon Tue Wed Thu Fri Sat Sun`},
		{"Sat-Mon 08:00-20:00", `day range "Sat-Mon" runs backwards (the week runs from Mon to Sun)`},
		{"Mon- 08:00-20:00", `a day range lacks a day`},
		{"Mon-Tue-Wed 08:00-20:00", `day "Tue-Wed" is not one of Mon Tue Wed Thu Fri Sat Sun`},
		{"Mon,,Tue 08:00-20:00", `empty day in "Mon,,Tue"`},
		{"Mon 20:00-08:00", `time range "20:00-08:00" does not end after it starts (a range cannot cross midnight: split it at 24:00)`},
		{"Mon 08:00-08:00", `time range "08:00-08:00" does not end after it starts (a range cannot cross midnight: split it at 24:00)`},
		{"Mon 24:00-24:00", `time range "24:00-24:00" starts at 24:00 (24:00 can only end a range)`},
		{"Mon 08:00-24:01", `time "24:01" is not between 00:00 and 24:00`},
		{"Mon 25:00-26:00", `time "25:00" is not between 00:00 and 24:00`},
		{"Mon 08:60-20:00", `time "08:60" is not between 00:00 and 24:00`},
		{"Mon 8-20", `time "8" is not HH:MM`},
		{"Mon 08h00-20h00", `time "08h00" is not HH:MM`},
		{"Mon 008:00-20:00", `time "008:00" is not HH:MM`},
		{"Mon 08:0-20:00", `time "08:0" is not HH:MM`},
		{"Mon +8:00-20:00", `day "Mon +" is not one of Mon Tue Wed Thu Fri Sat Sun`},
		{"Mon 08:00-", `time "" is not HH:MM`},
		{"Mon 08:00", `time range "08:00" is not HH:MM-HH:MM`},
		{"Mon 08:00-12:00,", `time range "" is not HH:MM-HH:MM`},
		{"Mon 08:00-12:00-14:00", `time range "08:00-12:00-14:00" is not HH:MM-HH:MM`},
		{"Mon-Fri 08:00-20:00 Sat 10:00-12:00", `time range "08:00-20:00 Sat 10:00-12:00" is not HH:MM-HH:MM (separate day groups with ";")`},
		{"Mon 08:00-20:00; Sun", `"Sun" has no time range (expected e.g. "Mon-Sat 08:00-20:00")`},
		{"Mon 08:00-20:00\nTue 08:00-20:00", `time range "08:00-20:00\nTue 08:00-20:00" is not HH:MM-HH:MM (separate day groups with ";")`},
		{"Mon ０8:00-20:00", `day "Mon ０" is not one of Mon Tue Wed Thu Fri Sat Sun`},
		{"Xyz" + strings.Repeat("z", 60) + " 08:00-20:00", `day "Xyz` + strings.Repeat("z", 37) + `"… is not one of Mon Tue Wed Thu Fri Sat Sun`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			h, err := marketing.ParseHours(tt.in)
			require.EqualError(t, err, tt.want)
			require.NotContains(t, err.Error(), "\n", "one line")
			require.Equal(t, marketing.Hours{}, h)
		})
	}
}
