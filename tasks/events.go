package tasks

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
)

// Delivery enqueues the sms:delivery follow-up of a delivery report on
// queue events. Its task ID is DeliveryEventID(p), so the same report
// enqueued twice (a repeated callback) gives one task: the second answer is
// a Duplicate, not an error.
func (e *Enqueuer) Delivery(ctx context.Context, p DeliveryPayload) (Enqueued, error) {
	return e.event(ctx, TypeDelivery, p, DeliveryEventID(p))
}

// Reply enqueues the sms:reply follow-up of a reply on queue events, with
// task ID ReplyEventID(p).
func (e *Enqueuer) Reply(ctx context.Context, p ReplyPayload) (Enqueued, error) {
	return e.event(ctx, TypeReply, p, ReplyEventID(p))
}

func (e *Enqueuer) event(ctx context.Context, typ string, p any, id string) (Enqueued, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return Enqueued{}, err
	}
	res := Enqueued{ID: id, Plan: Plan{Queue: QueueEvents}}
	err = e.put(ctx, asynq.NewTask(typ, b), id, QueueEvents, e.opts.MaxRetry)
	if err == errDuplicate {
		res.Duplicate = true
		return res, nil
	}
	return res, err
}

// DeliveryEventID is the task ID of a delivery report's sms:delivery task:
// "dlr:" and the first 32 hex digits of SHA-256 over smsID, number and
// status. received_at is left out on purpose: a status found by polling
// compteRendu.do has no date (the provider gives only "number status"), so
// the poll and the callback of the same status must hash the same to be one
// event. The consequence is that a recipient reaching the same status twice
// (13, then a temporary error, then 13 again) gives one event, not two, as
// long as the first task is kept (TASK_RETENTION).
func DeliveryEventID(p DeliveryPayload) string {
	return "dlr:" + contentHash(p.SMSID, p.To, strconv.Itoa(p.Status))
}

// ReplyEventID is the task ID of a reply's sms:reply task: "mo:" and the
// provider's responseID when it has one made of letters, digits, ".", "_"
// and "-" (at most 64); otherwise "mo:" and the first 32 hex digits of
// SHA-256 over smsID, sender, received_at and message (or over the unusual
// responseID itself).
func ReplyEventID(p ReplyPayload) string {
	switch {
	case p.ResponseID == "":
		return "mo:" + contentHash(p.SMSID, p.From, p.ReceivedAt.UTC().Format(time.RFC3339), p.Message)
	case plainID(p.ResponseID):
		return "mo:" + p.ResponseID
	}
	return "mo:" + contentHash("responseID", p.ResponseID)
}

func plainID(s string) bool {
	if len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// contentHash hashes fields unambiguously: each is preceded by its length,
// so no choice of values can make two different tuples collide by shifting
// a separator ("a|b","c" vs "a","b|c").
func contentHash(fields ...string) string {
	hs := sha256.New()
	var n [binary.MaxVarintLen64]byte
	for _, f := range fields {
		hs.Write(n[:binary.PutUvarint(n[:], uint64(len(f)))])
		hs.Write([]byte(f))
	}
	return hex.EncodeToString(hs.Sum(nil))[:32]
}
