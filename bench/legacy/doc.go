// Package legacy is tendlc, the SQS and DynamoDB implementation of the
// registration flow, as a system under test of package bench: System
// provisions a run's queues and table, starts the webhook shim and the regd
// replicas as processes (each start, and each Replica.Restart, with a fault
// seed of its own), seeds the load through the events queue, and reads
// campaign states, queue depths and the audit history back for the engine
// and the checker. It is also a bench.RateLimited (regd's --rate) and a
// bench.Hinter (the regctl commands to look into a served run). Its Figures
// are tendlc's own part of the report, read from the regd replicas' tendlc_
// metrics (infra/metrics) and carriersim's counters: transitions, queues,
// AWS requests and DynamoDB capacity, retries, deferrals and dead letters,
// the sweeper, the calls per downstream, regd's injected faults against its
// --faults, and the fsm matrix. And it is a bench.LimitMeasurer: BareLoop
// is the limit of its event path, the SDK calls of one transition (receive,
// read, write with audit, send the follow-up, clear the outbox, delete) in a
// bare loop at the replicas' concurrency, which the run starts as `regbench
// bare`, a process of its own.
//
// It also holds the benchmarks of tendlc's own parts: ConsumerBench (the
// consumer runtime against a bare SDK loop), WebhookBench (the webhook shim
// under concurrent signed webhooks) and SweeperBench (the sweeper's index
// queries against a table scan).
package legacy
