package phone

import "fmt"

// InvalidError is a number that cannot be used.
type InvalidError struct {
	Input  string
	Reason string // short: "empty", "contains letters", "too short", "not a valid number"…
}

// Error names the input, quoted so that an empty or odd one shows, and why
// it was refused.
func (e *InvalidError) Error() string {
	return fmt.Sprintf("phone: invalid number %q: %s", e.Input, e.Reason)
}

// EntryError is an invalid entry of the list given to [NormalizeAll].
type EntryError struct {
	Index int // index in the list, from 0
	Err   *InvalidError
}

// Error names the entry by position, counted from 1 as people count (and as
// the smsmode package's own "entry N" messages do), and by value: the
// fourth entry gives `phone: entry 4 "06 12": too short`.
func (e *EntryError) Error() string {
	return fmt.Sprintf("phone: entry %d %q: %s", e.Index+1, e.Err.Input, e.Err.Reason)
}

// Unwrap returns the *InvalidError, for errors.As.
func (e *EntryError) Unwrap() error { return e.Err }
