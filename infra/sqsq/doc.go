// Package sqsq is tendlc's SQS adapter: the consumer runtime that feeds queue
// messages to handlers (long polling, bounded concurrency, visibility
// heartbeats, batched deletes, graceful shutdown), the [Publisher] that sends
// the messages decisions emit, the [Producer] that external systems use to put
// events on the events queue, and [Provision], which creates the queues of a
// [spec.Spec] and reports drift.
//
// Everything talks to SQS through [API], which the SDK client satisfies.
package sqsq
