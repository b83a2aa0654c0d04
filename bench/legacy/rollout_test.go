package legacy

import (
	"maps"
	"strings"
	"testing"

	"github.com/tendlc/tendlc/bench"
	"github.com/tendlc/tendlc/statemachine"
)

func TestFlowMixCountsDeferralsAndDeadLetters(t *testing.T) {
	m, err := bench.ParseMetrics(strings.NewReader(`# TYPE tendlc_flow_deferrals_total counter
tendlc_flow_deferrals_total{queue="events"} 7
# TYPE tendlc_dead_letters_total counter
tendlc_dead_letters_total{queue="events",reason="unsupported_flow"} 1
tendlc_dead_letters_total{queue="events",reason="malformed"} 3
`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"deferrals (copies sent back to the events queue)": 7, "events dead-lettered": 1}
	if got := (&System{}).FlowMix(bench.RunData{Metrics: m}); !maps.Equal(got, want) {
		t.Errorf("FlowMix = %v, want %v", got, want)
	}
}

// The change to flow v2 touches the campaign table only: the cells of
// EVIDENCE_REVIEW and of the two evidence events are added, and
// review_approved in IN_REVIEW changed.
func TestFlowChangeCountsTheCellsOfTheStep(t *testing.T) {
	c := (&System{}).FlowChange(statemachine.FlowV2)
	if c.MatrixNote != "" {
		t.Fatalf("matrix note %q, want the cells", c.MatrixNote)
	}
	v1, err := statemachine.MatrixOf(statemachine.FlowV1, statemachine.KindCampaign)
	if err != nil {
		t.Fatal(err)
	}
	rows, cols := len(v1.States), len(v1.Events)
	wantCampaign := bench.CellChanges{Added: (rows+1)*(cols+2) - rows*cols, Changed: 1, Before: rows * cols, After: (rows + 1) * (cols + 2)}
	if got := c.Matrix[statemachine.KindCampaign]; got != wantCampaign {
		t.Errorf("campaign cells %+v, want %+v", got, wantCampaign)
	}
	for _, k := range []statemachine.Kind{statemachine.KindBrand, statemachine.KindNumber} {
		if got := c.Matrix[k]; got.Added != 0 || got.Changed != 0 || got.Before != got.After || got.Before == 0 {
			t.Errorf("%s cells %+v, want the same table on both flows", k, got)
		}
	}
	if len(c.Commits) == 0 || !strings.HasPrefix(c.Commits[0].Subject, "Flow v2 (legacy):") {
		t.Errorf("commits %+v, want the system's step first", c.Commits)
	}
}
