package flow

import (
	"log/slog"
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
)

// Every recorded history (testdata/*.json, written by the embedded-server
// test in cmd/regtemporal with -update-histories) replays on today's
// workflow code: a change that would make a workflow in flight take another
// path fails here, before it reaches a worker. Histories of the flow's first
// version are named v1-*.json; they stay when the flow changes, so that
// every version in flight keeps replaying.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 3 {
		t.Fatalf("found %d histories, want one per workflow type at least", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflow(Brand)
			r.RegisterWorkflow(Campaign)
			r.RegisterWorkflow(Number)
			logger := log.NewStructuredLogger(slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})))
			if err := r.ReplayWorkflowHistoryFromJSONFile(logger, f); err != nil {
				t.Errorf("replay %s: %v", f, err)
			}
		})
	}
}
