package temporal

import (
	"io"
	"testing"
	"time"

	"github.com/tendlc/tendlc/bench"
)

// TestServerRestart: a restart that falls due kills the server and starts
// it again (a new process, ready on its ready line), and says when and for
// how long; one that the run's end stops first does nothing.
func TestServerRestart(t *testing.T) {
	tests := []struct {
		name  string
		after time.Duration
		done  bool
	}{
		{"due during the run", 0, true},
		{"the run ended first", time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sup, err := bench.NewSupervisor(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer sup.StopAll()
			server := &bench.Proc{Name: "temporal-server", Bin: "/bin/sh", Args: []string{"-c", "echo " + serverReady + " x; exec sleep 60"},
				ReadyLine: serverReady}
			if err := sup.Start(t.Context(), server); err != nil {
				t.Fatal(err)
			}
			first := server.PID()
			r := StartRestart(t.Context(), sup, server, io.Discard, time.Now(), tt.after)
			if tt.done {
				select {
				case <-r.done:
				case <-time.After(30 * time.Second):
					t.Fatal("the restart did not end within 30 s")
				}
			}
			got := r.Stop()
			if got.Done != tt.done || got.Error != "" {
				t.Fatalf("restart %+v, want done %v without error", got, tt.done)
			}
			if restarted := server.PID() != first; restarted != tt.done {
				t.Errorf("the server's PID went from %d to %d: restarted %v, want %v", first, server.PID(), restarted, tt.done)
			}
			if tt.done && (got.DownSeconds <= 0 || got.AtSeconds < 0) {
				t.Errorf("restart %+v: want when and for how long", got)
			}
			if err := sup.Died(); err != nil {
				t.Errorf("the restart left a process that died: %v", err)
			}
		})
	}
}
