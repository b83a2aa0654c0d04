package temporal

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tendlc/tendlc/bench"
	"github.com/tendlc/tendlc/statemachine"
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// binaries builds carriersim (root module) and regtemporal (the nested
// module temporal/, about 2 minutes without a warm build cache) once per
// test run. It skips tb when regtemporal cannot be built, so that `go test
// ./...` of the root module stays usable without the nested module's
// dependencies, unless TENDLC_REQUIRE_TEMPORAL is set, which turns the skip
// into a failure.
func binaries(tb testing.TB) string {
	tb.Helper()
	if testing.Short() {
		tb.Skip("system test: builds the Temporal server into regtemporal")
	}
	buildOnce.Do(func() {
		if binDir, buildErr = os.MkdirTemp("", "regbench-temporal-bin-"); buildErr != nil {
			return
		}
		if out, err := exec.Command("go", "build", "-o", binDir, "github.com/tendlc/tendlc/cmd/carriersim").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("build carriersim: %v\n%s", err, out)
			return
		}
		build := exec.Command("go", "build", "-o", binDir, "./cmd/regtemporal")
		build.Dir = filepath.Join("..", "..", "temporal")
		if out, err := build.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("build regtemporal in %s: %v\n%s", build.Dir, err, out)
		}
	})
	if buildErr != nil {
		if os.Getenv("TENDLC_REQUIRE_TEMPORAL") != "" {
			tb.Fatal(buildErr)
		}
		tb.Skipf("system test: the regtemporal binary cannot be built (TENDLC_REQUIRE_TEMPORAL=1 makes this a failure): %v", buildErr)
	}
	return binDir
}

// quickWorld is a simulated world of 0.1-0.5 s answers at 10 requests per
// second, with the realistic rejection rates, a fifth of the webhooks
// dropped (so that the workflows' look-ups recover them: with 40 webhooks
// or so, a run without a drop is one in ten thousand), and the workers'
// recovery policy at a 5 s threshold.
var (
	quickWorld = []string{"--latency", "all=100ms-500ms", "--reject", "ein=0.03,reviewer=0.03,carrier=0.01", "--rate", "all=10", "--drop", "0.2"}
	quickRegd  = []string{"--stuck-after", "5s", "--sweep-schedule", "@every 1s", "--max-redrives", "5", "--retry-scale", "0.1", "--rate", "all=10"}
)

// TestTemporalSystemEndToEnd runs tiny scenarios on the real regtemporal
// binary with carriersim: every campaign ends ACTIVE or rejected by the
// simulated world's design, none stuck or lost, the checker passes without
// its history rule, every configured fault happened (in the run with kills:
// the workers killed and the server restarted on its file), and the Temporal
// figures come from the workers' metrics and the records.
func TestTemporalSystemEndToEnd(t *testing.T) {
	tests := []struct {
		name     string
		sc       bench.Scenario
		basePort int
	}{
		{"dropped webhooks", bench.Scenario{Name: "temporal-tiny", Brands: 3, Campaigns: 4, Numbers: 1, Replicas: 2,
			Deadline: bench.Duration(2 * time.Minute), Carriersim: quickWorld, Regd: quickRegd}, 25200},
		{"workers and the server killed", bench.Scenario{Name: "temporal-kills", Brands: 4, Campaigns: 8, Numbers: 1, Replicas: 2,
			Deadline: bench.Duration(2 * time.Minute), KillEvery: bench.Duration(4 * time.Second), Carriersim: quickWorld, Regd: quickRegd}, 25300},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sys := &System{}
			r := bench.Runner{System: sys, Scenario: tt.sc, Bin: binaries(t), Dir: t.TempDir(), BasePort: tt.basePort,
				ProgressEvery: 5 * time.Second, Out: filepath.Join(t.TempDir(), "report")}
			var out bytes.Buffer
			sum, err := r.Run(t.Context(), &out)
			t.Log(out.String())
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if sum.Stuck+sum.Lost > 0 || sum.Completed+sum.Ended[statemachine.Rejected] != sum.Started || sum.Started != tt.sc.Campaigns {
				t.Errorf("%d started, %d ACTIVE, ended %v, %d stuck, %d lost: want every campaign ACTIVE or REJECTED",
					sum.Started, sum.Completed, sum.Ended, sum.Stuck, sum.Lost)
			}
			if sum.Check == nil || !sum.Check.Passed || !sum.Check.Inputs.NoAudit || sum.Check.Rules[0].NotApplicable == "" {
				t.Errorf("the check %+v: want a pass without the history rule", sum.Check)
			}
			if !sum.Faults.AllHappened {
				t.Errorf("not every configured fault happened: %+v", sum.Faults.Checks)
			}
			f, ok := sum.System.(*figures)
			if !ok {
				t.Fatalf("the report's system figures are %T, want the Temporal side's", sum.System)
			}
			if got := f.Workflows[statemachine.KindCampaign].Started; got != tt.sc.Campaigns {
				t.Errorf("%d campaign workflows started, want %d", got, tt.sc.Campaigns)
			}
			if got := f.TaskQueues["downstream-registry"].Activities.Count; got == 0 {
				t.Error("no registry call's schedule-to-start measured")
			}
			if f.SDK.Requests == 0 {
				t.Error("no call of the workers to the server counted")
			}
			if tt.sc.KillEvery > 0 && (f.ServerRestart == nil || !f.ServerRestart.Done || f.ServerRestart.Error != "") {
				t.Errorf("the server restart %+v: want it done", f.ServerRestart)
			}
		})
	}
}
