package tasks_test

import (
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smsq/smsq/tasks"
)

// DeliveryEventID depends on smsID, number and status only: a status found
// by polling compteRendu.do (no date) and the callback of the same status
// (with its date_reception) are one event.
func TestDeliveryEventID(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 7, 14, 10, 30, 0, 0, time.UTC)
	base := tasks.DeliveryPayload{SMSID: "S7EpYZ5kmS87", To: "33612345678", Status: 11, ReceivedAt: at}
	id := tasks.DeliveryEventID(base)
	require.Regexp(t, regexp.MustCompile(`^dlr:[0-9a-f]{32}$`), id)

	for _, tc := range []struct {
		name   string
		change func(p *tasks.DeliveryPayload)
		same   bool
	}{
		{"another received_at (the poll's own time)", func(p *tasks.DeliveryPayload) { p.ReceivedAt = at.Add(3 * time.Hour) }, true},
		{"no received_at", func(p *tasks.DeliveryPayload) { p.ReceivedAt = time.Time{} }, true},
		{"the same instant in another zone", func(p *tasks.DeliveryPayload) { p.ReceivedAt = at.In(time.FixedZone("CEST", 7200)) }, true},
		{"what only a callback carries", func(p *tasks.DeliveryPayload) { p.MCCMNC, p.Cost, p.Ref = "20801", "1", "order-42" }, true},
		{"the task resolved or not", func(p *tasks.DeliveryPayload) { p.TaskID = "order-42-sms" }, true},
		{"another status", func(p *tasks.DeliveryPayload) { p.Status = 13 }, false},
		{"another number", func(p *tasks.DeliveryPayload) { p.To = "33612345679" }, false},
		{"another smsID", func(p *tasks.DeliveryPayload) { p.SMSID = "S7EpYZ5kmS88" }, false},
		// Length-prefixed fields: moving a character from one field to the
		// next is another report.
		{"a shifted boundary", func(p *tasks.DeliveryPayload) { p.SMSID, p.To = "S7EpYZ5kmS873", "3612345678" }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := base
			tc.change(&p)
			if tc.same {
				require.Equal(t, id, tasks.DeliveryEventID(p))
			} else {
				require.NotEqual(t, id, tasks.DeliveryEventID(p))
			}
		})
	}
}
