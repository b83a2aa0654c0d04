// Package legacy is tendlc, the SQS and DynamoDB implementation of the
// registration flow, as a system under test of package bench: System
// provisions a run's queues and table, starts the webhook shim and the regd
// replicas as processes (each start with a fault seed of its own), seeds the
// load through the events queue, and reads campaign states, queue depths
// and the audit history back for the engine and the checker.
//
// It also holds the benchmarks of tendlc's own parts: ConsumerBench (the
// consumer runtime against a bare SDK loop), WebhookBench (the webhook shim
// under concurrent signed webhooks) and SweeperBench (the sweeper's index
// queries against a table scan).
package legacy
