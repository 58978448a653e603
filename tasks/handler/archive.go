package handler

import (
	"errors"

	"github.com/hibiken/asynq"
)

// Archive returns err marked so that the task is archived at once instead
// of retried (asynq.SkipRetry), with err as the reason an operator reads in
// the web UI. It is the one way smsq's handlers give up on a task: fix the
// cause, then re-run it from the web UI.
func Archive(err error) error {
	if err == nil {
		return nil
	}
	return &archivedError{err: err}
}

type archivedError struct{ err error }

func (e *archivedError) Error() string   { return e.err.Error() + " (archived, not retried)" }
func (e *archivedError) Unwrap() []error { return []error{e.err, asynq.SkipRetry} }

// ErrInvalidPayload is wrapped by the archive reason of a task whose
// payload cannot be sent as it is (not its type's JSON, or refused by the
// payload's validation).
var ErrInvalidPayload = errors.New("invalid payload")

// ErrOutcomeUnknown is wrapped by the archive reason of a task whose
// earlier call may have been accepted and smsList.do cannot tell: an
// operator must check sMsmode before re-running it.
var ErrOutcomeUnknown = errors.New("outcome unknown")

// IsArchived reports whether err archives its task (Archive, or any error
// wrapping asynq.SkipRetry).
func IsArchived(err error) bool { return errors.Is(err, asynq.SkipRetry) }
