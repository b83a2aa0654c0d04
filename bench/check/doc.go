// Package check proves a finished registration run from what it left behind:
// every record and its audit items (the system under test's history), and
// what the simulated world did (carriersim's journal, a tcrsim.Journal).
// Each rule has its own file; docs/checker.md says what they prove and what
// they cannot see.
//
// Inspect reads both sources and returns the verdict, a Result: report.json's
// "check" object, which WriteMarkdown renders as summary.md's checker
// section. The rules take plain data (Input), so they are tested on fixtures
// without AWS or processes.
package check
