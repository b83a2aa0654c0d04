package sqsq

import "time"

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
	// Handled reports that a handler returned err after running for d. A nil
	// err means the message is to be deleted; any other leaves it for
	// redelivery.
	Handled(queue string, err error, d time.Duration)
	// ReceiveFailed reports a failed ReceiveMessage call; the poller backs off.
	ReceiveFailed(queue string, err error)
}

// nopObserver is the Observer of a consumer configured without one.
type nopObserver struct{}

func (nopObserver) Received(string, int)                 {}
func (nopObserver) Queued(string, time.Duration)         {}
func (nopObserver) Handled(string, error, time.Duration) {}
func (nopObserver) ReceiveFailed(string, error)          {}
