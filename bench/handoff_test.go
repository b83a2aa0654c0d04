package bench

import (
	"strings"
	"testing"
)

func TestHandoffMarkdown(t *testing.T) {
	h := &Handoff{Step: "evidence", Commands: 3, Workflows: 4, WorkflowsPerCommand: map[int]int{0: 1, 1: 1, 2: 1},
		CommandToStart: Latency{Count: 2, P50: 0.01, P95: 0.05, P99: 0.05, Max: 0.05}, Results: 2, ResultsApplied: 2,
		BoundaryKills: map[string]int{"bridge": 2}, Estimates: []string{"How it is measured."}}
	if h.DuplicateStarts() != 1 {
		t.Errorf("duplicate starts %d, want 1", h.DuplicateStarts())
	}
	var b strings.Builder
	h.writeMarkdown(&b, Report{})
	for _, want := range []string{
		"\n## Hand-off (evidence)\n",
		"| commands (stays handed off) | 3 |\n| workflows started | 4 |\n",
		"| &nbsp;&nbsp;commands with 0 workflow(s) | 1 |\n",
		"| duplicate starts (a command's workflows beyond the first) | 1 |\n",
		"| bridge killed (SIGKILL) and restarted | 2 |\n",
		"| command sent to workflow started | 2 | 0.01 s | 0.05 s | 0.05 s | 0.05 s |\n",
		"\nHow it is measured.\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the section lacks %q:\n%s", want, b.String())
		}
	}
}
