package bench

import (
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// notLegacy are the root module's directories that are not the legacy
// system's (ConcernsFile says why).
var notLegacy = []string{"bench", "cmd/regbench", "cmd/carriersim", "infra/tcr/tcrsim", "infra/awstest", "infra/deploytest", "infra/fault"}

// systemScopes are the code of each system the mapping must map whole: the
// directories it is under, and those below them that are not the system's
// (ConcernsFile says why); beyond them, a system may map files of the
// systems in also. The legacy system is the root module (nested modules are
// skipped); the hybrid is the legacy system and the bridge, with the files
// of the temporal system it runs.
var systemScopes = map[string]struct{ under, not, also []string }{
	"legacy":   {under: []string{"."}, not: notLegacy},
	"temporal": {under: []string{"temporal"}, not: []string{"temporal/devserver"}},
	"hybrid":   {under: []string{".", "temporal/bridge"}, not: notLegacy, also: []string{"temporal"}},
}

// systemFiles returns every non-test .go file of system in the repository
// root: below its directories, nested modules, testdata, hidden directories
// and the directories that are not the system's left out.
func systemFiles(tb testing.TB, root fs.FS, system string) []string {
	tb.Helper()
	scope := systemScopes[system]
	var out []string
	for _, dir := range scope.under {
		err := fs.WalkDir(root, dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if p == dir {
					return nil
				}
				_, modErr := fs.Stat(root, path.Join(p, "go.mod"))
				if strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || modErr == nil || slices.Contains(scope.not, p) {
					return fs.SkipDir
				}
				return nil
			}
			if isCode(p) {
				out = append(out, p)
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	return out
}

// TestConcernMapping keeps ConcernsFile whole: every non-test .go file of a
// system is matched exactly once, nothing else is (but files of the systems
// its scope's also names), and every legacy glob matches a file. The other
// sections may name files still to be written.
func TestConcernMapping(t *testing.T) {
	root := os.DirFS("..")
	text, err := fs.ReadFile(root, ConcernsFile)
	if err != nil {
		t.Fatal(err)
	}
	m, err := parseConcerns(string(text))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.systems(); !slices.Equal(got, []string{"legacy", "temporal", "hybrid"}) {
		t.Errorf("systems %q, want legacy, temporal and hybrid", got)
	}
	files, problems := m.assign(root)
	for _, p := range problems {
		if p.system == "legacy" || strings.Contains(p.problem, "matched again") {
			t.Errorf("%s: %s", p.system, p.problem)
		}
	}
	for _, sys := range m.systems() {
		want := systemFiles(t, root, sys)
		if len(want) < 10 {
			t.Fatalf("found %d files of the %s system; is the test running in bench/?", len(want), sys)
		}
		for _, f := range want {
			if _, ok := files[sys][f]; !ok {
				t.Errorf("%s is not mapped to a concern of the %s system", f, sys)
			}
		}
		for _, other := range systemScopes[sys].also {
			want = append(want, systemFiles(t, root, other)...)
		}
		for f := range files[sys] {
			if !slices.Contains(want, f) {
				t.Errorf("%s is mapped to the %s system's %s, but is not the system's", f, sys, files[sys][f])
			}
		}
	}
}

func TestCountCode(t *testing.T) {
	mapping := `# a mapping of two systems
concern state state handling
concern retries retries
concern metrics metrics
old state core/*.go
old retries core/retry.go # matched above already: counts under state
old retries retry/*.go
new state flow/*.go
new metrics flow/metrics*.go # nothing yet
note new retries done by the runtime
note old retries by hand
include mix old # old's lines above, not its note
mix state flow/*.go
mix retries core/state.go # matched by old's first line already: counts there
`
	root := fstest.MapFS{
		ConcernsFile: {Data: []byte(mapping)},
		"core/state.go": {Data: []byte(`// Package core is a fixture.
package core

/* A block comment,
   on two lines. */

// State is a state.
type State string // a trailing comment: the line counts

const diagram = ` + "`" + `a
multi-line

string` + "`" + `
`)}, // 6: package, type, and the string's 4 lines, its blank one too
		"core/retry.go":      {Data: []byte("package core\n\nfunc retry() {}\n")},      // 2
		"core/state_test.go": {Data: []byte("package core\n\nfunc TestX() {}\n")},      // a test: not counted
		"retry/policy.go":    {Data: []byte("package retry\n\n\n\nvar Max = 3\n\n\n")}, // 2
		"retry/README.md":    {Data: []byte("not code\n")},
		"flow/flow.go":       {Data: []byte("package flow\n")}, // 1
	}
	got, err := CountCode(root)
	if err != nil {
		t.Fatal(err)
	}
	want := CodeSize{
		"old": {{Concern: "state handling", Files: []string{"core/retry.go", "core/state.go"}, Lines: 8},
			{Concern: "retries", Files: []string{"retry/policy.go"}, Lines: 2, Note: "by hand"}, {Concern: "metrics"}},
		"new": {{Concern: "state handling", Files: []string{"flow/flow.go"}, Lines: 1},
			{Concern: "retries", Note: "done by the runtime"}, {Concern: "metrics"}},
		"mix": {{Concern: "state handling", Files: []string{"core/retry.go", "core/state.go", "flow/flow.go"}, Lines: 9},
			{Concern: "retries", Files: []string{"retry/policy.go"}, Lines: 2}, {Concern: "metrics"}},
	}
	if len(got) != len(want) {
		t.Errorf("systems %v, want old, new and mix", got)
	}
	for sys, counts := range want {
		if !slices.EqualFunc(got[sys], counts, func(a, b ConcernCount) bool {
			return a.Concern == b.Concern && a.Lines == b.Lines && slices.Equal(a.Files, b.Files) && a.Note == b.Note
		}) {
			t.Errorf("%s:\n got %+v\nwant %+v", sys, got[sys], counts)
		}
	}

	delete(root, ConcernsFile)
	if _, err := CountCode(root); err == nil {
		t.Error("no mapping: no error")
	}
	root[ConcernsFile] = &fstest.MapFile{Data: []byte(mapping)}
	root["core/broken.go"] = &fstest.MapFile{Data: []byte("package core\n\nvar s = \"unterminated\n")}
	if _, err := CountCode(root); err == nil || !strings.Contains(err.Error(), "core/broken.go") {
		t.Errorf("a file that does not scan: error %v, want one naming it", err)
	}
}

func TestCodeLines(t *testing.T) {
	for _, tt := range []struct {
		name, src string
		want      int
	}{
		{"empty", "", 0},
		{"comments and blank lines only", "// a\n\n/* b\nc */\n   \n", 0},
		{"code with a trailing comment", "package p // p\n", 1},
		{"a comment before code on one line", "/* c */ package p\n", 1},
		{"a raw string's lines", "package p\n\nvar s = `a\n\nb`\n", 4},
		{"no newline at the end", "package p\nvar x = 1", 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := codeLines([]byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("codeLines = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestParseConcernsRefusesBadLines(t *testing.T) {
	for _, tt := range []struct{ name, text, want string }{
		{"too few fields", "concern state state handling\nlegacy state\n", "line 2"},
		{"a concern declared twice", "concern state a\nconcern state b\n", "line 2: concern state declared again"},
		{"an undeclared concern", "legacy state x/*.go\n", "line 1: concern state not declared"},
		{"a bad glob", "concern state s\nlegacy state x/[.go\n", `line 2: glob "x/[.go"`},
		{"a note without text", "concern state s\nnote legacy state\n", "line 2: want note SYSTEM KEY TEXT"},
		{"a note on an undeclared concern", "concern state s\nnote legacy retries by hand\n", "line 2: concern retries not declared"},
		{"a second note", "concern state s\nnote legacy state a\nnote legacy state b\n", "line 3: a second note on legacy state"},
		{"an include of a system not above", "concern state s\ninclude hybrid legacy\nlegacy state x/*.go\n", "line 2: include hybrid legacy: no lines of legacy above"},
		{"an include of itself", "concern state s\nlegacy state x/*.go\ninclude legacy legacy\n", "line 3: include legacy legacy: no lines of legacy above"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := parseConcerns(tt.text); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one with %q", err, tt.want)
			}
		})
	}
}
