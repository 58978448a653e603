package rules

import "github.com/nyaruka/phonenumbers"

// RegionOf returns the ISO region code ("FR") of a number in international
// digits ("33612345678"), or "" when it has none.
func RegionOf(number string) string {
	n, err := phonenumbers.Parse("+"+number, "")
	if err != nil {
		return ""
	}
	return phonenumbers.GetRegionCodeForNumber(n)
}

// Destinations counts a message's numbers per region.
func Destinations(numbers []string) map[string]int {
	out := map[string]int{}
	for _, n := range numbers {
		out[RegionOf(n)]++
	}
	return out
}
