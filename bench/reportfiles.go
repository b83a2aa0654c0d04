package bench

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Files of a run's report.
const (
	reportJSON    = "report.json"
	summaryMD     = "summary.md"
	completedSVG  = "completed.svg"
	latencyCDFSVG = "latency-cdf.svg"
	backlogSVG    = "backlog.svg"
)

// reportFile is a file of a report or a comparison, and its content.
type reportFile struct {
	name string
	data []byte
}

// DefaultReportDir is where a run's report goes without --out:
// reports/<profile>-<UTC time>.
func DefaultReportDir(profile string, now time.Time) string {
	name := strings.TrimSuffix(filepath.Base(profile), ".json")
	return filepath.Join("reports", name+"-"+now.UTC().Format("20060102T150405Z"))
}

// writeReport writes report.json, summary.md and the three charts into dir,
// creating it. It returns the errors of every file that could not be
// written.
func writeReport(dir string, s Report) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	js, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	var md bytes.Buffer
	if err := s.WriteMarkdown(&md); err != nil {
		return err
	}
	files := []reportFile{
		{reportJSON, append(js, '\n')},
		{summaryMD, md.Bytes()},
		{completedSVG, s.completedChart().svg()},
		{latencyCDFSVG, s.latencyChart().svg()},
		{backlogSVG, s.backlogChart().svg()},
	}
	var errs []error
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.name), f.data, 0o644); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
