package phone

import "errors"

// NormalizeAll normalises raws with [Normalize] and removes duplicates,
// keeping the first occurrence of each number: "06 12 34 56 78" and
// "+33612345678" are one recipient, who must get one message. The first
// invalid entry gives an *EntryError naming its position and value; an
// unknown region an error wrapping [ErrUnknownRegion]. On success the result
// is never nil.
func NormalizeAll(raws []string, region string) ([]string, error) {
	reg, err := checkRegion(region)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(raws))
	seen := make(map[string]struct{}, len(raws))
	for i, raw := range raws {
		n, err := normalize(raw, reg)
		if err != nil {
			var inv *InvalidError
			if errors.As(err, &inv) {
				return nil, &EntryError{Index: i, Err: inv}
			}
			return nil, err
		}
		if _, dup := seen[n]; dup {
			continue
		}
		seen[n] = struct{}{}
		out = append(out, n)
	}
	return out, nil
}
