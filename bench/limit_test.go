package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
)

// TestNewLimitSetsBothSidesAndTheirRatios: the system's side is its
// transitions over the run's time and its replicas' CPU (fixtureRun: 42 s,
// 3.25 + 2.5 CPU seconds), the bare loop's is its own, and the ratios are
// system over bare.
func TestNewLimitSetsBothSidesAndTheirRatios(t *testing.T) {
	l := newLimit(840, fixtureRun(t), BareRun{Transitions: 840, Concurrency: 32, Seconds: 8.4, CPUSeconds: 1.68}, nil)
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"system transitions/s", l.System.PerSecond, 20},
		{"system CPU ms per transition", l.System.CPUPerTransitionMS, 1000 * 5.75 / 840},
		{"bare transitions/s", l.Bare.PerSecond, 100},
		{"bare CPU ms per transition", l.Bare.CPUPerTransitionMS, 2},
		{"throughput ratio", l.ThroughputRatio, 0.2},
		{"CPU ratio", l.CPURatio, 1000 * 5.75 / 840 / 2},
	} {
		if diff := c.got - c.want; diff > 1e-9 || diff < -1e-9 {
			t.Errorf("%s = %g, want %g", c.name, c.got, c.want)
		}
	}
	if l.Concurrency != 32 || l.Error != "" {
		t.Errorf("concurrency %d, error %q; want 32 and none", l.Concurrency, l.Error)
	}
	failed := newLimit(840, fixtureRun(t), BareRun{}, errors.New("loop broke"))
	if failed.Error != "loop broke" || failed.System.PerSecond != 20 || failed.ThroughputRatio != 0 {
		t.Errorf("failed bare loop: %+v, want the error, the system's side and no ratio", failed)
	}
}

// TestReportRendersTheLimit: summary.md gets a limit section with both sides
// and the ratios, or why the bare loop was not measured; report.json a limit
// object; a report without one has neither.
func TestReportRendersTheLimit(t *testing.T) {
	s := summarizeFixture(t)
	var b bytes.Buffer
	if err := s.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "limit") {
		t.Errorf("a report without a limit renders one:\n%s", b.String())
	}
	if raw, _ := json.Marshal(s); bytes.Contains(raw, []byte(`"limit"`)) {
		t.Errorf("report.json without a limit has one")
	}

	s.Limit = newLimit(840, fixtureRun(t), BareRun{Transitions: 840, Concurrency: 32, Seconds: 8.4, CPUSeconds: 1.68}, nil)
	b.Reset()
	if err := s.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## The event path's limit", "32 in flight",
		"| system (regd replicas) | 840 | 42.0 | 20.0 | 5.8 | 6.85 |",
		"| bare SDK loop | 840 | 8.4 | 100.0 | 1.7 | 2.00 |",
		"| **system / bare** | | | **0.20** | | **3.42** |"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary.md lacks %q:\n%s", want, b.String())
		}
	}
	raw, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Limit struct {
			Concurrency     int     `json:"concurrency"`
			ThroughputRatio float64 `json:"throughput_ratio"`
		} `json:"limit"`
	}
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if back.Limit.Concurrency != 32 || back.Limit.ThroughputRatio != 0.2 {
		t.Errorf("report.json limit = %+v, want concurrency 32 and throughput ratio 0.2", back.Limit)
	}
	var sides struct {
		Limit map[string]json.RawMessage `json:"limit"`
	}
	if err := json.Unmarshal(raw, &sides); err != nil {
		t.Fatal(err)
	}
	for _, side := range []string{"system", "bare"} {
		var f map[string]float64
		if err := json.Unmarshal(sides.Limit[side], &f); err != nil {
			t.Fatalf("limit.%s: %v", side, err)
		}
		for _, key := range []string{"transitions", "seconds", "transitions_per_second", "cpu_seconds", "cpu_ms_per_transition"} {
			if _, ok := f[key]; !ok {
				t.Errorf("limit.%s has no %q", side, key)
			}
		}
	}

	s.Limit = &Limit{Error: "no loop"}
	b.Reset()
	if err := s.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "The bare SDK loop was **not measured**: no loop.") {
		t.Errorf("summary.md does not say why the limit is missing:\n%s", b.String())
	}
}

// limitStub is a stubSystem that measures a limit: the run made transitions
// transitions, and the bare loop returns bare or err.
type limitStub struct {
	stubSystem
	transitions float64
	bare        BareRun
	err         error
	asked       *int // the n MeasureLimit was called with
}

func (s limitStub) Transitions(RunData) float64 { return s.transitions }

func (s limitStub) MeasureLimit(_ context.Context, _ Env, n int) (BareRun, error) {
	*s.asked = n
	return s.bare, s.err
}

// TestMeasureLimitAsksTheSystem: a LimitMeasurer runs the bare loop for the
// run's transitions; a system that is none, a run that made no transition
// and a served run get a limit that says why it was not measured, and an
// interrupted run none.
func TestMeasureLimitAsksTheSystem(t *testing.T) {
	sup, err := NewSupervisor(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	bare := BareRun{Transitions: 840, Concurrency: 32, Seconds: 8.4, CPUSeconds: 1.68}
	var asked int
	tests := []struct {
		name   string
		runner Runner
		want   string // in Limit.Error; "" for a measured limit
		asked  int
	}{
		{"not a LimitMeasurer", Runner{System: stubSystem{}}, "has no bare loop", 0},
		{"no transition", Runner{System: limitStub{asked: &asked}}, "made no transition", 0},
		{"served", Runner{System: limitStub{transitions: 840, asked: &asked}, Serve: true}, "--serve", 0},
		{"bare loop fails", Runner{System: limitStub{transitions: 840, err: errors.New("loop broke"), asked: &asked}}, "loop broke", 840},
		{"measured", Runner{System: limitStub{transitions: 840, bare: bare, asked: &asked}}, "", 840},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			asked = 0
			l := tt.runner.measureLimit(t.Context(), io.Discard, Env{}, sup, fixtureRun(t))
			if l == nil {
				t.Fatal("no limit")
			}
			if tt.want == "" && (l.Error != "" || l.ThroughputRatio != 0.2) {
				t.Errorf("limit %+v, want one measured with a throughput ratio of 0.2", l)
			}
			if tt.want != "" && !strings.Contains(l.Error, tt.want) {
				t.Errorf("limit error %q, want one saying %q", l.Error, tt.want)
			}
			if asked != tt.asked {
				t.Errorf("bare loop asked for %d transitions, want %d", asked, tt.asked)
			}
		})
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if l := (Runner{System: limitStub{transitions: 840, asked: &asked}}).measureLimit(ctx, io.Discard, Env{}, sup, fixtureRun(t)); l != nil {
		t.Errorf("interrupted run: limit %+v, want none", l)
	}
}
