package bench

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Files of a comparison.
const compareMD = "compare.md"

// unnamedSystem is the system of a report without a system_name: every
// report written before the field existed is tendlc's.
const unnamedSystem = "legacy"

// ComparedRun is one side of a Comparison: a run's report and where it was
// read from.
type ComparedRun struct {
	Path   string // the report.json
	Report Report
}

// Comparison is two runs or more side by side, one column each
// (`regbench compare`): compare.md and two charts with a series per run.
type Comparison struct {
	Runs []ComparedRun
	// Code is the lines of code per concern of the source tree at CodeRoot;
	// nil when it was not counted, and CodeError says why.
	Code      CodeSize
	CodeRoot  string
	CodeError string
}

// ReadReport reads the report.json at path, or in the run directory path.
// A report without a system_name is named "legacy". It fails when the file
// cannot be read, is not a report, or has a schema version this regbench
// does not know.
func ReadReport(path string) (ComparedRun, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = filepath.Join(path, reportJSON)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return ComparedRun{}, err
	}
	var r Report
	if err := json.Unmarshal(raw, &r); err != nil {
		return ComparedRun{}, fmt.Errorf("read %s: %w", path, err)
	}
	switch {
	case r.SchemaVersion == 0:
		return ComparedRun{}, fmt.Errorf("read %s: not a regbench report (no schema_version)", path)
	case r.SchemaVersion > schemaVersion:
		return ComparedRun{}, fmt.Errorf("read %s: report schema %d, this regbench reads schema %d", path, r.SchemaVersion, schemaVersion)
	}
	if r.SystemName == "" {
		r.SystemName = unnamedSystem
	}
	return ComparedRun{Path: path, Report: r}, nil
}

// DefaultCompareDir is where a comparison goes without --out:
// reports/compare-<UTC time>.
func DefaultCompareDir(now time.Time) string {
	return filepath.Join("reports", "compare-"+now.UTC().Format("20060102T150405Z"))
}

// titles are the columns' titles: each run's system and scenario, "legacy
// (bench)", marked with the run's letter ([A], [B]...) when another run's
// is the same.
func (c Comparison) titles() []string {
	t := make([]string, len(c.Runs))
	for i, run := range c.Runs {
		t[i] = fmt.Sprintf("%s (%s)", run.Report.SystemName, run.Report.Scenario.Name)
	}
	marked := slices.Clone(t)
	for i := range t {
		if slices.Index(t, t[i]) != i || slices.Index(t[i+1:], t[i]) >= 0 {
			marked[i] = fmt.Sprintf("%s [%c]", t[i], 'A'+i)
		}
	}
	return marked
}

// joined is titles as prose: "a and b", "a, b and c".
func joined(titles []string) string {
	if len(titles) < 2 {
		return strings.Join(titles, "")
	}
	return strings.Join(titles[:len(titles)-1], ", ") + " and " + titles[len(titles)-1]
}

// all reports whether every run's report has p, and any whether one has.
func (c Comparison) all(p func(r Report) bool) (all, any bool) {
	all = true
	for _, run := range c.Runs {
		has := p(run.Report)
		all, any = all && has, any || has
	}
	return all, any
}

// WriteFiles writes compare.md and the two charts into dir, creating it,
// and the rollout's chart when both runs had one. It returns the errors of
// every file that could not be written.
func (c Comparison) WriteFiles(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var md bytes.Buffer
	if err := c.WriteMarkdown(&md); err != nil {
		return err
	}
	files := []reportFile{
		{compareMD, md.Bytes()},
		{latencyCDFSVG, c.latencyChart().svg()},
		{completedSVG, c.completedChart().svg()},
	}
	if c.rollouts() {
		files = append(files, reportFile{rolloutLatencySVG, c.rolloutChart().svg()})
	}
	var errs []error
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.name), f.data, 0o644); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
