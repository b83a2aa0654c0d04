package temporal

import (
	"slices"
	"testing"

	"github.com/tendlc/tendlc/bench"
)

func TestWorkerArgs(t *testing.T) {
	tests := []struct {
		name    string
		regd    []string
		worker  []string
		dropped []string
	}{
		{name: "the recovery policy, rates and scales pass",
			regd: []string{"--stuck-after", "20s", "--max-redrives", "5", "--max-checks", "7", "--retry-scale", "0.1",
				"--rate", "all=10", "--time-scale", "0.5", "--recovery", "policy.json"},
			worker: []string{"--stuck-after", "20s", "--max-redrives", "5", "--max-checks", "7", "--retry-scale", "0.1",
				"--rate", "all=10", "--time-scale", "0.5", "--recovery", "policy.json"}},
		{name: "the fault layer, the sweeper and the consumers are regd's own",
			regd: []string{"--stuck-after", "20s", "--sweep-schedule", "@every 5s", "--faults", "dup-send=0.1,stale-read=0.05",
				"--concurrency", "32", "--pprof", "--rate", "all=4"},
			worker:  []string{"--stuck-after", "20s", "--rate", "all=4"},
			dropped: []string{"--sweep-schedule @every 5s", "--faults dup-send=0.1,stale-read=0.05", "--concurrency 32", "--pprof"}},
		{name: "inline values and single dashes",
			regd:    []string{"-rate=all=3", "--faults=throttle=0.01", "-sweep=false", "-max-checks", "2"},
			worker:  []string{"--rate", "all=3", "--max-checks", "2"},
			dropped: []string{"--faults=throttle=0.01", "-sweep=false"}},
		{name: "a boolean flag takes no value", regd: []string{"--pprof", "--rate", "all=2"},
			worker: []string{"--rate", "all=2"}, dropped: []string{"--pprof"}},
		{name: "an argument that is no flag is dropped", regd: []string{"stray", "--retry-scale", "0.02"},
			worker: []string{"--retry-scale", "0.02"}, dropped: []string{"stray"}},
		{name: "nothing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			worker, dropped := WorkerArgs(tt.regd)
			if !slices.Equal(worker, tt.worker) {
				t.Errorf("worker flags %q, want %q", worker, tt.worker)
			}
			if !slices.Equal(dropped, tt.dropped) {
				t.Errorf("dropped %q, want %q", dropped, tt.dropped)
			}
		})
	}
}

// TestWorkerArgsOfEveryProfile: the worker of every profile gets regd's
// value of each flag it shares with regd, the rate the checker holds it to
// among them.
func TestWorkerArgsOfEveryProfile(t *testing.T) {
	for _, name := range bench.ProfileNames() {
		t.Run(name, func(t *testing.T) {
			sc, err := bench.Profile(name)
			if err != nil {
				t.Fatal(err)
			}
			worker, _ := WorkerArgs(sc.Regd)
			for _, f := range workerFlags {
				if got, want := bench.FlagValue(worker, f), bench.FlagValue(sc.Regd, f); got != want {
					t.Errorf("the worker's --%s is %q, regd's %q", f, got, want)
				}
			}
		})
	}
}
