package rules

import (
	"errors"

	"github.com/smsq/smsq/smsmode"
)

// TypeCancel is the task that cancels at sMsmode, on behalf of a producer
// without provider credentials, a message it already holds.
const TypeCancel = "sms:cancel"

// CancelPayload is the payload of sms:cancel.
type CancelPayload struct {
	TaskID string `json:"task_id"`
	SMSID  string `json:"sms_id"`
}

// IsNotHeld reports whether deleteSMS.do's error says the message is not
// (or no longer) held: code 61, "SMS non trouvé".
func IsNotHeld(err error) bool {
	var pe *smsmode.Error
	return errors.As(err, &pe) && pe.Code == smsmode.CodeNotFound
}
