package flow

import (
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"

	"github.com/tendlc/tendlc/statemachine"
)

// Every recorded history (testdata/*.json, written by the embedded-server
// test in cmd/regtemporal with -update-histories) replays on today's
// workflow code, as a worker on each flow runs it: a change that would make
// a workflow in flight take another path fails here, before it reaches a
// worker. A history is named after the flow it ran on (v1-*.json, v2-*.json);
// they stay when the flow changes, so that every version in flight keeps
// replaying. A worker on an older flow than a history's must fail it (its
// workflow task fails, and the server hands it to another worker).
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 4 {
		t.Fatalf("found %d histories, want one per workflow type and a v2 campaign at least", len(files))
	}
	for _, f := range files {
		prefix, _, _ := strings.Cut(filepath.Base(f), "-")
		history, err := statemachine.ParseFlow(prefix)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, w := range statemachine.Flows {
			t.Run(filepath.Base(f)+"/worker-"+w.String(), func(t *testing.T) {
				r := worker.NewWorkflowReplayer()
				Workflows{Flow: w}.Register(r)
				logger := log.NewStructuredLogger(slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})))
				err := r.ReplayWorkflowHistoryFromJSONFile(logger, f)
				switch {
				case w >= history && err != nil:
					t.Errorf("replay %s: %v", f, err)
				case w < history && (err == nil || !strings.Contains(err.Error(), ChangeOptInEvidence)):
					t.Errorf("replay %s on an older worker: %v, want the unsupported version of %s", f, err, ChangeOptInEvidence)
				}
			})
		}
	}
}
