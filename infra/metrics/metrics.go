package metrics

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tendlc/tendlc/infra/dynamo"
)

// namespace prefixes every metric name.
const namespace = "tendlc"

// CapacitySource reports the DynamoDB capacity consumed so far;
// *dynamo.Meter satisfies it.
type CapacitySource interface {
	Snapshot() dynamo.Capacity
}

var _ CapacitySource = (*dynamo.Meter)(nil)

// Config configures [New]. Zero values mean the documented defaults.
type Config struct {
	// Registerer receives every collector. Required.
	Registerer prometheus.Registerer
	// Capacity is read at every scrape for the DynamoDB metrics; nil leaves
	// them out.
	Capacity CapacitySource
	// Faults returns the faults injected so far by kind
	// (fault.Injector.Counts); nil leaves the fault metric out.
	Faults func() map[string]int64
}

// Metrics implements the observer interfaces of the consumer runtime
// (sqsq.Observer), the dispatcher (handlers.Observer), the outbound handlers
// (handlers.OutboundObserver), the retry middleware (retry.Observer) and the
// sweeper (sweeper.Observer, which it satisfies without importing the
// sweeper), and counts the AWS requests of the SDK clients it is given to
// (CountSQS, CountDynamoDB). Its methods are safe for concurrent use and do
// not block.
type Metrics struct {
	awsMetrics
	consumerMetrics
	dispatchMetrics
	outboundMetrics
	retryMetrics
	sweeperMetrics
	censusMetrics
}

// New returns the metrics, registered with cfg.Registerer. It returns an
// error when the Registerer is missing, and the registration errors joined
// (a name already registered, ...).
func New(cfg Config) (*Metrics, error) {
	if cfg.Registerer == nil {
		return nil, errors.New("metrics: Registerer is required")
	}
	m := &Metrics{
		awsMetrics:      newAWSMetrics(),
		consumerMetrics: newConsumerMetrics(),
		dispatchMetrics: newDispatchMetrics(),
		outboundMetrics: newOutboundMetrics(),
		retryMetrics:    newRetryMetrics(),
		sweeperMetrics:  newSweeperMetrics(),
		censusMetrics:   newCensusMetrics(),
	}
	cs := m.collectors()
	if cfg.Capacity != nil {
		cs = append(cs, capacityCollector{cfg.Capacity})
	}
	if cfg.Faults != nil {
		cs = append(cs, faultCollector{cfg.Faults})
	}
	var errs []error
	for _, c := range cs {
		if err := cfg.Registerer.Register(c); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return m, nil
}

func (m *Metrics) collectors() []prometheus.Collector {
	var cs []prometheus.Collector
	for _, part := range [][]prometheus.Collector{
		m.awsMetrics.collectors(),
		m.consumerMetrics.collectors(),
		m.dispatchMetrics.collectors(),
		m.outboundMetrics.collectors(),
		m.retryMetrics.collectors(),
		m.sweeperMetrics.collectors(),
		m.censusMetrics.collectors(),
	} {
		cs = append(cs, part...)
	}
	return cs
}

// counter returns a counter vector named tendlc_<name>.
func counter(name, help string, labels ...string) *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help}, labels)
}

// histogram returns a histogram vector named tendlc_<name>.
func histogram(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	return prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: namespace, Name: name, Help: help, Buckets: buckets}, labels)
}
