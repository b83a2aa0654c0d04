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
	for _, k := range statemachine.Kinds {
		d, err := statemachine.Diagram(k, "dot")
		if err != nil {
			t.Fatal(err)
		}
		if r := run(t, nil, nil, "fsm", "diagram", "--kind", string(k), "--format", "dot"); r.stdout != d {
			t.Errorf("fsm diagram --kind %s is not statemachine.Diagram(%s, dot)", k, k)
		}
		m, err := statemachine.MatrixOf(k)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		if err := m.WriteTable(&b); err != nil {
			t.Fatal(err)
		}
		if r := run(t, nil, nil, "fsm", "matrix", "--kind", string(k)); r.stdout != b.String() {
			t.Errorf("fsm matrix --kind %s is not the matrix's table", k)
		}
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
