package bench

import (
	"strings"
	"testing"
)

// threeRuns is the fixture comparison with a third run: a hybrid one that
// handed a step off, on the scenario of the first.
func threeRuns(tb testing.TB) Comparison {
	tb.Helper()
	c := fixtureComparison(tb)
	hy := c.Runs[0]
	hy.Path = "hybrid/report.json"
	hy.Report.SystemName = "hybrid"
	hy.Report.Handoff = &Handoff{Step: "evidence", Commands: 4, Workflows: 5, WorkflowsPerCommand: map[int]int{1: 3, 2: 1},
		CommandToStart: Latency{Count: 4, P50: 0.01, P95: 0.05, P99: 0.25}, ResultToTransition: Latency{Count: 4, P50: 0.5, P95: 1, P99: 2},
		Results: 4, ResultsApplied: 4, BoundaryKills: map[string]int{"bridge": 2, "worker": 1, "temporal server": 1}}
	c.Runs = append(c.Runs, hy)
	return c
}

func TestComparisonSetsThreeRunsSideBySide(t *testing.T) {
	c := threeRuns(t)
	titles := c.titles()
	md := compareMarkdown(t, c)
	for _, want := range []string{
		"# regbench compare: " + titles[0] + ", " + titles[1] + " and " + titles[2] + "\n",
		"| run | " + strings.Join(titles, " | ") + " |\n|---|---|---|---|\n",
		"| report | `" + c.Runs[0].Path + "` | `" + c.Runs[1].Path + "` | `hybrid/report.json` |\n",
		"\n## Hand-off\n",
		"| duplicate starts | no hand-off | no hand-off | 1 |\n",
		"| workflows started | no hand-off | no hand-off | 5 |\n",
		"| boundary processes killed | no hand-off | no hand-off | bridge 2, worker 1, temporal server 1 |\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("compare.md lacks %q:\n%s", want, md)
		}
	}
	if got := len(c.latencyChart().Lines); got != 3 {
		t.Errorf("the latency chart has %d series, want 3", got)
	}
}

func TestComparisonTitles(t *testing.T) {
	tests := []struct {
		name    string
		systems []string
		want    []string
	}{
		{"distinct", []string{"legacy", "temporal", "hybrid"}, []string{"legacy (bench)", "temporal (bench)", "hybrid (bench)"}},
		{"two alike", []string{"legacy", "hybrid", "legacy"}, []string{"legacy (bench) [A]", "hybrid (bench)", "legacy (bench) [C]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Comparison
			for _, s := range tt.systems {
				c.Runs = append(c.Runs, ComparedRun{Report: Report{SystemName: s, Scenario: Scenario{Name: "bench"}}})
			}
			if got := c.titles(); strings.Join(got, ";") != strings.Join(tt.want, ";") {
				t.Errorf("titles %q, want %q", got, tt.want)
			}
		})
	}
}

func TestComparisonWithoutHandoffHasNoSection(t *testing.T) {
	if md := compareMarkdown(t, fixtureComparison(t)); strings.Contains(md, "Hand-off") {
		t.Errorf("compare.md of runs without a hand-off has a Hand-off section:\n%s", md)
	}
}
