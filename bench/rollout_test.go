package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tendlc/tendlc/statemachine"
)

// TestRolloutValidation: a rollout must deploy a newer flow, start and
// repeat within the deadline, and leave campaigns on both sides of it.
func TestRolloutValidation(t *testing.T) {
	valid := Rollout{Start: Duration(20 * time.Second), Every: Duration(20 * time.Second), Flow: "v2", SeededBefore: 0.4}
	tests := []struct {
		name   string
		change func(s *Scenario)
		want   string // in the error; "" for none
	}{
		{"the rollout profile's", func(*Scenario) {}, ""},
		{"an unknown flow", func(s *Scenario) { s.Rollout.Flow = "v3" }, `unknown flow "v3"`},
		{"the flow the replicas run already", func(s *Scenario) { s.Rollout.Flow = "v1" }, "run v1 already"},
		{"no interval", func(s *Scenario) { s.Rollout.Every = 0 }, "needs a start and an interval"},
		{"the last deploy after the deadline", func(s *Scenario) { s.Deadline = Duration(time.Minute) },
			"its last replica would be stopped at 1m0s, at or after the deadline 1m0s"},
		{"every campaign before it", func(s *Scenario) { s.Rollout.SeededBefore = 1 }, "seeded_before 1, want a share between 0 and 1"},
		{"a single brand", func(s *Scenario) { s.Brands = 1 }, "needs 2 brands or more"},
		{"fewer campaigns than brands", func(s *Scenario) { s.Campaigns = 1 }, "needs 2 brands or more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ro := valid
			s := Scenario{Name: "r", Brands: 2, Campaigns: 10, Numbers: 1, Replicas: 3, Deadline: Duration(5 * time.Minute), Rollout: &ro}
			tt.change(&s)
			err := s.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrUsage)):
				t.Errorf("Validate() = %v, want a usage error with %q", err, tt.want)
			}
		})
	}
}

// TestRolloutProfile: the rollout profile deploys v2 on its 3 replicas
// while they are killed, in a world that reviews the opt-in evidence.
func TestRolloutProfile(t *testing.T) {
	s, err := Profile("rollout")
	if err != nil {
		t.Fatal(err)
	}
	if s.Rollout == nil || s.Rollout.Flow != "v2" || s.Replicas != 3 || s.KillEvery <= 0 {
		t.Fatalf("rollout profile %+v, want a rollout of v2 over 3 replicas with kills", s)
	}
	for _, tt := range []struct{ flag, want string }{
		{"latency", "all=200ms-1500ms,reviewer=1s-3s,evidence=1s-3s"},
		{"reject", "ein=0.03,reviewer=0.03,carrier=0.01,evidence=0.05"},
	} {
		if got := FlagValue(s.Carriersim, tt.flag); got != tt.want {
			t.Errorf("carriersim --%s %q, want %q", tt.flag, got, tt.want)
		}
	}
}

// TestRolloutSplitsTheLoad: the rollout's share of the brands with their
// campaigns first, then a batch of brands and their campaigns per replica,
// the remainder on the first batches; every brand and campaign once, each
// campaign with its brand, brands' registrations first.
func TestRolloutSplitsTheLoad(t *testing.T) {
	l := makeLoad(Scenario{Brands: 8, Campaigns: 16, Numbers: 1})
	first, batches := Rollout{SeededBefore: 0.25}.split(l, 3)
	parts := append([]Load{first}, batches...)
	var sizes []int
	var brands, campaigns []string
	for _, p := range parts {
		sizes = append(sizes, len(p.Brands))
		brands, campaigns = append(brands, p.Brands...), append(campaigns, p.Campaigns...)
		if len(p.Envelopes) != len(p.Brands)+len(p.Campaigns) {
			t.Fatalf("part of %d brands and %d campaigns has %d envelopes", len(p.Brands), len(p.Campaigns), len(p.Envelopes))
		}
		for i, e := range p.Envelopes {
			if i < len(p.Brands) {
				if e.Type != statemachine.BrandRegister || e.EntityID != p.Brands[i] {
					t.Errorf("envelope %d is %s %s, want the registration of brand %s", i, e.Type, e.EntityID, p.Brands[i])
				}
				continue
			}
			reg, err := statemachine.DecodePayload[statemachine.CampaignRegistration](e.Payload)
			if e.Type != statemachine.CampaignRegister || e.EntityID != p.Campaigns[i-len(p.Brands)] || err != nil || !slices.Contains(p.Brands, reg.BrandID) {
				t.Errorf("envelope %d is %s %s of brand %s (%v), want a campaign of the part's brands %q", i, e.Type, e.EntityID, reg.BrandID, err, p.Brands)
			}
		}
	}
	if want := []int{2, 2, 2, 2}; !slices.Equal(sizes, want) {
		t.Errorf("brands per part %v, want %v", sizes, want)
	}
	if len(first.Campaigns) != 4 || len(batches[0].Campaigns) != 4 {
		t.Errorf("campaigns first %d, in the first batch %d; want 4 each (2 per brand)", len(first.Campaigns), len(batches[0].Campaigns))
	}
	slices.Sort(campaigns)
	if !slices.Equal(brands, l.Brands) || !slices.Equal(campaigns, l.Campaigns) {
		t.Errorf("the parts hold brands %q and campaigns %q, want every one once", brands, campaigns)
	}
	first, batches = Rollout{SeededBefore: 0.99}.split(l, 3)
	if len(first.Brands) != 7 || len(batches[0].Brands) != 1 || len(batches[2].Brands) != 0 {
		t.Errorf("a share of 0.99 of 8 brands: %d first, batches %d/%d/%d; want one brand left for the rollout", len(first.Brands),
			len(batches[0].Brands), len(batches[1].Brands), len(batches[2].Brands))
	}
}

// TestRolloutSchedule: with a fake clock, the first replica is deployed at
// Start, each next one Every after the previous one served again, each
// batch seeded once its replica serves, and nothing after the last.
func TestRolloutSchedule(t *testing.T) {
	began := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := began
	var deployed []int
	var seeded [][]string
	deploy := func(_ context.Context, i int) (string, error) {
		deployed = append(deployed, i)
		clock = clock.Add(3 * time.Second) // the stop and the start
		return fmt.Sprintf("regd-%d", i+1), nil
	}
	seed := func(_ context.Context, l Load) error {
		seeded = append(seeded, l.Campaigns)
		return nil
	}
	batches := []Load{{Campaigns: []string{"c4", "c5"}}, {Campaigns: []string{"c6"}}}
	ro := newRollout(Rollout{Start: Duration(20 * time.Second), Every: Duration(10 * time.Second), Flow: "v2"}, began,
		func() time.Time { return clock }, batches, deploy, seed)
	at := func(seconds float64) {
		t.Helper()
		clock = began.Add(time.Duration(seconds * float64(time.Second)))
		if err := ro.step(t.Context()); err != nil {
			t.Fatalf("step at %v s: %v", seconds, err)
		}
	}
	at(0)
	at(19.9)
	if len(deployed) != 0 {
		t.Fatalf("deployed %v before the start", deployed)
	}
	at(20) // deploys replica 0, up at 23 s: the next is due at 33 s
	at(32.9)
	if !slices.Equal(deployed, []int{0}) {
		t.Fatalf("deployed %v by 32.9 s, want [0]", deployed)
	}
	at(33) // replica 1, up at 36 s
	at(100)
	if !slices.Equal(deployed, []int{0, 1}) || !ro.done() {
		t.Errorf("deployed %v, done %v; want [0 1], done", deployed, ro.done())
	}
	if want := [][]string{{"c4", "c5"}, {"c6"}}; !slices.EqualFunc(seeded, want, slices.Equal) {
		t.Errorf("seeded %q, want %q", seeded, want)
	}
	wantSteps := []RolloutStep{{Replica: "regd-1", Flow: "v2", StoppedAt: 20, UpAt: 23, Seeded: 2},
		{Replica: "regd-2", Flow: "v2", StoppedAt: 33, UpAt: 36, Seeded: 1}}
	if !slices.Equal(ro.steps, wantSteps) {
		t.Errorf("steps %+v, want %+v", ro.steps, wantSteps)
	}
	if got := ro.seeded; len(got) != 3 || got["c4"] != 23 || got["c5"] != 23 || got["c6"] != 36 {
		t.Errorf("seeded at %v, want c4 and c5 at 23 s, c6 at 36 s", got)
	}
}

// TestRolloutStepFailure: a replica that does not serve on the new flow
// ends the run, its step says why, and its batch is not seeded.
func TestRolloutStepFailure(t *testing.T) {
	began := time.Now()
	seeds := 0
	ro := newRollout(Rollout{Start: Duration(time.Second), Every: Duration(time.Second), Flow: "v2"}, began,
		func() time.Time { return began.Add(time.Minute) }, []Load{{Campaigns: []string{"c1"}}},
		func(context.Context, int) (string, error) {
			return "worker-1", errors.New("exited while starting; the end of its log:\nunknown flag")
		},
		func(context.Context, Load) error { seeds++; return nil })
	err := ro.step(t.Context())
	if err == nil || !strings.Contains(err.Error(), "rollout of worker-1 on v2: exited while starting; the end of its log:\nunknown flag") {
		t.Errorf("step = %v, want the deploy's error", err)
	}
	if seeds != 0 || len(ro.steps) != 1 || ro.steps[0].Error != "exited while starting; the end of its log:" || ro.steps[0].UpAt != 0 {
		t.Errorf("seeds %d, steps %+v; want no seeding and a step with the error", seeds, ro.steps)
	}
}

func TestWithFlow(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"no flow yet", []string{"--rate", "all=5"}, []string{"--rate", "all=5", "--flow", "v2"}},
		{"a separate value", []string{"--flow", "v1", "--rate", "all=5"}, []string{"--rate", "all=5", "--flow", "v2"}},
		{"an inline value", []string{"-flow=v1", "--rate", "all=5"}, []string{"--rate", "all=5", "--flow", "v2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.args)
			if got := WithFlow(tt.args, statemachine.FlowV2); !slices.Equal(got, tt.want) {
				t.Errorf("WithFlow(%q) = %q, want %q", tt.args, got, tt.want)
			}
			if !slices.Equal(tt.args, in) {
				t.Errorf("the input changed to %q", tt.args)
			}
		})
	}
}

// deployerStub is a stubSystem that can deploy a flow.
type deployerStub struct{ stubSystem }

func (deployerStub) FlowMix(RunData) map[string]float64      { return nil }
func (deployerStub) FlowChange(statemachine.Flow) FlowChange { return FlowChange{} }
func (stubSystem) Name() string                              { return "stub" }

// TestRunnerRefusesARolloutItCannotDeploy: a system that is not a Deployer
// is refused a rollout before anything starts, and a replica without
// Deploy before the load.
func TestRunnerRefusesARolloutItCannotDeploy(t *testing.T) {
	plain := Scenario{Name: "s"}
	ro := Scenario{Name: "s", Rollout: &Rollout{Flow: "v2"}}
	if d, err := deployerOf(stubSystem{}, plain); d != nil || err != nil {
		t.Errorf("no rollout: %v, %v; want nil, nil", d, err)
	}
	if _, err := deployerOf(stubSystem{}, ro); !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), "system stub cannot deploy a flow") {
		t.Errorf("a system without Deploy: error %v, want a usage error naming it", err)
	}
	if d, err := deployerOf(deployerStub{}, ro); d == nil || err != nil {
		t.Errorf("a Deployer: %v, %v; want it", d, err)
	}
	v := Replica{Proc: &Proc{Name: "regd-2"}}
	if err := deployable([]Replica{v}, ro); err == nil || !strings.Contains(err.Error(), "replica regd-2 has no Deploy") {
		t.Errorf("a replica without Deploy: error %v, want one naming it", err)
	}
	v.Deploy = func(context.Context, statemachine.Flow) error { return nil }
	if err := deployable([]Replica{v}, ro); err != nil {
		t.Errorf("a replica with Deploy: %v", err)
	}
}
