package metrics

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tendlc/tendlc/statemachine"
	"github.com/tendlc/tendlc/sweeper"
)

var _ sweeper.Observer = (*Metrics)(nil)

// Outcomes of a sweep.
const (
	sweepOK        = "ok"
	sweepLeaseHeld = "lease_held" // another replica's sweeper was at work; nothing was read
	sweepLeaseLost = "lease_lost"
	sweepError     = "error"
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

// Finished counts a sweep, what it read and how long it took. A dry run is
// not counted: it is an operator's look, not the service's work.
func (s sweeperMetrics) Finished(r sweeper.Report, err error) {
	if r.DryRun {
		return
	}
	mode := string(r.Mode)
	outcome := sweepOK
	switch {
	case errors.Is(err, sweeper.ErrLeaseHeld):
		s.sweeps.WithLabelValues(mode, sweepLeaseHeld).Inc()
		return
	case errors.Is(err, sweeper.ErrLeaseLost):
		outcome = sweepLeaseLost
	case err != nil:
		outcome = sweepError
	}
	s.sweeps.WithLabelValues(mode, outcome).Inc()
	s.examined.WithLabelValues(mode).Add(float64(r.Examined))
	s.readUnits.WithLabelValues(mode).Add(r.ReadUnits)
	s.sweepDuration.WithLabelValues(mode).Observe(r.Duration.Seconds())
	if err == nil {
		s.lastSweep.Set(float64(r.Started.Add(r.Duration).UnixMilli()) / 1000)
	}
}
