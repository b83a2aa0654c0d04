// Package retry holds tendlc's hand-made retries and dead-lettering as a
// policy and a middleware over small ports: for every failed message the
// middleware decides whether to send a delayed copy back to its queue (a
// [Requeuer]) or move it to the queue's dead-letter queue (a [DeadLetterer]).
// It imports no transport: infra/sqsq's Copier implements both ports for SQS,
// and infra/sqsq also holds the dead-letter tools operators use (list,
// redrive, purge) and the classifier of AWS errors (ClassifyAWS).
//
// The retry state rides on the message in one attribute, [AttrRetry], so that
// it survives the copy: the attempt number, when the message was first seen,
// the class of the last failure, the deferral and redrive counts, and while a
// wait longer than [MaxHop] (SQS's 15-minute DelaySeconds cap) is under way,
// the time before which the message must not be handled (each early receipt
// re-sends it with the remaining delay, a "hop"). The middleware decodes it
// once per message and adds the attempt to the per-message logger in the
// context (message.SetLogger), so every line logged below carries it, and so
// does the consumer runtime's line about a failure the middleware left undecided.
//
// Message attribute budget. SQS accepts at most 10 message attributes per
// message, and the envelope mirror uses 5 (statemachine.Envelope.Attributes).
// This package adds at most:
//
//	copy                          retry  dead_letter  dead_letter_error  total
//	retry copy, hop, redrive        1        -               -            6
//	dead-letter copy                1        1               1            8
//
// The ports' contract ([OwnAttributes]) has every copy carry this package's
// attributes first, then the envelope attributes, then any other attribute by
// name, up to the limit; an attribute beyond the limit is dropped and logged
// (the body carries the envelope in full, so the mirror is never the only copy
// of a fact).
//
// Errors are classified by type into a [Class] ([Classify], with the
// [Classifier] of the transport below the handler): permanent classes go
// straight to the dead-letter queue; retryable ones are retried with
// exponential backoff and full jitter as the [Policy] of the message's event
// type says (at most [MaxBackoff]), and dead-lettered as "exhausted" once the
// policy's attempts (or deferrals) are used up.
//
// In regd's middleware chain (cmd/regd/chain.go, outermost first) the retry
// middleware sits between the per-message logger and message.Recover, so that
// a panic reaches it as a *message.PanicError:
//
//	handlers.Logging -> retry.(*Retrier).Middleware -> message.Recover -> handler
package retry
