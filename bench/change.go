package bench

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"

	"github.com/tendlc/tendlc/statemachine"
)

// SharedWireSubject starts the subject of the commit that holds the part of
// flow v2 both systems share (its events, webhooks, client call, simulator
// step and the checker's gate): a part of either system's change.
const SharedWireSubject = "The opt-in evidence step's wire"

// SharedLookupSubject starts the subject of the commit that made the
// registry's evidence review a look-up of its own, for both systems.
const SharedLookupSubject = "The registry reviews a campaign's opt-in evidence as a resource of its own"

// StepCommits are the parts of system's change to flow, found by the
// subjects of their commits: the system's own step ("Flow v2 (legacy):")
// and the shared wire with its look-up.
func StepCommits(system string, flow statemachine.Flow) []ChangeCommit {
	return []ChangeCommit{
		{Part: "the system's step", Subject: fmt.Sprintf("Flow %s (%s):", flow, system)},
		{Part: "the shared wire", Subject: SharedWireSubject},
		{Part: "the shared wire's look-up", Subject: SharedLookupSubject},
	}
}

// FlowChange is where a system's change to a newer flow is (Deployer): the
// commits that made it, found by their subjects, and the state table cells
// it touched.
type FlowChange struct {
	// Commits are the parts of the change, each the commits whose subject
	// starts with its prefix: the system's own, then the ones it shares
	// with the other system.
	Commits []ChangeCommit
	// Matrix is the cells the change touched in the system's state tables,
	// by kind; nil for a system without tables, and MatrixNote says why.
	Matrix     map[statemachine.Kind]CellChanges
	MatrixNote string
}

// ChangeCommit is one part of a change: the commits whose subject starts
// with Subject.
type ChangeCommit struct {
	Part    string // what the commits are, in the report: "the system's step"
	Subject string // the prefix of their subject
}

// CellChanges are the cells of one kind's state table (its matrix) that a
// change added or changed, and the table's size on each side.
type CellChanges struct {
	Added   int `json:"added"`
	Changed int `json:"changed"`
	Before  int `json:"cells_before"`
	After   int `json:"cells_after"`
}

// ChangeSize is the size of a system's change to a newer flow: report.json's
// rollout.change.
type ChangeSize struct {
	Commits    []CommitSize                      `json:"commits"`
	Matrix     map[statemachine.Kind]CellChanges `json:"matrix_cells,omitempty"`
	MatrixNote string                            `json:"matrix_note,omitempty"`
}

// CommitSize is the size of one part of a change, from `git log --numstat`:
// the files its commits touched, and the lines they added and removed in
// test files (_test.go, testdata/) and in the others.
type CommitSize struct {
	Part    string   `json:"part"`
	Subject string   `json:"subject_prefix"`
	Commits []string `json:"commits,omitempty"` // abbreviated hashes
	Files   int      `json:"files"`
	Code    Lines    `json:"code_lines"` // the system's: code, configuration, dashboards
	Test    Lines    `json:"test_lines"`
	Docs    Lines    `json:"docs_lines"`    // Markdown files
	Harness Lines    `json:"harness_lines"` // the benchmark harness's and the simulator's code (harnessDirs)
	// Unknown says why the size is not known (no git, no such commit); the
	// counts are then zero.
	Unknown string `json:"unknown,omitempty"`
}

// Lines are lines added and removed.
type Lines struct {
	Added   int `json:"added"`
	Removed int `json:"removed"`
}

// String writes l as "+added / -removed".
func (l Lines) String() string { return fmt.Sprintf("+%d / -%d", l.Added, l.Removed) }

// plus returns the sum of l and m.
func (l Lines) plus(m Lines) Lines {
	return Lines{Added: l.Added + m.Added, Removed: l.Removed + m.Removed}
}

// measureChange measures the parts of c in the git repository at dir (its
// history from HEAD). A part git cannot measure says why (CommitSize.Unknown).
func measureChange(ctx context.Context, dir string, c FlowChange) ChangeSize {
	out := ChangeSize{Matrix: c.Matrix, MatrixNote: c.MatrixNote}
	for _, part := range c.Commits {
		cmd := exec.CommandContext(ctx, "git", "-C", dir, "log", "--fixed-strings", "--grep="+part.Subject,
			"--format=%x00%h%x09%s", "--numstat", "HEAD")
		raw, err := cmd.Output()
		if err != nil {
			out.Commits = append(out.Commits, CommitSize{Part: part.Part, Subject: part.Subject, Unknown: fmt.Sprintf("git log in %s: %v", dir, err)})
			continue
		}
		out.Commits = append(out.Commits, commitSize(part, string(raw)))
	}
	return out
}

// commitSize adds up the commits of `git log --format=%x00%h%x09%s
// --numstat` output log whose subject starts with part's prefix (--grep
// matches the whole message).
func commitSize(part ChangeCommit, log string) CommitSize {
	s := CommitSize{Part: part.Part, Subject: part.Subject}
	files := map[string]bool{}
	counting := false
	sc := bufio.NewScanner(strings.NewReader(log))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if head, ok := strings.CutPrefix(line, "\x00"); ok {
			hash, subject, _ := strings.Cut(head, "\t")
			counting = strings.HasPrefix(subject, part.Subject)
			if counting {
				s.Commits = append(s.Commits, hash)
			}
			continue
		}
		fields := strings.SplitN(line, "\t", 3)
		if !counting || len(fields) != 3 {
			continue
		}
		added, errA := strconv.Atoi(fields[0])
		removed, errR := strconv.Atoi(fields[1])
		files[fields[2]] = true
		if errA != nil || errR != nil { // a binary file: "-\t-\tpath"
			continue
		}
		lines := &s.Code
		switch {
		case isTestFile(fields[2]):
			lines = &s.Test
		case strings.HasSuffix(fields[2], ".md"):
			lines = &s.Docs
		case isHarnessFile(fields[2]):
			lines = &s.Harness
		}
		lines.Added += added
		lines.Removed += removed
	}
	s.Files = len(files)
	if len(s.Commits) == 0 {
		s.Unknown = fmt.Sprintf("no commit whose subject starts with %q", part.Subject)
	}
	return s
}

// harnessDirs hold the benchmark harness and the simulator: what a change
// to a system's flow touches to be measured, not the system itself.
var harnessDirs = []string{"bench/", "cmd/regbench/", "cmd/carriersim/", "infra/tcr/tcrsim/"}

// isHarnessFile reports whether a path of the repository is the harness's.
func isHarnessFile(path string) bool {
	return slices.ContainsFunc(harnessDirs, func(d string) bool { return strings.HasPrefix(path, d) })
}

// isTestFile reports whether a path of the repository is a test's: a
// _test.go file or a file under a testdata directory.
func isTestFile(path string) bool {
	return strings.HasSuffix(path, "_test.go") || strings.HasPrefix(path, "testdata/") || strings.Contains(path, "/testdata/")
}
