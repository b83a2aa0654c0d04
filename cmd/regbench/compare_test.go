package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCompareCommand: `regbench compare` prints compare.md with both
// fixture runs and the repository's lines of code, and writes it with its
// charts into --out.
func TestCompareCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "cmp")
	var stdout, stderr strings.Builder
	args := []string{"compare", "--out", out, "--src", "../..", "../../bench/testdata/compare/a", "../../bench/testdata/compare/b/report.json"}
	if code := run(t.Context(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", code, stderr.String())
	}
	for _, want := range []string{
		"| started | 4 | 5 |\n",
		"| rate limiting | ", // a legacy concern, counted in the repository
		"regbench: comparison in " + out,
	} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout has no %q:\n%s", want, stdout.String())
		}
	}
	if strings.Contains(stdout.String(), "no mapping") || strings.Contains(stdout.String(), "Not counted") {
		t.Errorf("the repository's code was not counted:\n%s", stdout.String())
	}
	md, err := os.ReadFile(filepath.Join(out, "compare.md"))
	if err != nil || !strings.HasPrefix(stdout.String(), string(md)) {
		t.Errorf("compare.md (%v) is not what was printed", err)
	}
	for _, name := range []string{"latency-cdf.svg", "completed.svg"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Error(err)
		}
	}

	stdout.Reset()
	args = []string{"compare", "--out", t.TempDir(), "--src", t.TempDir(), "../../bench/testdata/compare/a", "../../bench/testdata/compare/b"}
	if code := run(t.Context(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("exit code %d; stderr:\n%s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "Not counted: ") || !strings.Contains(stdout.String(), "has no bench/concerns.txt") {
		t.Errorf("a --src without the mapping: stdout does not say the code was not counted:\n%s", stdout.String())
	}
}
