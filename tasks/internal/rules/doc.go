// Package rules holds what the producer (package tasks) and the worker
// (package tasks/handler) must decide alike: when a message may go, which
// region a number is in, how many retries a send task has, and how a
// producer without credentials asks a worker to cancel at sMsmode.
package rules
