package bench

import (
	"context"
	"syscall"
	"testing"
	"time"
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

// TestSupervisorWaitsForTheReadyLine: a process without a health URL is
// ready once this start wrote its ReadyLine; the line an earlier start left
// in the same log does not make a later start ready.
func TestSupervisorWaitsForTheReadyLine(t *testing.T) {
	sup, err := NewSupervisor(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer sup.StopAll()
	p := &Proc{Name: "server", Bin: "/bin/sh", Args: []string{"-c", "echo starting; echo server: ready on 1; exec sleep 30"},
		ReadyLine: "server: ready on"}
	if err := sup.Start(t.Context(), p); err != nil {
		t.Fatalf("a process that wrote its ready line did not start: %v", err)
	}
	sup.Signal(p, syscall.SIGKILL, 0)
	p.Args = []string{"-c", "echo starting again; exec sleep 30"}
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	if err := sup.Start(ctx, p); err == nil {
		t.Fatal("a start that wrote no ready line was ready on the previous start's line")
	}
}
