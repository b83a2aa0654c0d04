package statemachine

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(tb testing.TB, name string, got []byte) {
	tb.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run go test ./statemachine -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		tb.Errorf("%s differs from the golden file; run go test ./statemachine -update and review the diff\ngot:\n%s", path, got)
	}
}

// goldenName is the golden file of kind k on flow f: kind.ext on v1, and
// kind.<flow>.ext on a later flow that changes the kind's table (ok false
// when it does not: the kind's files are v1's).
func goldenName(f Flow, k Kind, ext string) (string, bool) {
	switch {
	case f == FlowV1:
		return string(k) + "." + ext, true
	case sameTable(f, FlowV1, k):
		return "", false
	}
	return string(k) + "." + f.String() + "." + ext, true
}

func TestDiagramsMatchGolden(t *testing.T) {
	for _, f := range Flows {
		for _, k := range Kinds {
			for _, format := range []string{"mermaid", "dot"} {
				t.Run(f.String()+"/"+string(k)+"/"+format, func(t *testing.T) {
					d, err := Diagram(f, k, format)
					if err != nil {
						t.Fatal(err)
					}
					name, ok := goldenName(f, k, format)
					if !ok {
						v1, err := Diagram(FlowV1, k, format)
						if err != nil {
							t.Fatal(err)
						}
						if d != v1 {
							t.Errorf("%s shares v1's table but draws another diagram", f)
						}
						return
					}
					golden(t, name, []byte(d))
				})
			}
		}
	}
	if _, err := Diagram(FlowV1, KindBrand, "svg"); err == nil {
		t.Error("Diagram(svg) = nil error, want an unknown-format error")
	}
	if _, err := Diagram(Flow(9), KindBrand, "dot"); err == nil {
		t.Error("Diagram(flow v9) = nil error, want an unknown-flow error")
	}
}

func TestMatricesMatchGolden(t *testing.T) {
	for _, f := range Flows {
		for _, k := range Kinds {
			t.Run(f.String()+"/"+string(k), func(t *testing.T) {
				m, err := MatrixOf(f, k)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := m.Counts.Cells, m.Counts.Transition+m.Counts.Ignore+m.Counts.Defer+m.Counts.Reject; got != want {
					t.Errorf("cells %d != sum of dispositions %d", got, want)
				}
				if got, want := m.Counts.Cells, len(tableOf(f, k).states)*len(tableOf(f, k).events); got != want {
					t.Errorf("cells = %d, want %d", got, want)
				}
				var table bytes.Buffer
				if err := m.WriteTable(&table); err != nil {
					t.Fatal(err)
				}
				js, err := json.MarshalIndent(m, "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				name, ok := goldenName(f, k, "matrix.txt")
				if !ok {
					v1, err := MatrixOf(FlowV1, k)
					if err != nil {
						t.Fatal(err)
					}
					if !reflect.DeepEqual(m, v1) {
						t.Errorf("%s shares v1's table but has another matrix", f)
					}
					return
				}
				golden(t, name, table.Bytes())
				name, _ = goldenName(f, k, "matrix.json")
				golden(t, name, append(js, '\n'))
			})
		}
	}
}
