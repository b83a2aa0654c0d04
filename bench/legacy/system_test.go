package legacy

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tendlc/tendlc/bench"
	"github.com/tendlc/tendlc/infra/awstest"
	"github.com/tendlc/tendlc/infra/tcr/tcrsim"
	"github.com/tendlc/tendlc/statemachine"
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// binaries builds carriersim, the webhook shim, regd and regbench (the bare
// loop of a run that measures the limit) once per test run.
func binaries(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "regbench-bin-")
		if buildErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", binDir, "github.com/tendlc/tendlc/cmd/carriersim",
			"github.com/tendlc/tendlc/cmd/webhook", "github.com/tendlc/tendlc/cmd/regd", "github.com/tendlc/tendlc/cmd/regbench").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return binDir
}

// system runs sc as separate processes on the emulators and returns the
// summary; started runs once everything is up.
func system(t *testing.T, sc bench.Scenario, basePort int, started func(ctx context.Context, sim string) error) bench.Report {
	t.Helper()
	awstest.Config(t) // skips without the emulators
	r := bench.Runner{System: &System{}, Scenario: sc, Bin: binaries(t), Dir: t.TempDir(), Prefix: awstest.Prefix(t), BasePort: basePort,
		ProgressEvery: 10 * time.Second, Started: started, Out: filepath.Join(t.TempDir(), "report")}
	var out bytes.Buffer
	sum, err := r.Run(t.Context(), &out)
	t.Log(out.String())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return sum
}

// figuresOf returns tendlc's figures of s.
func figuresOf(tb testing.TB, s bench.Report) *figures {
	tb.Helper()
	f, ok := s.System.(*figures)
	if !ok {
		tb.Fatalf("the report's system figures are %T, want tendlc's", s.System)
	}
	return f
}

// group returns one downstream group's carriersim counters.
func group(tb testing.TB, s bench.Report, name tcrsim.Group) map[string]float64 {
	tb.Helper()
	g, _ := s.Carriersim["groups"].(map[string]any)
	c, _ := g[string(name)].(map[string]any)
	if c == nil {
		tb.Fatalf("no carriersim counters for %s", name)
	}
	out := map[string]float64{}
	for k, v := range c {
		if f, ok := v.(float64); ok {
			out[k] = f
		}
	}
	return out
}

var quickWorld = []string{"--latency", "all=100ms-400ms"}

// The base ports of the tests below stay under 32768, out of Linux's
// ephemeral range: a port in it may be held by some outgoing connection, and
// a process listening there would exit at start.

// TestThreeReplicasShareTheRateLimit: three regd processes share one
// schedule per downstream: the run's checker holds every downstream group to
// ten times regd's rate in any ten-second window, the registry's busiest
// window shows the shared limit was what paced it (three unshared limiters
// would have let through up to three times as much), nothing is registered
// twice, and every campaign ends. What the scheduler controls (requests
// bunching within one second at their arrival, and the simulator's 429s for
// them) is reported, not asserted; that the limiter's slots are never closer
// than its interval is proven by infra/dynamo's limiter tests.
func TestThreeReplicasShareTheRateLimit(t *testing.T) {
	// At 2 per second the registry's 45 requests queue for half a minute:
	// the shared schedule holds ten seconds to 17 of them (20 allowed),
	// while three unshared limiters would send 50.
	sum := system(t, bench.Scenario{Name: "shared-rate", Brands: 15, Campaigns: 30, Numbers: 1, Replicas: 3,
		Deadline:   bench.Duration(4 * time.Minute),
		Carriersim: append([]string{"--rate", "all=2"}, quickWorld...),
		Regd:       []string{"--rate", "all=2", "--retry-scale", "0.1", "--stuck-after", "5m"}}, 21000, nil)
	if sum.Stuck+sum.Lost > 0 {
		t.Fatalf("%d stuck and %d lost campaigns", sum.Stuck, sum.Lost)
	}
	checkCollected(t, sum)
	if sum.Check == nil || !sum.Check.Passed {
		t.Fatalf("the run was not checked, or failed its check: %+v", sum.Check)
	}
	for _, f := range sum.Check.Rates {
		t.Logf("%s: %d requests, at most %d in ten seconds and %d in one second", f.Group, f.Requests, f.MaxPerWindow, f.MaxPerSecond)
		if f.Group == "registry" && f.MaxPerWindow < 12 {
			t.Errorf("the registry's busiest ten seconds held %d requests, want at least 12: the shared limit of 20 never paced the run", f.MaxPerWindow)
		}
	}
	for _, name := range tcrsim.Groups() {
		if c := group(t, sum, name); c["resubmitted"] != 0 {
			t.Errorf("%s saw %v registrations again under a new key, want none", name, c["resubmitted"])
		}
	}
}

// TestA429StormSlowsButLosesNothing: the downstreams allow half of what the
// dispatchers send. They answer 429s, and the flow slows down, but every
// campaign ends and no registration is sent again under a new key.
func TestA429StormSlowsButLosesNothing(t *testing.T) {
	sum := system(t, bench.Scenario{Name: "429-storm", Brands: 10, Campaigns: 20, Numbers: 1, Replicas: 2,
		Deadline:   bench.Duration(4 * time.Minute),
		Carriersim: append([]string{"--rate", "all=2"}, quickWorld...),
		Regd:       []string{"--rate", "all=4", "--retry-scale", "0.1", "--stuck-after", "5m"}}, 22000, nil)
	if sum.Stuck+sum.Lost > 0 {
		t.Fatalf("%d stuck and %d lost campaigns", sum.Stuck, sum.Lost)
	}
	limited := 0.0
	for _, name := range tcrsim.Groups() {
		c := group(t, sum, name)
		limited += c["rate_limited"]
		if c["resubmitted"] != 0 {
			t.Errorf("%s saw %v registrations again under a new key, want none", name, c["resubmitted"])
		}
	}
	if limited == 0 {
		t.Error("no 429 was answered: the storm did not happen")
	}
}

// TestSweeperRecoversALostApproval: the simulator drops AT&T's approval of
// one campaign; with a stuck threshold of a few seconds the sweeper asks AT&T
// for its decision, sends the approval it finds, and the campaign reaches
// ACTIVE without being submitted to AT&T again.
func TestSweeperRecoversALostApproval(t *testing.T) {
	drop := func(ctx context.Context, sim string) error {
		body := `{"drop":[{"event_type":"MNO_CAMPAIGN_OPERATION_APPROVED","campaign_id":"campaign-00000","mno_id":10017,"count":1}]}`
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, sim+"/admin/faults", strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("admin/faults answered %d", resp.StatusCode)
		}
		return nil
	}
	sum := system(t, bench.Scenario{Name: "lost-approval", Brands: 1, Campaigns: 1, Numbers: 1, Replicas: 1,
		Deadline:   bench.Duration(2 * time.Minute),
		Carriersim: append([]string{"--rate", "all=0"}, quickWorld...),
		Regd:       []string{"--rate", "all=20", "--retry-scale", "0.1", "--stuck-after", "3s", "--sweep-schedule", "@every 1s"}}, 23000, drop)
	if sum.Completed != 1 {
		t.Fatalf("campaigns ACTIVE = %d, want 1 (%+v)", sum.Completed, sum.Ended)
	}
	wh, _ := sum.Carriersim["webhooks"].(map[string]any)
	if wh["dropped_by_fault"] != float64(1) {
		t.Errorf("webhooks dropped by the fault = %v, want 1", wh["dropped_by_fault"])
	}
	if att := group(t, sum, "att"); att["requests"] < 2 || att["resubmitted"] != 0 {
		t.Errorf("AT&T got %v requests, %v under a new key; want the submission and a look-up, nothing submitted again",
			att["requests"], att["resubmitted"])
	}
	if sw := figuresOf(t, sum).Sweeper; sw.ByOutcome["recovered"] < 1 {
		t.Errorf("re-drives by outcome %v, want the approval recovered", sw.ByOutcome)
	}
}

// checkCollected checks that a run collected what its report shows from the
// processes: requests and queue waits from every replica's metrics, CPU and
// memory from /proc, the backlog from SQS.
func checkCollected(tb testing.TB, s bench.Report) {
	tb.Helper()
	f := figuresOf(tb, s)
	if f.AWS.SQS.ByOperation["ReceiveMessage"] == 0 || f.AWS.DynamoDB.ByOperation["TransactWriteItems"] == 0 {
		tb.Errorf("AWS requests not counted: SQS %v, DynamoDB %v", f.AWS.SQS.ByOperation, f.AWS.DynamoDB.ByOperation)
	}
	if w := f.Queues["events"].ScheduleToStart; w.Count == 0 {
		tb.Errorf("no queue wait observed on the events queue: %+v", f.Queues["events"])
	}
	if f.AWS.Capacity.WriteUnits == 0 || f.Transitions.Total == 0 {
		tb.Errorf("no write units (%v) or transitions (%v)", f.AWS.Capacity.WriteUnits, f.Transitions.Total)
	}
	for _, r := range s.Replicas {
		if r.CPUSeconds <= 0 || r.PeakRSSBytes < 1<<20 {
			tb.Errorf("%s: CPU %v s, peak RSS %d bytes: not sampled", r.Name, r.CPUSeconds, r.PeakRSSBytes)
		}
	}
	if queues := 2 * len(statemachine.Queues()); len(s.Backlog) < 2 || len(s.Backlog[0].Queues) != queues {
		tb.Errorf("%d backlog samples, want at least 2 of %d queues (each with its DLQ)", len(s.Backlog), queues)
	}
}
