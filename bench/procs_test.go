package bench

import (
	"context"
	"testing"
)

// TestSupervisorCountsFailedStarts: a start that exits before its process is
// healthy counts as a start failure of that process, and of no other; a
// start cut short by its context's end does not count.
func TestSupervisorCountsFailedStarts(t *testing.T) {
	sup, err := NewSupervisor(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer sup.StopAll()
	exits := &Proc{Name: "exits", Bin: "/bin/sh", Args: []string{"-c", "exit 3"}, Health: "http://127.0.0.1:1/healthz"}
	for range 2 {
		if err := sup.Start(t.Context(), exits); err == nil {
			t.Fatal("a process that exits while starting started")
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	waits := &Proc{Name: "waits", Bin: "/bin/sh", Args: []string{"-c", "sleep 30"}, Health: "http://127.0.0.1:1/healthz"}
	if err := sup.Start(ctx, waits); err == nil {
		t.Fatal("a process that never gets healthy started")
	}
	for name, want := range map[string]int{"exits": 2, "waits": 0, "other": 0} {
		if got := sup.StartFailures(name); got != want {
			t.Errorf("StartFailures(%s) = %d, want %d", name, got, want)
		}
	}
}
