package statemachine

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
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

func TestDiagramsMatchGolden(t *testing.T) {
	for _, k := range Kinds {
		for _, f := range []string{"mermaid", "dot"} {
			t.Run(string(k)+"/"+f, func(t *testing.T) {
				d, err := Diagram(k, f)
				if err != nil {
					t.Fatal(err)
				}
				golden(t, string(k)+"."+f, []byte(d))
			})
		}
	}
	if _, err := Diagram(KindBrand, "svg"); err == nil {
		t.Error("Diagram(svg) = nil error, want an unknown-format error")
	}
}

func TestMatricesMatchGolden(t *testing.T) {
	for _, k := range Kinds {
		t.Run(string(k), func(t *testing.T) {
			m, err := MatrixOf(k)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := m.Counts.Cells, m.Counts.Transition+m.Counts.Ignore+m.Counts.Defer+m.Counts.Reject; got != want {
				t.Errorf("cells %d != sum of dispositions %d", got, want)
			}
			if got, want := m.Counts.Cells, len(States(k))*len(Events(k)); got != want {
				t.Errorf("cells = %d, want %d", got, want)
			}
			var table bytes.Buffer
			if err := m.WriteTable(&table); err != nil {
				t.Fatal(err)
			}
			golden(t, string(k)+".matrix.txt", table.Bytes())
			js, err := json.MarshalIndent(m, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden(t, string(k)+".matrix.json", append(js, '\n'))
		})
	}
}
