package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tendlc/tendlc/statemachine"
)

type dispatchMetrics struct {
	transitions  *prometheus.CounterVec
	dispositions *prometheus.CounterVec
	conflicts    *prometheus.CounterVec
	replays      *prometheus.CounterVec
}

func newDispatchMetrics() dispatchMetrics {
	return dispatchMetrics{
		transitions: counter("transitions_total", "Record transitions written, by kind, from state and to state.", "kind", "from", "to"),
		dispositions: counter("dispositions_total",
			"Events not applied, by kind, event, disposition (ignore, defer, reject) and the state machine's reason: once per message, when it is deleted.",
			"kind", "event", "disposition", "reason"),
		conflicts: counter("version_conflicts_total", "Transitions that lost a race with a concurrent write and were decided again, by kind.", "kind"),
		replays:   counter("outbox_replays_total", "Events found applied with their follow-ups unsent, whose outbox was sent again, by kind: once per message, when it is deleted.", "kind"),
	}
}

func (d dispatchMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{d.transitions, d.dispositions, d.conflicts, d.replays}
}

// Transitioned counts a transition written.
func (d dispatchMetrics) Transitioned(kind statemachine.Kind, _ statemachine.EventType, from, to statemachine.State) {
	d.transitions.WithLabelValues(string(kind), string(from), string(to)).Inc()
}

// Disposed counts an event ignored, deferred or rejected.
func (d dispatchMetrics) Disposed(kind statemachine.Kind, event statemachine.EventType, disp statemachine.Disposition, reason string) {
	d.dispositions.WithLabelValues(string(kind), string(event), disp.String(), reason).Inc()
}

// Conflicted counts a version conflict.
func (d dispatchMetrics) Conflicted(kind statemachine.Kind) {
	d.conflicts.WithLabelValues(string(kind)).Inc()
}

// Replayed counts an outbox sent again.
func (d dispatchMetrics) Replayed(kind statemachine.Kind) {
	d.replays.WithLabelValues(string(kind)).Inc()
}
