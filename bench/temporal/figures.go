package temporal

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/tendlc/tendlc/bench"
	"github.com/tendlc/tendlc/statemachine"
)

// The Temporal Go SDK's metrics as the workers serve them (tally's
// Prometheus reporter: counters keep their SDK names, without _total;
// timers are histograms in seconds), labelled by task_queue,
// workflow_type, activity_type and operation.
const (
	metricActivityScheduleToStart     = "temporal_activity_schedule_to_start_latency"
	metricWorkflowTaskScheduleToStart = "temporal_workflow_task_schedule_to_start_latency"
	metricWorkflowCompleted           = "temporal_workflow_completed"
	metricWorkflowFailed              = "temporal_workflow_failed"
	metricWorkflowEndToEnd            = "temporal_workflow_endtoend_latency"
	metricWorkflowTaskFailed          = "temporal_workflow_task_execution_failed"
	metricActivityFailed              = "temporal_activity_execution_failed"
	metricRequests                    = "temporal_request"
	metricRequestFailures             = "temporal_request_failure"
	metricResourceExhausted           = "temporal_request_resource_exhausted"
	metricLongRequests                = "temporal_long_request"
)

// metricLabel is a task queue's name as the workers' metrics label it: the
// SDK's Prometheus sanitizer turns every character but letters, digits and
// underscores into an underscore ("downstream-att" is "downstream_att").
func metricLabel(queue string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, queue)
}

// The kinds of task a task queue hands out, as ScheduleToStart names them.
const (
	workflowTasks = "workflow tasks"
	activityTasks = "activities"
)

// figures are the Temporal side's own figures of a run: its workflows, read
// from the records at the end, and the workers' SDK metrics (the names
// omes and benchmark-workers report: workflows started and closed per
// interval, schedule-to-start per task queue, the task queues' backlog).
type figures struct {
	// Workflows counts the workflows of each kind, one per record.
	Workflows map[statemachine.Kind]workflowCounts `json:"workflows"`
	// WorkflowIntervals are the workflows of every kind started and closed
	// per interval of the report's width (interval_seconds).
	WorkflowIntervals []workflowInterval          `json:"workflow_intervals"`
	TaskQueues        map[string]taskQueueFigures `json:"task_queues"`
	SDK               sdkFigures                  `json:"sdk"`
	// ServerRestart is what became of the embedded server's restart; absent
	// in a run that kills no workers.
	ServerRestart *RestartFigures `json:"server_restart,omitempty"`
	// RegdOnly are the scenario's regd flags the workers do not take, as
	// written: regd's fault layer, its sweeper, its consumers.
	RegdOnly []string `json:"regd_flags_not_applied"`

	started int // campaigns seeded
}

var _ bench.Figures = (*figures)(nil)

// workflowCounts are the workflows of one kind: started (their record
// exists) and closed (their record reached a terminal state: the
// workflow's result), by the state they ended in.
type workflowCounts struct {
	Started int                        `json:"started"`
	Closed  int                        `json:"closed"`
	Ended   map[statemachine.State]int `json:"ended"`
}

// workflowInterval counts the workflows started and closed in one interval.
type workflowInterval struct {
	Start   float64 `json:"start_seconds"` // from the seeding
	Started int     `json:"started"`
	Closed  int     `json:"closed"`
}

// taskQueueFigures are one task queue's figures: how long its tasks waited
// for a worker (from the SDK's histograms, estimated from their buckets)
// and the most tasks it held at once.
type taskQueueFigures struct {
	WorkflowTasks bench.Latency `json:"workflow_task_schedule_to_start_seconds"`
	Activities    bench.Latency `json:"activity_schedule_to_start_seconds"`
	BacklogMax    int           `json:"backlog_max"`
}

// sdkFigures are the workers' SDK counters, every incarnation added up.
type sdkFigures struct {
	WorkflowsCompleted   map[string]float64       `json:"workflows_completed_by_type"`
	WorkflowsFailed      map[string]float64       `json:"workflows_failed_by_type"`
	WorkflowEndToEnd     map[string]bench.Latency `json:"workflow_endtoend_latency_seconds_by_type"`
	WorkflowTaskFailures float64                  `json:"workflow_task_failures"`
	ActivityFailures     map[string]float64       `json:"activity_failures_by_type"` // attempts that failed, retried or not
	// Requests are the workers' calls to the Temporal frontend, LongPolls
	// their task polls; failures and resource-exhausted answers among the
	// calls.
	Requests          float64 `json:"requests"`
	RequestFailures   float64 `json:"request_failures"`
	ResourceExhausted float64 `json:"resource_exhausted"`
	LongPolls         float64 `json:"long_polls"`
}

// Figures computes the Temporal side's figures of the run d, from the
// records History read and the workers' metrics.
func (s *System) Figures(d bench.RunData) bench.Figures {
	f := summarize(d, s.records)
	f.RegdOnly = s.dropped
	if s.restart != nil {
		f.ServerRestart = &s.restarted
	}
	return f
}

// summarize computes the figures of the run d whose records are records.
func summarize(d bench.RunData, records []statemachine.Record) *figures {
	f := &figures{Workflows: map[statemachine.Kind]workflowCounts{}, TaskQueues: map[string]taskQueueFigures{}, started: len(d.IDs)}
	f.fillWorkflows(d, records)
	c := d.Metrics
	queues := map[string]string{} // the metrics' label of every task queue, by name
	labelled := map[string]bool{}
	for _, b := range d.Backlog {
		for q := range b.Queues {
			queues[q] = metricLabel(q)
			labelled[queues[q]] = true
		}
	}
	for _, m := range []string{metricWorkflowTaskScheduleToStart, metricActivityScheduleToStart} {
		for l := range c.By(m+"_count", "task_queue", nil) {
			if !labelled[l] { // a task queue the backlog did not list: by its label
				queues[l], labelled[l] = l, true
			}
		}
	}
	for q, l := range queues {
		tq := taskQueueFigures{
			WorkflowTasks: c.HistogramLatency(metricWorkflowTaskScheduleToStart, map[string]string{"task_queue": l}),
			Activities:    c.HistogramLatency(metricActivityScheduleToStart, map[string]string{"task_queue": l})}
		for _, b := range d.Backlog {
			tq.BacklogMax = max(tq.BacklogMax, b.Queues[q].Total())
		}
		f.TaskQueues[q] = tq
	}
	endToEnd := map[string]bench.Latency{}
	for t := range c.By(metricWorkflowEndToEnd+"_count", "workflow_type", nil) {
		endToEnd[t] = c.HistogramLatency(metricWorkflowEndToEnd, map[string]string{"workflow_type": t})
	}
	f.SDK = sdkFigures{
		WorkflowsCompleted: c.By(metricWorkflowCompleted, "workflow_type", nil),
		WorkflowsFailed:    c.By(metricWorkflowFailed, "workflow_type", nil),
		WorkflowEndToEnd:   endToEnd, WorkflowTaskFailures: c.Sum(metricWorkflowTaskFailed, nil),
		ActivityFailures: c.By(metricActivityFailed, "activity_type", nil),
		Requests:         c.Sum(metricRequests, nil), RequestFailures: c.Sum(metricRequestFailures, nil),
		ResourceExhausted: c.Sum(metricResourceExhausted, nil), LongPolls: c.Sum(metricLongRequests, nil)}
	return f
}

// fillWorkflows counts the workflows of each kind, and those started and
// closed per interval, from the records.
func (f *figures) fillWorkflows(d bench.RunData, records []statemachine.Record) {
	width := bench.IntervalWidth(d.Elapsed.Seconds())
	n := int(d.Elapsed.Seconds()/width) + 1
	f.WorkflowIntervals = make([]workflowInterval, n)
	for i := range f.WorkflowIntervals {
		f.WorkflowIntervals[i].Start = float64(i) * width
	}
	index := func(t time.Time) int { return min(max(int(t.Sub(d.Began).Seconds()/width), 0), n-1) }
	for _, r := range records {
		wc := f.Workflows[r.Kind]
		if wc.Ended == nil {
			wc.Ended = map[statemachine.State]int{}
		}
		wc.Started++
		f.WorkflowIntervals[index(r.CreatedAt)].Started++
		if statemachine.IsTerminal(r.Kind, r.State) {
			wc.Closed++
			wc.Ended[r.State]++
			f.WorkflowIntervals[index(r.StateEnteredAt)].Closed++
		}
		f.Workflows[r.Kind] = wc
	}
}

// Faults returns no injected fault (the Temporal side has no fault layer of
// its own: regd's --faults act on SQS and DynamoDB calls, which it does not
// make) and, in a run that kills workers, the check of the server's
// restart.
func (f *figures) Faults() (map[string]float64, []bench.FaultCheck) {
	r := f.ServerRestart
	if r == nil {
		return nil, nil
	}
	done := 0.0
	if r.Done && r.Error == "" {
		done = 1
	}
	return nil, []bench.FaultCheck{{Fault: "Temporal server killed (SIGKILL) and restarted on its file",
		Configured: fmt.Sprintf("once, %v after the seeding", time.Duration(r.AfterSeconds*float64(time.Second))), Count: done}}
}

// ScheduleToStart returns every task queue's wait, for workflow tasks and
// for activities apart: "<queue> workflow tasks", "<queue> activities".
func (f *figures) ScheduleToStart() map[string]bench.Latency {
	out := map[string]bench.Latency{}
	for q, tq := range f.TaskQueues {
		if tq.WorkflowTasks.Count > 0 {
			out[q+" "+workflowTasks] = tq.WorkflowTasks
		}
		if tq.Activities.Count > 0 {
			out[q+" "+activityTasks] = tq.Activities
		}
	}
	return out
}

// BackingStoreRequests returns the workers' calls to the Temporal server,
// the store of the workflows' state and histories: its calls, and its task
// polls apart.
func (f *figures) BackingStoreRequests() map[string]float64 {
	return map[string]float64{"Temporal": f.SDK.Requests, "Temporal (polls)": f.SDK.LongPolls}
}

// WriteMarkdown writes the workflows after the time to ACTIVE; the task
// queues, the server's restart, the calls to the server and what does not
// apply after the faults; and the workflows per interval after the
// campaigns per interval.
func (f *figures) WriteMarkdown(b *strings.Builder, r bench.Report, part bench.Part) {
	switch part {
	case bench.PartCampaigns:
		var kinds []string
		for _, k := range statemachine.Kinds {
			if w, ok := f.Workflows[k]; ok {
				kinds = append(kinds, fmt.Sprintf("%s %d started, %d closed", k, w.Started, w.Closed))
			}
		}
		fmt.Fprintf(b, "Workflows (one per record): %s.\n", strings.Join(kinds, "; "))
	case bench.PartSections:
		f.writeTaskQueues(b, r)
		f.writeServer(b)
		f.writeNotApplied(b)
	case bench.PartAppendix:
		fmt.Fprintf(b, "\n## Workflows per interval (%.0f s)\n\nEvery kind: a record created is a workflow started, a record in a terminal state one closed.\n\n"+
			"| from | started | closed |\n|---:|---:|---:|\n", r.IntervalSeconds)
		for _, in := range f.WorkflowIntervals {
			fmt.Fprintf(b, "| %.0f s | %d | %d |\n", in.Start, in.Started, in.Closed)
		}
	}
}

func (f *figures) writeTaskQueues(b *strings.Builder, r bench.Report) {
	b.WriteString("\n## Task queues\n\nSchedule-to-start is the time from a task's scheduling to a worker's start of it " +
		"(the SDK's histograms, estimated from their buckets); an activity's retries are scheduled anew after their backoff.\n\n")
	b.WriteString("| task queue | workflow tasks | p50 | p95 | p99 | activities | p50 | p95 | p99 | backlog max |\n" +
		"|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	lat := func(l bench.Latency) string {
		if l.Count == 0 {
			return "0 | – | – | –"
		}
		return fmt.Sprintf("%d | %s | %s | %s", l.Count, r.RunTime(l.P50, 2), r.RunTime(l.P95, 2), r.RunTime(l.P99, 2))
	}
	for _, q := range slices.Sorted(maps.Keys(f.TaskQueues)) {
		tq := f.TaskQueues[q]
		fmt.Fprintf(b, "| %s | %s | %s | %d |\n", q, lat(tq.WorkflowTasks), lat(tq.Activities), tq.BacklogMax)
	}
}

func (f *figures) writeServer(b *strings.Builder) {
	b.WriteString("\n## Temporal server\n\n")
	switch r := f.ServerRestart; {
	case r == nil:
		b.WriteString("Not restarted: the scenario kills no workers.\n")
	case !r.Done:
		fmt.Fprintf(b, "Not restarted: the run ended before its restart, due %.1f s after the seeding.\n", r.AfterSeconds)
	case r.Error != "":
		fmt.Fprintf(b, "Killed with SIGKILL %.1f s after the seeding; **it did not start again**: %s\n", r.AtSeconds, r.Error)
	default:
		fmt.Fprintf(b, "Killed with SIGKILL %.1f s after the seeding and started again on the same SQLite file and port; it served again %.1f s later.\n",
			r.AtSeconds, r.DownSeconds)
	}
	s := f.SDK
	per := func(v float64) string {
		if f.started == 0 {
			return "–"
		}
		return fmt.Sprintf("%.1f", v/float64(f.started))
	}
	fmt.Fprintf(b, "\nThe workers' calls to the server: %.0f (%s per campaign; %.0f failed, %.0f resource exhausted), and %.0f task polls (%s per campaign). "+
		"Workflow tasks failed: %.0f; activity attempts failed: %.0f.\n",
		s.Requests, per(s.Requests), s.RequestFailures, s.ResourceExhausted, s.LongPolls, per(s.LongPolls), s.WorkflowTaskFailures, sum(s.ActivityFailures))
}

func (f *figures) writeNotApplied(b *strings.Builder) {
	if len(f.RegdOnly) == 0 {
		return
	}
	b.WriteString("\n## regd's flags without a counterpart\n\nThe workers take regd's rates, recovery policy and scales; these flags of the scenario are regd's own " +
		"and did not apply here (its SQS and DynamoDB fault layer, its sweeper, its consumers: durable timers and the Temporal server take their place):\n\n")
	for _, a := range f.RegdOnly {
		fmt.Fprintf(b, "- `%s`\n", a)
	}
}

func sum(m map[string]float64) float64 {
	t := 0.0
	for _, v := range m {
		t += v
	}
	return t
}
