// Package sweeper re-drives registrations stuck in a waiting state: a record
// whose downstream answer (a webhook, the dispatcher's reply) went missing
// stays where it is until something notices. On a cron schedule the sweeper
// finds the records that have waited longer than their state's threshold
// (24 hours by default), counts a re-drive on each with a conditional update
// (of two sweepers that found the same record, one wins), and re-sends what
// statemachine.Redrive says is missing. After MaxRedrives re-drives it gives
// up: the record's <kind>.failed event with reason 30901 goes to the events
// queue and through the state machine like every other change.
//
// It finds stuck records in one of two ways, to measure them against each
// other: [ModeIndex] queries the sparse waiting index once per waiting state
// (cost follows the number of stuck records); [ModeScan], the legacy way,
// scans the whole table with a filter (cost follows the table size). Every
// sweep reports what it examined and the read capacity it consumed.
//
// One sweeper works at a time across all replicas: each sweep holds a lease
// in the table, renewed while it runs and released at the end. Within a
// process, a scheduled sweep that finds the previous one still running is
// skipped.
package sweeper
