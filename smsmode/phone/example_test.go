package phone_test

import (
	"errors"
	"fmt"

	"github.com/smsq/smsq/smsmode/phone"
)

func ExampleNormalize() {
	for _, raw := range []string{"06 12 34 56 78", "+33 (0)6 12 34 56 78", "0033612345678", "33612345678", "+44 7911 123456"} {
		n, err := phone.Normalize(raw, "FR")
		fmt.Println(n, err)
	}
	_, err := phone.Normalize("06 12", "FR")
	var inv *phone.InvalidError
	fmt.Println(errors.As(err, &inv), err)
	// Output:
	// 33612345678 <nil>
	// 33612345678 <nil>
	// 33612345678 <nil>
	// 33612345678 <nil>
	// 447911123456 <nil>
	// true phone: invalid number "06 12": too short
}

func ExampleNormalizeAll() {
	numbers, err := phone.NormalizeAll([]string{"06 12 34 56 78", "+33612345678", "07 56 12 34 56"}, "FR")
	fmt.Println(numbers, err)
	_, err = phone.NormalizeAll([]string{"06 12 34 56 78", "06 12"}, "FR")
	fmt.Println(err)
	// Output:
	// [33612345678 33756123456] <nil>
	// phone: entry 2 "06 12": too short
}
