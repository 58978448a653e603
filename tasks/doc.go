// Package tasks defines smsq's asynq task types and their JSON payloads, the
// producer API that validates and enqueues them (Enqueuer), and the worker
// handlers that deliver them through sMsmode exactly once (Sender).
//
// Producers call the constructors or the Enqueuer: everything the provider
// would refuse (numbers, sender, length in segments, reply with a sender …) is
// refused here with a *ValidationError naming the payload field, and nothing
// is enqueued.
//
// The worker's handlers consult an acceptance ledger in Redis, keyed by task
// ID, before every provider call, so a retried task, a task recovered after a
// crash or a duplicate enqueue never pays for the same message twice.
package tasks
