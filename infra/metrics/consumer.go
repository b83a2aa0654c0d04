package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tendlc/tendlc/infra/sqsq"
)

var _ sqsq.Observer = (*Metrics)(nil)

// Outcomes of a ReceiveMessage call.
const (
	receiveMessages = "messages"
	receiveEmpty    = "empty"
	receiveError    = "error"
)

// Outcomes of a handled message: deleted (ok, which includes a message the
// retry middleware re-sent or dead-lettered), handled but not deleted (its
// delete failed, or it finished after the shutdown grace: it is handled
// again), left for redelivery after an error, or left because the process is
// shutting down.
const (
	handledOK         = "ok"
	handledNotDeleted = "not_deleted"
	handledError      = "error"
	handledCanceled   = "canceled"
)

// handlerBuckets span 5 ms to 41 s: a handler reads and writes DynamoDB,
// sends to SQS, and an outbound one waits for the rate limit.
var handlerBuckets = prometheus.ExponentialBuckets(0.005, 2, 14)

// queueWaitBuckets span 10 ms to an hour: a message waits for a free
// handler, and a retry or a deferral waits out its delay in the queue (up to
// SQS's 15 minutes per hop). 15 s and 20 s resolve what a killed replica
// costs its messages: the 15 s visibility timeout.
var queueWaitBuckets = []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 20, 30, 60, 120, 300, 900, 3600}

type consumerMetrics struct {
	receives        *prometheus.CounterVec
	received        *prometheus.CounterVec
	handled         *prometheus.CounterVec
	handlerDuration *prometheus.HistogramVec
	queueWait       *prometheus.HistogramVec
	deleteFailures  *prometheus.CounterVec
	extendFailures  *prometheus.CounterVec
}

func newConsumerMetrics() consumerMetrics {
	return consumerMetrics{
		receives: counter("receive_requests_total", "ReceiveMessage calls by queue and outcome (messages, empty, error).", "queue", "outcome"),
		received: counter("messages_received_total", "Messages received by queue.", "queue"),
		handled: counter("messages_handled_total",
			"Messages whose handler returned, by queue and outcome: ok (deleted), not_deleted (succeeded, but handled again), error (left for redelivery), canceled (shutdown).",
			"queue", "outcome"),
		handlerDuration: histogram("handler_duration_seconds", "Time from a message's handler start to its return, by queue.", handlerBuckets, "queue"),
		queueWait: histogram("queue_wait_seconds",
			"Time from a message's send (SentTimestamp) to its receive, by queue: the schedule-to-start time, delays and earlier attempts included.",
			queueWaitBuckets, "queue"),
		deleteFailures: counter("delete_failures_total",
			"Handled messages whose delete failed, by queue: each is delivered and handled again.", "queue"),
		extendFailures: counter("visibility_extension_failures_total",
			"Running messages whose visibility could not be extended, by queue: each may be handled twice at once.", "queue"),
	}
}

func (c consumerMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{c.receives, c.received, c.handled, c.handlerDuration, c.queueWait, c.deleteFailures, c.extendFailures}
}

// Received counts a ReceiveMessage call that returned n messages.
func (c consumerMetrics) Received(queue string, n int) {
	outcome := receiveMessages
	if n == 0 {
		outcome = receiveEmpty
	}
	c.receives.WithLabelValues(queue, outcome).Inc()
	c.received.WithLabelValues(queue).Add(float64(n))
}

// Queued records how long a received message waited in its queue. A
// negative wait (the clocks of SQS and of this host disagree) counts as 0.
func (c consumerMetrics) Queued(queue string, wait time.Duration) {
	c.queueWait.WithLabelValues(queue).Observe(max(wait, 0).Seconds())
}

// ReceiveFailed counts a failed ReceiveMessage call.
func (c consumerMetrics) ReceiveFailed(queue string, _ error) {
	c.receives.WithLabelValues(queue, receiveError).Inc()
}

// Handled counts a message handled for d with the outcome err: nil once it
// is deleted.
func (c consumerMetrics) Handled(queue string, err error, d time.Duration) {
	outcome := handledOK
	switch {
	case errors.Is(err, sqsq.ErrNotDeleted):
		outcome = handledNotDeleted
	case errors.Is(err, context.Canceled):
		outcome = handledCanceled
	case err != nil:
		outcome = handledError
	}
	c.handled.WithLabelValues(queue, outcome).Inc()
	c.handlerDuration.WithLabelValues(queue).Observe(d.Seconds())
}

// DeleteFailed counts handled messages whose delete failed.
func (c consumerMetrics) DeleteFailed(queue string, n int) {
	c.deleteFailures.WithLabelValues(queue).Add(float64(n))
}

// ExtendFailed counts running messages whose visibility was not extended.
func (c consumerMetrics) ExtendFailed(queue string, n int) {
	c.extendFailures.WithLabelValues(queue).Add(float64(n))
}
