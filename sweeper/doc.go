// Package sweeper re-drives registrations stuck in a watched state: a record
// whose downstream answer (a webhook, the dispatcher's reply) went missing
// stays where it is until something notices. On a cron schedule the sweeper
// finds the records whose wait (since the state entry, the downstream's
// acceptance of their command, or their last re-drive) is longer than their
// state's threshold ([Policy]), and reconciles each before re-sending
// anything: it asks the downstream for its decisions (a status look-up under
// the downstream's shared rate limit) and tells, through
// statemachine.Redrive, whether to send the decisions the record missed,
// leave a downstream that is still deciding or a command still queued alone,
// or send the command again. A re-drive that counts is a conditional update
// (of two sweepers that found the same record, one wins) that restarts the
// record's wait, so re-drives are spaced by the threshold. Past the maximum
// of re-sends or of checks it gives up: the record's <kind>.failed event with
// reason 30901 goes to the events queue and through the state machine like
// every other change. docs/recovery.md explains the design.
//
// It finds stuck records in one of two ways, to measure them against each
// other: [ModeIndex] queries the sparse waiting index once per watched state
// (cost follows the number of stuck records); [ModeScan], the legacy way,
// scans the whole table with a filter (cost follows the table size). Every
// sweep reports what it examined and the read capacity it consumed.
//
// One sweeper works at a time across all replicas: each sweep holds a lease
// in the table, renewed while it runs and released at the end. Within a
// process, a scheduled sweep that finds the previous one still running is
// skipped.
//
// Its ports ([Store], [Sender], [Lease], [Downstream], [Limiter], [Queues],
// [Observer]) speak domain and standard types only (a search for stuck
// records is a statemachine.StuckQuery answered by a statemachine.Stuck), so
// the adapters satisfy them without importing the sweeper: infra/dynamo's
// store, lease and limiter, infra/sqsq's publisher and queue depths,
// infra/tcr's client, and infra/metrics as the observer.
package sweeper
