package temporal

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tendlc/tendlc/bench"
	"github.com/tendlc/tendlc/statemachine"
)

// workerMetrics are a worker's SDK metrics, as it serves them.
const workerMetrics = `# TYPE temporal_activity_schedule_to_start_latency histogram
temporal_activity_schedule_to_start_latency_bucket{activity_type="Call",task_queue="downstream_registry",le="0.01"} 3
temporal_activity_schedule_to_start_latency_bucket{activity_type="Call",task_queue="downstream_registry",le="1"} 4
temporal_activity_schedule_to_start_latency_bucket{activity_type="Call",task_queue="downstream_registry",le="+Inf"} 4
temporal_activity_schedule_to_start_latency_sum{activity_type="Call",task_queue="downstream_registry"} 0.53
temporal_activity_schedule_to_start_latency_count{activity_type="Call",task_queue="downstream_registry"} 4
# TYPE temporal_workflow_task_schedule_to_start_latency histogram
temporal_workflow_task_schedule_to_start_latency_bucket{task_queue="registrations",workflow_type="Campaign",le="0.01"} 5
temporal_workflow_task_schedule_to_start_latency_bucket{task_queue="registrations",workflow_type="Campaign",le="+Inf"} 6
temporal_workflow_task_schedule_to_start_latency_sum{task_queue="registrations",workflow_type="Campaign"} 0.2
temporal_workflow_task_schedule_to_start_latency_count{task_queue="registrations",workflow_type="Campaign"} 6
# TYPE temporal_workflow_completed counter
temporal_workflow_completed{task_queue="registrations",workflow_type="Brand"} 1
temporal_workflow_completed{task_queue="registrations",workflow_type="Campaign"} 1
# TYPE temporal_activity_execution_failed counter
temporal_activity_execution_failed{activity_type="Call",task_queue="downstream_registry"} 2
# TYPE temporal_request counter
temporal_request{operation="RespondWorkflowTaskCompleted"} 40
temporal_request{operation="RespondActivityTaskCompleted"} 10
# TYPE temporal_long_request counter
temporal_long_request{operation="PollWorkflowTaskQueue"} 30
`

func TestFiguresOfARun(t *testing.T) {
	m, err := bench.ParseMetrics(strings.NewReader(workerMetrics))
	if err != nil {
		t.Fatal(err)
	}
	began := time.Date(2026, 12, 4, 18, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return began.Add(time.Duration(s * float64(time.Second))) }
	records := []statemachine.Record{
		{Kind: statemachine.KindBrand, ID: "brand-0000", State: statemachine.Verified, CreatedAt: at(0.5), StateEnteredAt: at(3)},
		{Kind: statemachine.KindCampaign, ID: "campaign-00000", State: statemachine.Active, CreatedAt: at(1), StateEnteredAt: at(12)},
		{Kind: statemachine.KindCampaign, ID: "campaign-00001", State: statemachine.InReview, CreatedAt: at(1), StateEnteredAt: at(6)},
		{Kind: statemachine.KindNumber, ID: "+12020000000", State: statemachine.Registered, CreatedAt: at(8), StateEnteredAt: at(9)},
	}
	d := bench.RunData{Began: began, Elapsed: 20 * time.Second, IDs: []string{"campaign-00000", "campaign-00001"}, Metrics: m,
		Backlog: []bench.BacklogSample{{Queues: map[string]bench.QueueDepth{"registrations": {Visible: 2}, "downstream-registry": {Visible: 7}}},
			{Queues: map[string]bench.QueueDepth{"downstream-registry": {Visible: 3}}}}}
	f := summarize(d, records)

	wantWorkflows := map[statemachine.Kind]workflowCounts{
		statemachine.KindBrand:    {Started: 1, Closed: 1, Ended: map[statemachine.State]int{statemachine.Verified: 1}},
		statemachine.KindCampaign: {Started: 2, Closed: 1, Ended: map[statemachine.State]int{statemachine.Active: 1}},
		statemachine.KindNumber:   {Started: 1, Closed: 1, Ended: map[statemachine.State]int{statemachine.Registered: 1}},
	}
	if !maps.EqualFunc(f.Workflows, wantWorkflows, func(a, b workflowCounts) bool {
		return a.Started == b.Started && a.Closed == b.Closed && maps.Equal(a.Ended, b.Ended)
	}) {
		t.Errorf("workflows %+v, want %+v", f.Workflows, wantWorkflows)
	}
	// 20 s in intervals of 5 s: the brand and the campaigns started in the
	// first, the number in the second; closed at 3, 9 and 12 s.
	wantIntervals := []workflowInterval{{0, 3, 1}, {5, 1, 1}, {10, 0, 1}, {15, 0, 0}, {20, 0, 0}}
	if !slices.Equal(f.WorkflowIntervals, wantIntervals) {
		t.Errorf("workflow intervals %v, want %v", f.WorkflowIntervals, wantIntervals)
	}

	if got := f.TaskQueues["downstream-registry"]; got.Activities.Count != 4 || got.WorkflowTasks.Count != 0 || got.BacklogMax != 7 {
		t.Errorf("downstream-registry: %+v, want 4 activities, no workflow task, backlog max 7", got)
	}
	if got := f.TaskQueues["registrations"]; got.WorkflowTasks.Count != 6 || got.BacklogMax != 2 {
		t.Errorf("registrations: %+v, want 6 workflow tasks, backlog max 2", got)
	}
	s2s := f.ScheduleToStart()
	if got, want := slices.Sorted(maps.Keys(s2s)), []string{"downstream-registry activities", "registrations workflow tasks"}; !slices.Equal(got, want) {
		t.Errorf("schedule-to-start of %v, want %v", got, want)
	}
	if l := s2s["downstream-registry activities"]; l.P50 > 0.01 || l.Mean < 0.13 || l.Mean > 0.14 {
		t.Errorf("the registry's activities waited %+v, want a p50 within the first bucket and a mean of 0.1325 s", l)
	}

	sdk := f.SDK
	if sdk.Requests != 50 || sdk.LongPolls != 30 || sdk.ActivityFailures["Call"] != 2 ||
		!maps.Equal(sdk.WorkflowsCompleted, map[string]float64{"Brand": 1, "Campaign": 1}) {
		t.Errorf("SDK figures %+v", sdk)
	}
	if got := f.BackingStoreRequests(); got["Temporal"] != 50 || got["Temporal (polls)"] != 30 {
		t.Errorf("backing store requests %v, want the calls and the polls apart", got)
	}
}

func TestFiguresFaults(t *testing.T) {
	tests := []struct {
		name    string
		restart *RestartFigures
		count   float64 // of the one check; -1: no check
	}{
		{"no kills, no restart", nil, -1},
		{"restarted", &RestartFigures{AfterSeconds: 7.5, Done: true, AtSeconds: 7.5, DownSeconds: 1.2}, 1},
		{"the run ended before it", &RestartFigures{AfterSeconds: 7.5}, 0},
		{"it did not start again", &RestartFigures{AfterSeconds: 7.5, Done: true, AtSeconds: 7.5, Error: "not healthy"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &figures{ServerRestart: tt.restart}
			injected, checks := f.Faults()
			if len(injected) != 0 {
				t.Errorf("injected %v: the Temporal side has no fault layer", injected)
			}
			switch {
			case tt.count < 0 && len(checks) != 0:
				t.Errorf("checks %+v, want none", checks)
			case tt.count >= 0 && (len(checks) != 1 || checks[0].Count != tt.count || !strings.Contains(checks[0].Configured, "7.5s")):
				t.Errorf("checks %+v, want the restart's, counted %v", checks, tt.count)
			}
			var b strings.Builder
			f.WriteMarkdown(&b, bench.Report{}, bench.PartSections)
			if !strings.Contains(b.String(), "## Temporal server") {
				t.Errorf("no server section:\n%s", b.String())
			}
		})
	}
}

// TestFiguresSayWhatDidNotApply: the summary lists the scenario's regd
// flags the workers did not take, --faults among them.
func TestFiguresSayWhatDidNotApply(t *testing.T) {
	_, dropped := WorkerArgs([]string{"--rate", "all=10", "--faults", "dup-send=0.05,stale-read=0.05", "--sweep-schedule", "@every 5s"})
	f := &figures{RegdOnly: dropped}
	var b strings.Builder
	f.WriteMarkdown(&b, bench.Report{}, bench.PartSections)
	for _, want := range []string{"`--faults dup-send=0.05,stale-read=0.05`", "`--sweep-schedule @every 5s`"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the summary does not list %s:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "all=10") {
		t.Errorf("the summary lists the rate, which the workers take:\n%s", b.String())
	}
}
