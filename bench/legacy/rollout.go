package legacy

import (
	"github.com/tendlc/tendlc/bench"
	"github.com/tendlc/tendlc/statemachine"
)

// metricFlowMix is regd's counter of the events a replica met for a record
// of a flow it does not run, by what it did with them (label disposition).
const metricFlowMix = "tendlc_flow_mismatches_total"

// FlowMix returns what the mix of flows cost the replicas in the run d: the
// events they met of a record on a flow they do not run, by disposition
// (bench.Deployer).
func (s *System) FlowMix(d bench.RunData) map[string]float64 {
	return d.Metrics.By(metricFlowMix, "disposition", nil)
}

// FlowChange names the commits that added flow to tendlc, its own and the
// wire both systems share, and the cells the change touched in the state
// tables (bench.Deployer).
func (s *System) FlowChange(flow statemachine.Flow) bench.FlowChange {
	return bench.FlowChange{
		Commits:    bench.StepCommits(s.Name(), flow),
		MatrixNote: "unknown: statemachine does not diff two flows' matrices yet",
	}
}
