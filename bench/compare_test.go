package bench

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tendlc/tendlc/bench/check"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// fixtureComparison compares the two fixture reports of testdata/compare:
// a, a legacy run of 4 campaigns that measured its limit and its backing
// services; b, a report
// written before system_name, of 5 campaigns with one stuck, a failed check
// and no backing store requests. Code is a small fixed count.
func fixtureComparison(tb testing.TB) Comparison {
	tb.Helper()
	var c Comparison
	for _, dir := range []string{"a", "b"} {
		run, err := ReadReport(filepath.Join("testdata", "compare", dir))
		if err != nil {
			tb.Fatal(err)
		}
		c.Runs = append(c.Runs, run)
	}
	c.CodeRoot = "."
	c.Code = CodeSize{"legacy": {{Concern: "state handling", Files: []string{"a.go", "b.go"}, Lines: 100}, {Concern: "retries", Note: "in the runtime"}}}
	return c
}

func compareMarkdown(tb testing.TB, c Comparison) string {
	tb.Helper()
	var b bytes.Buffer
	if err := c.WriteMarkdown(&b); err != nil {
		tb.Fatal(err)
	}
	return b.String()
}

// TestComparisonSetsTheRunsSideBySide: compare.md has a column per run and
// the fixtures' figures in its rows.
func TestComparisonSetsTheRunsSideBySide(t *testing.T) {
	md := compareMarkdown(t, fixtureComparison(t))
	for _, row := range []string{
		"# regbench compare: legacy (bench) [A] and legacy (bench) [B]\n",
		"| run | legacy (bench) [A] | legacy (bench) [B] |\n|---|---|---|\n",
		"| report | `testdata/compare/a/report.json` | `testdata/compare/b/report.json` |\n",
		"| workers | 2, one killed every 20s | 3, one killed every 20s |\n",
		"| elapsed | 30 s of 4m0s | 60 s of 4m0s, reached |\n",
		"| run error | none | **1 of 5 campaigns did not reach a terminal state by the deadline** |\n",
		"The runs' scenarios differ in campaigns, workers: the figures below are not like for like.\n",
		"| started | 4 | 5 |\n",
		"| completed (ACTIVE) | 3 | 4 |\n",
		"| failed (another terminal state) | 1 | 0 |\n",
		"| stuck (not terminal at the end) | 0 | 1 |\n",
		"| lost (never created) | 0 | 0 |\n",
		"| checker | passed (2 rules) | **failed** (violations: 1) |\n",
		"| every configured fault happened | yes | **no** |\n",
		"| p50 | 20.0 s | 12.0 s |\n",
		"| p95 | 30.0 s | 25.0 s |\n",
		"| p99 | 30.0 s | 25.0 s |\n",
		"![Time to ACTIVE, CDF](latency-cdf.svg)",
		"![Campaigns completed over time](completed.svg)",
		"| requests | 20 | 30 |\n",
		"| requests per campaign | 5.00 | 6.00 |\n",
		"| repeated (same key: answered from the first) | 2 | 0 |\n",
		"| resubmitted (new key: decided anew) | 1 | 0 |\n",
		"| answered 429 | 1 | 0 |\n",
		"| answered 503 (injected) | 0 | 3 |\n",
		"| &nbsp;&nbsp;tmobile requests per campaign | 0.00 | 1.00 |\n",
		"| DynamoDB | 10.50 (42) | not counted |\n",
		"| SQS | 30.00 (120) | not counted |\n",
		"| worker CPU seconds, all | 6.0 | 9.0 |\n",
		"| worker CPU ms per campaign | 1500.0 | 1800.0 |\n",
		"| worker peak RSS, largest | 30.0 MiB | 32.0 MiB |\n",
		"| &nbsp;&nbsp;worker 3: CPU s, peak RSS | – | regd-3: 2.0 s, 29.0 MiB |\n",
		"| backing services CPU seconds, all (from the seeding) | 6.0 | not measured |\n",
		"| backing services CPU ms per campaign | 1500.0 | not measured |\n",
		"| &nbsp;&nbsp;dynamodb: CPU s, peak RSS | 4.5 s, 400.0 MiB | not measured |\n",
		"| campaigns completed per second | 0.10 | 0.07 |\n",
		"| bare loop: transitions per second | 50.0 | not measured |\n",
		"| state handling | 100 (2) | 100 (2) |\n",
		"| retries | no files | no files |\n",
		"| **total** | **100** (2) | **100** (2) |\n",
		"\nNotes of the mapping on the counts:\n\n- legacy, retries: in the runtime.\n",
	} {
		if !strings.Contains(md, row) {
			t.Errorf("compare.md has no %q", row)
		}
	}
	if n := strings.Count(md, "- legacy, retries"); n != 1 {
		t.Errorf("the note of one system in both columns is there %d times, want once", n)
	}
	if *update {
		if err := os.WriteFile(filepath.Join("testdata", "compare", "compare.golden.md"), []byte(md), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	golden, err := os.ReadFile(filepath.Join("testdata", "compare", "compare.golden.md"))
	if err != nil {
		t.Fatal(err)
	}
	if md != string(golden) {
		t.Errorf("compare.md differs from testdata/compare/compare.golden.md (go test -update rewrites it):\n%s", md)
	}
}

// TestComparisonSaysWhatItDoesNotHave: a system the mapping does not name,
// code that was not counted, and a single run with a limit.
func TestComparisonSaysWhatItDoesNotHave(t *testing.T) {
	c := fixtureComparison(t)
	c.Runs[1].Report.SystemName = "temporal"
	c.Runs[1].Report.Limit = nil
	md := compareMarkdown(t, c)
	for _, want := range []string{
		"| run | legacy (bench) | temporal (bench) |\n",
		"| state handling | 100 (2) | no mapping for temporal |\n",
		"| **total** | **100** (2) | – |\n",
		"Not every run measured its limit",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("compare.md has no %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "## Ceiling") {
		t.Error("a ceiling section with one limit")
	}
	c.Code, c.CodeError = nil, "no bench/concerns.txt in /elsewhere"
	if md := compareMarkdown(t, c); !strings.Contains(md, "Not counted: no bench/concerns.txt in /elsewhere.\n") {
		t.Errorf("compare.md does not say why the code was not counted:\n%s", md)
	}
}

// TestComparisonChartsHaveASeriesPerRun: both charts are well-formed SVG
// with one series per run, named by its column, and the series hold the
// runs' campaigns.
func TestComparisonChartsHaveASeriesPerRun(t *testing.T) {
	c := fixtureComparison(t)
	want := []string{"legacy (bench) [A]", "legacy (bench) [B]"}
	for _, ch := range []chart{c.latencyChart(), c.completedChart()} {
		if got := svgSeries(t, ch.svg()); !slices.Equal(got, want) {
			t.Errorf("%s: series %q, want %q", ch.Title, got, want)
		}
	}
	cdfA := c.latencyChart().Lines[0].Points
	if got, want := cdfA, []point{{0, 0}, {10, 1.0 / 3}, {20, 2.0 / 3}, {30, 1}}; !slices.Equal(got, want) {
		t.Errorf("A's CDF %v, want %v", got, want)
	}
	doneB := c.completedChart().Lines[1].Points
	if last := doneB[len(doneB)-1]; last != (point{60, 4}) {
		t.Errorf("B's completed campaigns end at %v, want 4 at its 60 s", last)
	}
}

func TestComparisonWritesItsFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if err := fixtureComparison(t).WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{compareMD, latencyCDFSVG, completedSVG} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestReadReport(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tt := range []struct {
		name, path, want string
	}{
		{"a run directory", filepath.Join("testdata", "compare", "a"), ""},
		{"a report.json", filepath.Join("testdata", "compare", "b", "report.json"), ""},
		{"a missing file", filepath.Join(dir, "none.json"), "no such file"},
		{"not JSON", write("bad.json", "{"), "unexpected end"},
		{"not a report", write("other.json", `{"name": "x"}`), "not a regbench report"},
		{"a later schema", write("later.json", `{"schema_version": 99}`), "report schema 99"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			run, err := ReadReport(tt.path)
			if tt.want == "" {
				if err != nil || run.Report.SystemName != "legacy" || run.Report.Started == 0 || !strings.HasSuffix(run.Path, "report.json") {
					t.Errorf("ReadReport = %s, %s, %d started, %v; want a legacy report.json", run.Path, run.Report.SystemName, run.Report.Started, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one with %q", err, tt.want)
			}
		})
	}
}

// TestComparisonNamesTheRulesThatDidNotApply: a check passed without a rule
// that does not apply to its system (the Temporal side's history rule)
// counts the rules that ran and names the other.
func TestComparisonNamesTheRulesThatDidNotApply(t *testing.T) {
	c := fixtureComparison(t)
	var res check.Result
	if err := json.Unmarshal([]byte(`{"passed": true, "inputs": {"no_audit": true}, "rules": [
		{"rule": "history", "not_applicable": "the system keeps no audit items"}, {"rule": "world", "checked": 9}, {"rule": "rate", "checked": 5}]}`), &res); err != nil {
		t.Fatal(err)
	}
	c.Runs[1].Report.Check = &res
	if md, want := compareMarkdown(t, c), "| checker | passed (2 rules) | passed (2 rules; not applicable: history) |\n"; !strings.Contains(md, want) {
		t.Errorf("compare.md has no %q:\n%s", want, md)
	}
}
