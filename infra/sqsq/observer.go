package sqsq

import (
	"errors"
	"time"
)

// ErrNotDeleted is reported to Observer.Handled, wrapped, for a message
// whose handler succeeded but which was not deleted: its delete failed, or
// its handler finished after the shutdown grace. It is delivered again.
var ErrNotDeleted = errors.New("handled but not deleted")

// Observer is told what a [Consumer] does, for metrics. Its methods are called
// concurrently from the consumer's goroutines and must return quickly.
type Observer interface {
	// Received reports that one ReceiveMessage call returned n messages (n may be 0).
	Received(queue string, n int)
	// Queued reports how long a received message waited in the queue, from
	// its SentTimestamp to its receive: the schedule-to-start time. A message
	// sent with DelaySeconds counts its delay, and one received again after its
	// visibility timeout counts its earlier attempts too.
	Queued(queue string, wait time.Duration)
	// Handled reports the outcome of a message whose handler ran for d. A nil
	// err means the message was deleted; an error wrapping ErrNotDeleted that
	// the handler succeeded but the message stays; any other the handler's
	// error, which leaves the message for redelivery.
	Handled(queue string, err error, d time.Duration)
	// ReceiveFailed reports a failed ReceiveMessage call; the poller backs off.
	ReceiveFailed(queue string, err error)
	// DeleteFailed reports n handled messages whose delete failed: each is
	// delivered and handled again.
	DeleteFailed(queue string, n int)
	// ExtendFailed reports n running messages whose visibility could not be
	// extended: each may be delivered to another handler while this one runs.
	ExtendFailed(queue string, n int)
}

// nopObserver is the Observer of a consumer configured without one.
type nopObserver struct{}

func (nopObserver) Received(string, int)                 {}
func (nopObserver) Queued(string, time.Duration)         {}
func (nopObserver) Handled(string, error, time.Duration) {}
func (nopObserver) ReceiveFailed(string, error)          {}
func (nopObserver) DeleteFailed(string, int)             {}
func (nopObserver) ExtendFailed(string, int)             {}
