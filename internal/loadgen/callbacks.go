package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/smsq/smsq/tasks"
)

// DeliveryCallback makes callback k of a series of distinct delivery
// reports ("received", 11, for message B<k> of task send-<k>) the way
// sMsmode makes them: a GET of the notification URL, base being the part up
// to and including ".../delivery/". Any answer but 200 is an error.
func DeliveryCallback(hc *http.Client, base string, k int) error {
	resp, err := hc.Get(fmt.Sprintf("%ssend-%010d?numero=336%08d&date_reception=2026-07-14+10%%3A30%%3A00&statut=11&smsID=B%010d&refClient=bench&mcc_mnc=20801&cost=1",
		base, k, k%100_000_000, k))
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("callback %d: HTTP %d", k, resp.StatusCode)
	}
	return nil
}

// DeliveryEvent is what the receiver stores for DeliveryCallback k: the
// sms:delivery payload and a task ID of the same length as the receiver's,
// for a floor that enqueues the same tasks without HTTP.
func DeliveryEvent(k int, receivedAt time.Time) (payload []byte, taskID string, err error) {
	payload, err = json.Marshal(tasks.DeliveryPayload{
		SMSID: fmt.Sprintf("B%010d", k), To: fmt.Sprintf("336%08d", k%100_000_000), Status: 11,
		StatusText: "received", Final: true, ReceivedAt: receivedAt, Ref: "bench", MCCMNC: "20801", Cost: "1",
		TaskID: fmt.Sprintf("send-%010d", k),
	})
	return payload, fmt.Sprintf("dlr:%032d", k), err
}
