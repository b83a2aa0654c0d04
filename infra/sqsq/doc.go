// Package sqsq is tendlc's SQS adapter: the consumer runtime that feeds queue
// messages to handlers (long polling by as many loops as the traffic keeps
// busy, one on an idle queue; bounded concurrency, visibility heartbeats,
// batched deletes, graceful shutdown), the [Publisher] that sends
// the messages decisions emit, the [Producer] that external systems use to put
// events on the events queue, and [Provision], which creates the queues of a
// [resources.Set] and reports drift.
//
// It is also the SQS side of package retry: the [Copier] sends the retry
// middleware's copies (retry.Requeuer) and dead letters (retry.DeadLetterer),
// [ClassifyAWS] classifies the AWS SDK's errors for it (retry.Classifier), and
// [ListDeadLetters], [Redrive], [RedriveTo] and [Purge] are the dead-letter
// tools operators use through regctl.
//
// Everything talks to SQS through [API] (or the smaller [Sender], [Peeker],
// [Redriver] and [Purger]), which the SDK client satisfies.
package sqsq
