package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tendlc/tendlc/statemachine"
)

// The outcomes of a sweep the metrics tell apart, as the sweeper names them
// (sweeper.SweepOK, sweeper.SweepLeaseHeld). The package does not import the
// sweeper: the methods below satisfy sweeper.Observer with domain and
// standard types, and cmd/regd, which joins the two, tests that they agree.
const (
	sweepOK        = "ok"
	sweepLeaseHeld = "lease_held" // another replica's sweeper was at work; nothing was read
)

// sweepBuckets span 100 ms to 14 minutes: a scan of a large table is slow.
var sweepBuckets = prometheus.ExponentialBuckets(0.1, 2, 14)

type sweeperMetrics struct {
	redriven      *prometheus.CounterVec
	gaveUp        *prometheus.CounterVec
	lookups       *prometheus.CounterVec
	sweeps        *prometheus.CounterVec
	examined      *prometheus.CounterVec
	readUnits     *prometheus.CounterVec
	sweepDuration *prometheus.HistogramVec
	lastSweep     prometheus.Gauge
}

func newSweeperMetrics() sweeperMetrics {
	return sweeperMetrics{
		redriven: counter("sweeper_redriven_total",
			"Stuck records re-driven, by kind, state and outcome (resent, recovered, checked, waiting, idle).", "kind", "state", "outcome"),
		gaveUp: counter("sweeper_gave_up_total", "Stuck records failed after their maximum of re-drives or checks, by kind and state.", "kind", "state"),
		lookups: counter("sweeper_lookups_total",
			"Status look-ups the sweeper asked a downstream before re-sending, by downstream and outcome (found, not_found, error).", "downstream", "outcome"),
		sweeps:   counter("sweeper_runs_total", "Sweeps by mode and outcome (ok, lease_held, lease_lost, error).", "mode", "outcome"),
		examined: counter("sweeper_examined_items_total", "Items DynamoDB read to find stuck records, by mode.", "mode"),
		readUnits: counter("sweeper_read_capacity_units_total",
			"Read capacity units consumed finding stuck records, by mode.", "mode"),
		sweepDuration: histogram("sweeper_duration_seconds", "Duration of the sweeps that ran, by mode.", sweepBuckets, "mode"),
		lastSweep: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: namespace, Name: "sweeper_last_success_timestamp_seconds",
			Help: "When the last successful sweep of this replica ended, in Unix seconds."}),
	}
}

func (s sweeperMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{s.redriven, s.gaveUp, s.lookups, s.sweeps, s.examined, s.readUnits, s.sweepDuration, s.lastSweep}
}

// Redriven counts a re-drive.
func (s sweeperMetrics) Redriven(kind statemachine.Kind, state statemachine.State, o statemachine.RedriveOutcome) {
	s.redriven.WithLabelValues(string(kind), string(state), string(o)).Inc()
}

// LookedUp counts a status look-up.
func (s sweeperMetrics) LookedUp(d statemachine.Destination, outcome string) {
	s.lookups.WithLabelValues(string(d), outcome).Inc()
}

// GaveUp counts a record failed by the sweeper.
func (s sweeperMetrics) GaveUp(kind statemachine.Kind, state statemachine.State) {
	s.gaveUp.WithLabelValues(string(kind), string(state)).Inc()
}

// Swept counts a sweep, what it read and how long it took. A sweep that
// found the lease held read nothing: only its run is counted.
func (s sweeperMetrics) Swept(mode, outcome string, examined int64, readUnits float64, started time.Time, took time.Duration) {
	s.sweeps.WithLabelValues(mode, outcome).Inc()
	if outcome == sweepLeaseHeld {
		return
	}
	s.examined.WithLabelValues(mode).Add(float64(examined))
	s.readUnits.WithLabelValues(mode).Add(readUnits)
	s.sweepDuration.WithLabelValues(mode).Observe(took.Seconds())
	if outcome == sweepOK {
		s.lastSweep.Set(float64(started.Add(took).UnixMilli()) / 1000)
	}
}
