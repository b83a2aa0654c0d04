package bench

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// testCommit is a commit of gitRepo: its subject and the files it writes.
type testCommit struct {
	subject string
	files   map[string]string
}

// gitRepo makes a repository in a temporary directory with commits, in
// order.
func gitRepo(tb testing.TB, commits []testCommit) string {
	tb.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		tb.Skip("no git")
	}
	dir := tb.TempDir()
	git := func(args ...string) {
		tb.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			tb.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	git("init", "-q")
	for _, c := range commits {
		for name, text := range c.files {
			path := filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				tb.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
				tb.Fatal(err)
			}
		}
		git("add", "-A")
		git("commit", "-q", "-m", c.subject)
	}
	return dir
}

// TestMeasureChange: a part's size is its commits' numstat, test files
// (_test.go, testdata/), documents (.md) and the harness's code apart, found by the start of the subject only; a
// part without a commit, or a directory without git, is unknown.
func TestMeasureChange(t *testing.T) {
	dir := gitRepo(t, []testCommit{
		{"Base", map[string]string{"flow.go": "a\nb\n", "flow_test.go": "t\n"}},
		{"The opt-in evidence step's wire, shared", map[string]string{"flow.go": "a\nB\nc\n", "testdata/x.golden": "1\n2\n"}},
		{"Flow v2 (legacy): the step", map[string]string{"regd.go": "1\n2\n3\n", "regd_test.go": "1\n", "flow.go": "a\nB\n", "docs/flow.md": "x\ny\n",
			"bench/check/check.go": "c\n"}},
		{"A fix that mentions Flow v2 (legacy): in its subject", map[string]string{"regd.go": "1\n2\n3\n4\n"}},
	})
	got := measureChange(t.Context(), dir, FlowChange{Commits: []ChangeCommit{
		{Part: "step", Subject: "Flow v2 (legacy):"},
		{Part: "wire", Subject: SharedWireSubject},
		{Part: "missing", Subject: "Flow v2 (temporal):"},
	}, MatrixNote: "no table"})
	if len(got.Commits) != 3 || got.MatrixNote != "no table" {
		t.Fatalf("change %+v, want 3 parts and the note", got)
	}
	step, wire, missing := got.Commits[0], got.Commits[1], got.Commits[2]
	if len(step.Commits) != 1 || step.Files != 5 || step.Code != (Lines{Added: 3, Removed: 1}) || step.Test != (Lines{Added: 1}) ||
		step.Docs != (Lines{Added: 2}) || step.Harness != (Lines{Added: 1}) || step.Unknown != "" {
		t.Errorf("the step %+v, want 1 commit, 5 files, +3/-1 code, +1 test, +2 docs, +1 harness", step)
	}
	if wire.Files != 2 || wire.Code != (Lines{Added: 2, Removed: 1}) || wire.Test != (Lines{Added: 2}) || wire.Docs != (Lines{}) {
		t.Errorf("the wire %+v, want 2 files, +2/-1 code, +2 test (testdata), no docs", wire)
	}
	if !strings.Contains(missing.Unknown, `no commit whose subject starts with "Flow v2 (temporal):"`) {
		t.Errorf("a missing commit: %+v, want it unknown", missing)
	}
	none := measureChange(t.Context(), t.TempDir(), FlowChange{Commits: []ChangeCommit{{Part: "step", Subject: "Flow v2 (legacy):"}}})
	if u := none.Commits[0].Unknown; !strings.HasPrefix(u, "git log in ") {
		t.Errorf("outside a repository: unknown %q, want git's failure", u)
	}
}
