package retry

import (
	"context"
	"errors"
	"time"

	"github.com/tendlc/tendlc/message"
)

// The ports the [Retrier] sends its copies through. A copy is the message's
// body and attributes, with own (this package's attributes: [AttrRetry], and
// on a dead letter [AttrDeadLetter] and [AttrDeadLetterError]) in place of
// those the message carried: an implementation never copies an attribute
// named in [OwnAttributes] from the message, and leaves out empty values.
// infra/sqsq's Copier implements both for SQS.

// Requeuer puts a copy of a message back on the queue it came from.
type Requeuer interface {
	// Requeue sends a copy of m with own to m.QueueURL, to be delivered
	// after delay (0 to MaxHop).
	Requeue(ctx context.Context, m *message.Message, own map[string]string, delay time.Duration) error
}

// DeadLetterer moves a copy of a message to the dead-letter queue of the
// queue it came from.
type DeadLetterer interface {
	// DeadLetter sends a copy of m with own, undelayed, to the dead-letter
	// queue of m.QueueURL, and returns that queue's URL. It returns an error
	// wrapping ErrNoDeadLetterQueue if the queue has none.
	DeadLetter(ctx context.Context, m *message.Message, own map[string]string) (dlqURL string, err error)
}

// ErrNoDeadLetterQueue: a message's queue has no dead-letter queue, so the
// message cannot be dead-lettered and is left for redelivery.
var ErrNoDeadLetterQueue = errors.New("no dead-letter queue")

// MaxHop is the longest delay of one copy: SQS's DelaySeconds cap of 15
// minutes, which a Requeuer must accept. A longer backoff sends the copy with
// MaxHop and the time it waits for in [AttrRetry]; each early delivery is sent
// again with the rest of the wait (a hop).
const MaxHop = 15 * time.Minute

// OwnAttributes returns the names of the message attributes this package
// writes, in the order a copy keeps them before any other.
func OwnAttributes() []string {
	return []string{AttrRetry, AttrDeadLetter, AttrDeadLetterError}
}
