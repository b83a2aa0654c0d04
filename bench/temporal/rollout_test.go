package temporal

import (
	"maps"
	"strings"
	"testing"

	"github.com/tendlc/tendlc/bench"
)

// TestFlowMixCountsFailedWorkflowTasks: the rollout's cost on the Temporal
// side is the workers' failed workflow tasks, in all and by reason, zero
// included.
func TestFlowMixCountsFailedWorkflowTasks(t *testing.T) {
	tests := []struct {
		name    string
		metrics string
		want    map[string]float64
	}{
		{"failed tasks", `# TYPE temporal_workflow_task_execution_failed counter
temporal_workflow_task_execution_failed{failure_reason="NonDeterminismError",task_queue="registrations",workflow_type="Campaign"} 12
temporal_workflow_task_execution_failed{failure_reason="NonDeterminismError",task_queue="registrations",workflow_type="Number"} 1
temporal_workflow_task_execution_failed{failure_reason="WorkflowError",task_queue="registrations",workflow_type="Campaign"} 2
`, map[string]float64{"workflow tasks failed": 15, "workflow tasks failed, NonDeterminismError": 13, "workflow tasks failed, WorkflowError": 2}},
		{"none", workerMetrics, map[string]float64{"workflow tasks failed": 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := bench.ParseMetrics(strings.NewReader(tt.metrics))
			if err != nil {
				t.Fatal(err)
			}
			if got := (&System{}).FlowMix(bench.RunData{Metrics: m}); !maps.Equal(got, tt.want) {
				t.Errorf("FlowMix = %v, want %v", got, tt.want)
			}
		})
	}
}
