package bench

import (
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tendlc/tendlc/infra/tcr/tcrsim"
)

func TestEveryProfileIsValidAndStatesItsCompression(t *testing.T) {
	for _, name := range slices.Sorted(maps.Keys(profiles)) {
		t.Run(name, func(t *testing.T) {
			s, err := Profile(name)
			if err != nil {
				t.Fatal(err)
			}
			if s.Name != name || s.Compression == "" || s.Description == "" {
				t.Errorf("profile %q: name %q, compression %q, description %q", name, s.Name, s.Compression, s.Description)
			}
		})
	}
}

// TestBenchProfileIsShortAndHasEveryFault: make bench runs in at most 3
// minutes and exercises every kind of fault of the simulated world (package
// legacy checks regd's own).
func TestBenchProfileIsShortAndHasEveryFault(t *testing.T) {
	s, err := Profile("bench")
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Duration(s.Deadline); d > 3*time.Minute {
		t.Errorf("deadline %v, want at most 3 minutes", d)
	}
	var got []string
	for _, c := range faultChecks(s, faultFigures{}) {
		got = append(got, c.Fault)
	}
	want := []string{"webhook lost", "webhook duplicated", "webhook reordered", "downstream 503", "replica killed (SIGKILL)"}
	if !slices.Equal(got, want) {
		t.Errorf("bench faults %q, want %q", got, want)
	}
}

// TestLongProfileScalesEveryDurationUniformly: the long profile describes
// the world in production durations, scaled by one factor that regd gets
// too, and states that factor.
func TestLongProfileScalesEveryDurationUniformly(t *testing.T) {
	s, err := Profile("long")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.TimeScale, 10.0/86400; got != want {
		t.Errorf("time scale %v, want %v (1 day = 10 s)", got, want)
	}
	if got, want := FlagValue(s.Carriersim, "latency"), latencyArg(productionLatencies, s.TimeScale); got != want {
		t.Errorf("carriersim --latency %q, want the production latencies scaled: %q", got, want)
	}
	for _, tt := range []struct {
		side string
		args []string
		flag string
		want string
	}{
		{"carriersim", s.Carriersim, "reject", FlagValue(world, "reject")},
		{"carriersim", s.Carriersim, "drop", "0.1"},
		{"carriersim", s.Carriersim, "rate", "all=20"},
		{"regd", s.Regd, "rate", "all=20"},
		{"regd", s.Regd, "time-scale", "0.00011574074074074075"},
		{"regd", s.Regd, "sweep-schedule", "@every 1s"},
		{"regd", s.Regd, "stuck-after", "24h"},
	} {
		if got := FlagValue(tt.args, tt.flag); got != tt.want {
			t.Errorf("%s --%s %q, want %q", tt.side, tt.flag, got, tt.want)
		}
	}
	if !strings.HasPrefix(s.Compression, "1 day = 10 s; every duration") {
		t.Errorf("compression %q does not state the scale first", s.Compression)
	}
	slowest := 0.0 // brand identity, CAMPAIGN_ADD, vetting, the slowest carrier, numbers
	for _, step := range []tcrsim.Step{tcrsim.StepRegistry, tcrsim.StepRegistry, tcrsim.StepReviewer, tcrsim.StepVerizon, tcrsim.StepNumbers} {
		slowest += productionLatencies[step].Max.Seconds() * s.TimeScale
	}
	if d := time.Duration(s.Deadline).Seconds(); d < 2*slowest {
		t.Errorf("deadline %v s, want room for the slowest registration twice over (%.0f s)", d, 2*slowest)
	}
	if s.KillEvery != Duration(20*time.Second) || s.Replicas != 3 || s.Campaigns != 200 || s.Brands != 100 || s.Numbers != 2 {
		t.Errorf("load %+v", s)
	}
}

func TestScenarioValidatesItsTimeScale(t *testing.T) {
	base := Scenario{Name: "t", Brands: 1, Campaigns: 1, Numbers: 1, Replicas: 1, Deadline: Duration(time.Minute)}
	scaled := func(scale float64, regd ...string) Scenario {
		s := base
		s.TimeScale, s.Regd = scale, regd
		return s
	}
	tests := []struct {
		name string
		s    Scenario
		ok   bool
	}{
		{"unscaled", base, true},
		{"scaled, regd told the same scale", scaled(dayIn10s, timeScaleArgs(dayIn10s)...), true},
		{"scaled, regd told in a profile file's digits", scaled(0.0001157407407, "--time-scale=0.0001157407407"), true},
		{"scaled, regd not told", scaled(dayIn10s, "--rate", "all=20"), false},
		{"scaled, regd told another scale", scaled(dayIn10s, "--time-scale", "0.001"), false},
		{"negative scale", scaled(-0.1, "--time-scale", "-0.1"), false},
		{"slower than production", scaled(2, "--time-scale", "2"), false},
		{"a stuck threshold in production time, scaled by regd", scaled(dayIn10s, with(timeScaleArgs(dayIn10s), []string{"--stuck-after", "24h"})...), true},
		{"a retry scale apart from the scale", scaled(dayIn10s, with(timeScaleArgs(dayIn10s), []string{"--retry-scale", "0.1"})...), false},
		{"regd scaled, the report not", scaled(0, "--time-scale", "0.5"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.s.Validate()
			if got := err == nil; got != tt.ok {
				t.Fatalf("validate() = %v, want ok %v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrUsage) {
				t.Errorf("error %v is not a usage error", err)
			}
		})
	}
}

func TestProfileFileKeepsItsTimeScale(t *testing.T) {
	s, err := Profile("long")
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"time_scale":0.00011574074074074075`) {
		t.Errorf("scenario JSON has no time_scale: %s", b)
	}
	path := filepath.Join(t.TempDir(), "long.json")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	back, err := Profile(path)
	if err != nil {
		t.Fatal(err)
	}
	if back.TimeScale != s.TimeScale {
		t.Errorf("time scale read back %v, want %v", back.TimeScale, s.TimeScale)
	}
}

func TestScaleText(t *testing.T) {
	for _, tt := range []struct {
		scale float64
		want  string
	}{{dayIn10s, "1 day = 10 s"}, {0.001, "1 day = 86.4 s"}, {1.0 / 1440, "1 day = 60 s"}, {1, "1 day = 86400 s"}} {
		if got := scaleText(tt.scale); got != tt.want {
			t.Errorf("scaleText(%v) = %q, want %q", tt.scale, got, tt.want)
		}
	}
}

func TestCheckWaitsOutHeldBackWebhooks(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		want time.Duration
	}{
		{"no reordering", []string{"--drop", "0.1"}, 0},
		{"reordering off", []string{"--reorder", "0"}, 0},
		{"carriersim's default delay", []string{"--reorder", "0.1"}, tcrsim.DefaultReorderDelay},
		{"the scenario's delay", []string{"--reorder", "0.2", "--reorder-delay", "500ms"}, 500 * time.Millisecond},
	} {
		if got := (Scenario{Carriersim: tt.args}).JournalSettle(); got != tt.want {
			t.Errorf("%s: settle %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestOnlyTheCeilingProfileAsksForTheLimit: the bare loop runs beside the
// ceiling profile, whose point it is, and no other: it costs a run minutes.
func TestOnlyTheCeilingProfileAsksForTheLimit(t *testing.T) {
	for _, name := range ProfileNames() {
		s, err := Profile(name)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := s.Limit, name == "ceiling"; got != want {
			t.Errorf("profile %s: limit %v, want %v", name, got, want)
		}
	}
}
