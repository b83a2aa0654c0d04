// Package metrics turns what tendlc's parts observe into Prometheus metrics:
// one [Metrics] value implements every observer hook (the consumer runtime's,
// the dispatcher's, the outbound handlers', the retry middleware's and the
// sweeper's), counts the requests of the AWS SDK clients through client
// options, collects the DynamoDB capacity a dynamo.Meter counted at scrape
// time, and holds the records-per-state gauge a [Census] keeps.
//
// Names carry the tendlc_ prefix and base units; counters end in _total;
// labels are bounded enums (kind, state, event, outcome, queue, downstream,
// reason, class, mode, service, operation, fault), never ids. Nothing registers
// itself: the registry is created by the binary and passed to [New].
//
// It is the one adapter that imports others (infra/sqsq and infra/dynamo),
// for the observer interface it implements and the meter it reads; none of
// them imports it. It does not import the sweeper, whose observer speaks
// domain and standard types only.
package metrics
