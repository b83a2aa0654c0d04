package bench

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// HandingOff is a System that hands a step of the flow to another system
// (the hybrid: legacy replicas hand the evidence review to a Temporal
// workflow): Runner puts its Handoff figures in the report.
type HandingOff interface {
	// Handoff computes the hand-off's figures of the run d, after History.
	Handoff(d RunData) *Handoff
}

// Handoff are the figures of a hand-off between two systems in a run
// (report.json's handoff): its latencies both ways, its duplicates, and
// the faults injected at the boundary.
type Handoff struct {
	// Step names the step handed off ("evidence").
	Step string `json:"step"`
	// Commands counts the stays in the step that the legacy side handed
	// off (the records' audit entries into it on a delegated record).
	Commands int `json:"commands"`
	// Workflows counts the workflows the hand-offs started; WorkflowsPerCommand
	// is how many commands started 0, 1, 2... workflows (2 or more: a
	// duplicate start).
	Workflows           int         `json:"workflows"`
	WorkflowsPerCommand map[int]int `json:"workflows_per_command"`
	// CommandToStart is from the command's sending to its workflow's start,
	// and ResultToTransition from the result's sending to the record's
	// transition applying it, in seconds; Estimates says how each is
	// measured.
	CommandToStart     Latency  `json:"command_to_start_seconds"`
	ResultToTransition Latency  `json:"result_to_transition_seconds"`
	Estimates          []string `json:"estimates"`
	// Results counts the workflows closed with a result, ResultsApplied the
	// records' transitions out of the step by a result event, and
	// AppliedTwice the result events applied more than once (the checker's
	// history rule fails the run on one).
	Results        int `json:"results"`
	ResultsApplied int `json:"results_applied"`
	AppliedTwice   int `json:"applied_twice"`
	// BoundaryKills counts the processes of the boundary killed with SIGKILL
	// and started again during the run, by process ("bridge", "worker",
	// "temporal server").
	BoundaryKills map[string]int `json:"boundary_kills"`
}

// writeMarkdown writes the Hand-off section of summary.md.
func (h *Handoff) writeMarkdown(b *strings.Builder, s Report) {
	fmt.Fprintf(b, "\n## Hand-off (%s)\n\n| | |\n|---|---:|\n", h.Step)
	fmt.Fprintf(b, "| commands (stays handed off) | %d |\n| workflows started | %d |\n", h.Commands, h.Workflows)
	for _, n := range slices.Sorted(maps.Keys(h.WorkflowsPerCommand)) {
		fmt.Fprintf(b, "| &nbsp;&nbsp;commands with %d workflow(s) | %d |\n", n, h.WorkflowsPerCommand[n])
	}
	fmt.Fprintf(b, "| duplicate starts (a command's workflows beyond the first) | %d |\n", h.DuplicateStarts())
	fmt.Fprintf(b, "| workflows closed with a result | %d |\n| results applied | %d |\n| results applied twice | %d |\n",
		h.Results, h.ResultsApplied, h.AppliedTwice)
	for _, p := range slices.Sorted(maps.Keys(h.BoundaryKills)) {
		fmt.Fprintf(b, "| %s killed (SIGKILL) and restarted | %d |\n", p, h.BoundaryKills[p])
	}
	b.WriteString("\n| latency | count | p50 | p95 | p99 | max |\n|---|---:|---:|---:|---:|---:|\n")
	for _, l := range []struct {
		name string
		l    Latency
	}{{"command sent to workflow started", h.CommandToStart}, {"result sent to record transition", h.ResultToTransition}} {
		fmt.Fprintf(b, "| %s | %d | %s | %s | %s | %s |\n", l.name, l.l.Count, s.RunTime(l.l.P50, 2), s.RunTime(l.l.P95, 2),
			s.RunTime(l.l.P99, 2), s.RunTime(l.l.Max, 2))
	}
	for _, e := range h.Estimates {
		fmt.Fprintf(b, "\n%s\n", e)
	}
}

// DuplicateStarts counts the workflows started beyond the first for a
// command.
func (h *Handoff) DuplicateStarts() int {
	n := 0
	for starts, commands := range h.WorkflowsPerCommand {
		if starts > 1 {
			n += (starts - 1) * commands
		}
	}
	return n
}
