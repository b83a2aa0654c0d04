package main

import (
	"strings"
	"testing"

	"github.com/tendlc/tendlc/statemachine"
)

func TestFSMGolden(t *testing.T) {
	tests := []struct {
		golden string
		args   []string
	}{
		{"fsm-diagram-campaign.mermaid", []string{"fsm", "diagram", "--kind", "campaign"}},
		{"fsm-diagram-brand.dot", []string{"fsm", "diagram", "--kind", "brand", "--format", "dot"}},
		{"fsm-matrix-all.txt", []string{"fsm", "matrix", "--kind", "all"}},
		{"fsm-matrix-number.txt", []string{"fsm", "matrix", "--kind", "number"}},
		{"fsm-matrix-all.json", []string{"fsm", "matrix", "--kind", "all", "-o", "json"}},
		{"fsm-matrix-campaign-v2.txt", []string{"fsm", "matrix", "--kind", "campaign", "--flow", "v2"}},
		{"fsm-diagram-campaign-v2.mermaid", []string{"fsm", "diagram", "--kind", "campaign", "--flow", "v2"}},
		{"fsm-matrix-diff-v1-v2.txt", []string{"fsm", "matrix", "--diff", "v1", "v2"}},
		{"fsm-matrix-diff-v1-v2.json", []string{"fsm", "matrix", "-o", "json", "--diff", "v1", "v2"}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			r := run(t, nil, nil, tt.args...)
			if got, want := r.code, exitOK; got != want {
				t.Fatalf("exit code %d, want %d; stderr: %s", got, want, r.stderr)
			}
			golden(t, tt.golden, []byte(r.stdout))
		})
	}
}

// The command prints what the state machine says, nothing of its own.
func TestFSMPrintsTheStateMachine(t *testing.T) {
	for _, f := range statemachine.Flows {
		for _, k := range statemachine.Kinds {
			d, err := statemachine.Diagram(f, k, "dot")
			if err != nil {
				t.Fatal(err)
			}
			if r := run(t, nil, nil, "fsm", "diagram", "--kind", string(k), "--format", "dot", "--flow", f.String()); r.stdout != d {
				t.Errorf("fsm diagram --kind %s --flow %s is not statemachine.Diagram(%s, %s, dot)", k, f, f, k)
			}
			m, err := statemachine.MatrixOf(f, k)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			if err := m.WriteTable(&b); err != nil {
				t.Fatal(err)
			}
			if r := run(t, nil, nil, "fsm", "matrix", "--kind", string(k), "--flow", f.String()); r.stdout != b.String() {
				t.Errorf("fsm matrix --kind %s --flow %s is not the matrix's table", k, f)
			}
		}
	}
	var diff struct {
		From, To statemachine.Flow
		Kinds    []struct {
			Kind          statemachine.Kind
			From, To      statemachine.Flow
			AddedStates   []statemachine.State     `json:"added_states"`
			RemovedStates []statemachine.State     `json:"removed_states"`
			AddedEvents   []statemachine.EventType `json:"added_events"`
			RemovedEvents []statemachine.EventType `json:"removed_events"`
			Cells         []map[string]any
			Counts        statemachine.DiffCounts
		}
		Total statemachine.DiffCounts
	}
	decodeJSON(t, run(t, nil, nil, "fsm", "matrix", "-o", "json", "--diff", "v1", "v2").stdout, &diff)
	want, err := statemachine.DiffFlows(statemachine.FlowV1, statemachine.FlowV2)
	if err != nil {
		t.Fatal(err)
	}
	var total statemachine.DiffCounts
	for i, d := range want {
		total = total.Add(d.Counts)
		if i >= len(diff.Kinds) || diff.Kinds[i].Counts != d.Counts {
			t.Errorf("--diff v1 v2 -o json: kind %s counts differ from statemachine.DiffFlows'", d.Kind)
		}
	}
	if diff.From != statemachine.FlowV1 || diff.To != statemachine.FlowV2 || diff.Total != total || total.Touched == 0 {
		t.Errorf("--diff total %+v, want %+v (not zero)", diff.Total, total)
	}
	var out struct {
		Matrices []struct {
			Kind   statemachine.Kind
			States []statemachine.State
			Events []statemachine.EventType
			Cells  []map[string]any
			Counts statemachine.Counts
		}
		Total statemachine.Counts
	}
	decodeJSON(t, run(t, nil, nil, "fsm", "matrix", "--kind", "all", "-o", "json").stdout, &out)
	cells := 0
	for _, m := range out.Matrices {
		cells += len(m.Cells)
	}
	if got, want := out.Total.Cells, cells; got != want || len(out.Matrices) != len(statemachine.Kinds) {
		t.Errorf("total cells %d over %d matrices, want %d over %d", got, len(out.Matrices), want, len(statemachine.Kinds))
	}
}

func TestFSMUsageErrors(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"diagram without kind", []string{"fsm", "diagram"}, "--kind is required"},
		{"diagram of all", []string{"fsm", "diagram", "--kind", "all"}, `unknown kind "all"`},
		{"diagram format", []string{"fsm", "diagram", "--kind", "brand", "--format", "svg"}, `--format "svg": want mermaid or dot`},
		{"matrix without kind", []string{"fsm", "matrix"}, "--kind is required"},
		{"matrix kind", []string{"fsm", "matrix", "--kind", "person"}, `unknown kind "person"`},
		{"matrix output", []string{"fsm", "matrix", "--kind", "all", "-o", "csv"}, `-o "csv": want table or json`},
		{"matrix flow", []string{"fsm", "matrix", "--kind", "all", "--flow", "v3"}, `unknown flow "v3"`},
		{"diagram flow", []string{"fsm", "diagram", "--kind", "brand", "--flow", "2"}, `unknown flow "2"`},
		{"diff of one flow", []string{"fsm", "matrix", "--diff", "v1"}, "--diff takes two flows"},
		{"diff of an unknown flow", []string{"fsm", "matrix", "--diff", "v1", "v9"}, `unknown flow "v9"`},
		{"diff with a flow", []string{"fsm", "matrix", "--flow", "v2", "--diff", "v1", "v2"}, "--flow and --diff do not go together"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, nil, nil, tt.args...)
			if got, want := r.code, exitUsage; got != want {
				t.Errorf("exit code %d, want %d", got, want)
			}
			if !strings.Contains(r.stderr, tt.stderr) || r.stdout != "" {
				t.Errorf("stdout %q, stderr %q: want nothing, and %q", r.stdout, r.stderr, tt.stderr)
			}
		})
	}
}
