package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tendlc/tendlc/retry"
)

var _ retry.Observer = (*Metrics)(nil)

type retryMetrics struct {
	retries       *prometheus.CounterVec
	deferrals     *prometheus.CounterVec
	flowDeferrals *prometheus.CounterVec
	deadLetters   *prometheus.CounterVec
}

func newRetryMetrics() retryMetrics {
	return retryMetrics{
		retries:   counter("retries_total", "Copies sent for another attempt, by queue and failure class.", "queue", "class"),
		deferrals: counter("deferrals_total", "Copies sent for an event that arrived early, by queue.", "queue"),
		flowDeferrals: counter("flow_deferrals_total",
			"Copies sent for an event whose record or type belongs to a newer flow than this replica runs (a rolling deploy's version mix), by queue.", "queue"),
		deadLetters: counter("dead_letters_total",
			"Messages moved to a dead-letter queue, by queue and reason (exhausted, unsupported_version, unsupported_flow or a permanent failure class).", "queue", "reason"),
	}
}

func (r retryMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{r.retries, r.deferrals, r.flowDeferrals, r.deadLetters}
}

// Retried counts a copy sent for another attempt.
func (r retryMetrics) Retried(queue string, class retry.Class) {
	r.retries.WithLabelValues(queue, string(class)).Inc()
}

// Deferred counts a copy sent for a deferred event.
func (r retryMetrics) Deferred(queue string) {
	r.deferrals.WithLabelValues(queue).Inc()
}

// FlowDeferred counts a copy sent for an event deferred for a newer flow.
func (r retryMetrics) FlowDeferred(queue string) {
	r.flowDeferrals.WithLabelValues(queue).Inc()
}

// DeadLettered counts a dead letter.
func (r retryMetrics) DeadLettered(queue, reason string) {
	r.deadLetters.WithLabelValues(queue, reason).Inc()
}
