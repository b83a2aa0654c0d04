package legacy

import (
	"fmt"

	"github.com/tendlc/tendlc/bench"
	"github.com/tendlc/tendlc/statemachine"
)

// regd's counters of what a replica did with a message of a flow it does not
// run: the deferred copies it sent back to the events queue, and the messages
// it dead-lettered once their flow's deferral budget ran out.
const (
	metricFlowDeferrals = "tendlc_flow_deferrals_total"
	metricDeadLetters   = "tendlc_dead_letters_total"
	reasonFlow          = "unsupported_flow"
)

// FlowMix returns what the mix of flows cost the replicas in the run d: the
// deferrals of events whose record or type is of a flow the replica did not
// run (an event deferred three times counts three), and the events
// dead-lettered for it (bench.Deployer).
func (s *System) FlowMix(d bench.RunData) map[string]float64 {
	return map[string]float64{
		"deferrals (copies sent back to the events queue)": d.Metrics.Sum(metricFlowDeferrals, nil),
		"events dead-lettered":                             d.Metrics.Sum(metricDeadLetters, map[string]string{"reason": reasonFlow}),
	}
}

// FlowChange names the commits that added flow to tendlc, its own and the
// wire both systems share, and the cells the change touched in the state
// tables: statemachine.DiffFlows from v1 (bench.Deployer).
func (s *System) FlowChange(flow statemachine.Flow) bench.FlowChange {
	c := bench.FlowChange{Commits: bench.StepCommits(s.Name(), flow)}
	cells, err := cellChanges(statemachine.FlowV1, flow)
	if err != nil {
		c.MatrixNote = "unknown: " + err.Error()
		return c
	}
	c.Matrix = cells
	return c
}

// cellChanges counts, per kind, the cells of the state tables that flow to
// added or changed against flow from, and each table's size.
func cellChanges(from, to statemachine.Flow) (map[statemachine.Kind]bench.CellChanges, error) {
	diffs, err := statemachine.DiffFlows(from, to)
	if err != nil {
		return nil, fmt.Errorf("diff flows %s and %s: %w", from, to, err)
	}
	out := map[statemachine.Kind]bench.CellChanges{}
	for _, d := range diffs {
		before, err := statemachine.MatrixOf(from, d.Kind)
		if err != nil {
			return nil, err
		}
		after, err := statemachine.MatrixOf(to, d.Kind)
		if err != nil {
			return nil, err
		}
		out[d.Kind] = bench.CellChanges{Added: d.Counts.AddedCells.Total, Changed: d.Counts.ChangedCells.Total,
			Before: len(before.Cells), After: len(after.Cells)}
	}
	return out, nil
}
