package temporal

import (
	"github.com/tendlc/tendlc/bench"
	"github.com/tendlc/tendlc/statemachine"
)

// FlowMix returns what the mix of flows cost the workers in the run d: the
// workflow tasks that failed, in all and by the SDK's failure reason. A worker on v1
// fails the task of a workflow that started on v2 (workflow.GetVersion
// refuses a version it does not know), and the server hands the task to
// another worker; the SDK's counter counts every failed task, those of
// another cause included (bench.Deployer).
func (s *System) FlowMix(d bench.RunData) map[string]float64 {
	out := map[string]float64{"workflow tasks failed": d.Metrics.Sum(metricWorkflowTaskFailed, nil)}
	for reason, n := range d.Metrics.By(metricWorkflowTaskFailed, "failure_reason", nil) {
		out["workflow tasks failed, "+reason] = n
	}
	return out
}

// FlowChange names the commits that added flow to the Temporal side, its
// own and the wire both systems share; it has no state table to diff: the
// workflow's code is its flow (bench.Deployer).
func (s *System) FlowChange(flow statemachine.Flow) bench.FlowChange {
	return bench.FlowChange{
		Commits:    bench.StepCommits(s.Name(), flow),
		MatrixNote: "no table: the workflow's code is its flow, versioned with workflow.GetVersion",
	}
}
