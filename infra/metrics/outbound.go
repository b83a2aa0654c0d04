package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// waitBuckets span 1 ms to 2 minutes: a call waits for the rate limit every
// replica shares, one request per second per downstream by default.
var waitBuckets = []float64{0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120}

type outboundMetrics struct {
	calls        *prometheus.CounterVec
	callDuration *prometheus.HistogramVec
	limiterWait  *prometheus.HistogramVec
}

func newOutboundMetrics() outboundMetrics {
	return outboundMetrics{
		calls: counter("downstream_calls_total",
			"Calls to the registry, the carriers and number registration, by downstream and outcome "+
				"(ok, refused, 4xx: a 4xx that refuses nothing, 429, 408, 5xx, error, superseded).",
			"downstream", "outcome"),
		callDuration: histogram("downstream_call_duration_seconds", "Duration of downstream calls, by downstream.", handlerBuckets, "downstream"),
		limiterWait:  histogram("rate_limiter_wait_seconds", "Time a call waited for the shared rate limit, by downstream.", waitBuckets, "downstream"),
	}
}

func (o outboundMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{o.calls, o.callDuration, o.limiterWait}
}

// Called counts a downstream call and its duration.
func (o outboundMetrics) Called(downstream, outcome string, d time.Duration) {
	o.calls.WithLabelValues(downstream, outcome).Inc()
	o.callDuration.WithLabelValues(downstream).Observe(d.Seconds())
}

// Waited records a wait for the rate limit.
func (o outboundMetrics) Waited(downstream string, d time.Duration) {
	o.limiterWait.WithLabelValues(downstream).Observe(d.Seconds())
}
