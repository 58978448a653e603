// Package store keeps what smsq remembers in Redis beside the queues, for
// producers and workers alike: the acceptance ledger (which tasks sMsmode
// accepted, with which smsID, and which provider calls are in flight) and
// each recipient's latest delivery status.
//
// Every key starts with "smsq:"; a task's keys share the hash tag {taskID}
// so that one script touches one slot.
package store
