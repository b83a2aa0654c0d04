package bench

import (
	"strconv"
	"strings"
)

// writeHandoff writes the Hand-off section when a run handed a step to
// another system (Report.Handoff); the other runs' cells say they did not.
func (c Comparison) writeHandoff(b *strings.Builder) {
	if _, any := c.all(func(r Report) bool { return r.Handoff != nil }); !any {
		return
	}
	b.WriteString("\n## Hand-off\n\nA step handed to another system: commands sent and workflows started for them, results sent back and applied, " +
		"and the faults injected at the boundary. How each latency is measured: the run's summary.md.\n\n")
	c.table(b, "hand-off")
	cell := func(f func(h *Handoff) string) func(r Report) string {
		return func(r Report) string {
			if r.Handoff == nil {
				return "no hand-off"
			}
			return f(r.Handoff)
		}
	}
	n := func(f func(h *Handoff) int) func(r Report) string {
		return cell(func(h *Handoff) string { return strconv.Itoa(f(h)) })
	}
	c.row(b, "step", cell(func(h *Handoff) string { return h.Step }))
	c.row(b, "commands (stays handed off)", n(func(h *Handoff) int { return h.Commands }))
	c.row(b, "workflows started", n(func(h *Handoff) int { return h.Workflows }))
	c.row(b, "commands without a workflow", n(func(h *Handoff) int { return h.WorkflowsPerCommand[0] }))
	c.row(b, "duplicate starts", n(func(h *Handoff) int { return h.DuplicateStarts() }))
	c.row(b, "results applied", n(func(h *Handoff) int { return h.ResultsApplied }))
	c.row(b, "results applied twice", n(func(h *Handoff) int { return h.AppliedTwice }))
	latency := func(l func(h *Handoff) Latency) func(r Report) string {
		return func(r Report) string {
			if r.Handoff == nil {
				return "no hand-off"
			}
			v := l(r.Handoff)
			return r.RunTime(v.P50, 2) + " / " + r.RunTime(v.P95, 2) + " / " + r.RunTime(v.P99, 2)
		}
	}
	c.row(b, "command sent to workflow started, p50 / p95 / p99", latency(func(h *Handoff) Latency { return h.CommandToStart }))
	c.row(b, "result sent to record transition, p50 / p95 / p99", latency(func(h *Handoff) Latency { return h.ResultToTransition }))
	c.row(b, "boundary processes killed", cell(func(h *Handoff) string {
		var parts []string
		for _, p := range []string{"bridge", "worker", "temporal server"} {
			parts = append(parts, p+" "+strconv.Itoa(h.BoundaryKills[p]))
		}
		return strings.Join(parts, ", ")
	}))
}
