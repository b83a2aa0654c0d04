// Package retry holds tendlc's hand-made retries and dead-lettering: the
// middleware that decides, for every failed message, whether to send a delayed
// copy back to its queue or move it to the queue's dead-letter queue, and the
// dead-letter operations operators use (list, redrive, purge).
//
// The retry state rides on the message in one attribute, [AttrRetry], so that
// it survives the copy: the attempt number, when the message was first seen,
// the class of the last failure, the deferral and redrive counts, and while a
// wait longer than SQS's 15-minute DelaySeconds cap is under way, the time
// before which the message must not be handled (each early receipt re-sends it
// with the remaining delay, a "hop").
//
// Message attribute budget. SQS accepts at most [MaxMessageAttributes] (10)
// message attributes per message, and the envelope mirror uses 5
// (statemachine.Envelope.Attributes). This package adds at most:
//
//	copy                          retry  dead_letter  dead_letter_error  total
//	retry copy, hop, redrive        1        -               -            6
//	dead-letter copy                1        1               1            8
//
// Every copy is built by one function that keeps this package's attributes,
// then the envelope attributes, then any other attribute by name, up to the
// limit; an attribute beyond the limit is dropped and logged (the body carries
// the envelope in full, so the mirror is never the only copy of a fact).
//
// Errors are classified by type into a [Class]: permanent classes go straight
// to the dead-letter queue; retryable ones are retried with exponential backoff
// and full jitter as the [Policy] of the message's event type says, and
// dead-lettered as "exhausted" once the policy's attempts (or deferrals) are
// used up.
//
// The retry middleware sits between the logging/metrics middleware and
// message.Recover:
//
//	logging/metrics -> retry.(*Retrier).Middleware -> message.Recover -> dispatch
package retry
