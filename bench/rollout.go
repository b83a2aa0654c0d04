package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/tendlc/tendlc/statemachine"
)

// Rollout is a rolling deploy in the middle of a run, as a platform makes
// one: every replica starts on flow v1; from Start on, one replica at a
// time is stopped gracefully (SIGTERM) and started again on Flow, the next
// one Every after the previous one served again, until all run it. Part of
// the load is seeded at the start, on v1 replicas only; the rest in one
// batch after each replica came up on Flow, so that some registrations
// start on a replica of each flow while the others still run the old one.
// Every part has brands of its own, so its campaigns wait for their
// brands' verification as the first part's do.
// The kill schedule (Scenario.KillEvery) goes on meanwhile, restarting a
// killed replica on the flow it ran.
type Rollout struct {
	// Start is when the first replica is stopped, from the seeding.
	Start Duration `json:"start"`
	// Every is the wait between a replica serving on Flow and the next
	// replica's stop.
	Every Duration `json:"every"`
	// Flow is the flow the replicas are deployed on ("v2").
	Flow string `json:"flow"`
	// SeededBefore is the share of the brands seeded at the start, with
	// their campaigns; the others are split into one batch per replica.
	SeededBefore float64 `json:"seeded_before"`
}

// flow returns the flow the rollout deploys; validate checks that it
// parses.
func (r Rollout) flow() statemachine.Flow {
	f, _ := statemachine.ParseFlow(r.Flow)
	return f
}

// validate returns the problems of a rollout of s: a flow that is not a
// newer one, times that do not fit the deadline, a split that leaves no
// campaign on either side.
func (r Rollout) validate(s Scenario) error {
	var errs []error
	if f, err := statemachine.ParseFlow(r.Flow); err != nil {
		errs = append(errs, fmt.Errorf("rollout: %w", err))
	} else if f == statemachine.FlowV1 {
		errs = append(errs, errors.New("rollout: the replicas run v1 already; deploy a newer flow"))
	}
	if r.Start <= 0 || r.Every <= 0 {
		errs = append(errs, errors.New("rollout: needs a start and an interval"))
	} else if last := time.Duration(r.Start) + time.Duration(s.Replicas-1)*time.Duration(r.Every); last >= time.Duration(s.Deadline) {
		errs = append(errs, fmt.Errorf("rollout: its last replica would be stopped at %v, at or after the deadline %v", last, time.Duration(s.Deadline)))
	}
	if !(r.SeededBefore > 0 && r.SeededBefore < 1) {
		errs = append(errs, fmt.Errorf("rollout: seeded_before %v, want a share between 0 and 1", r.SeededBefore))
	} else if s.Brands < 2 || s.Campaigns < s.Brands {
		errs = append(errs, errors.New("rollout: needs 2 brands or more, and a campaign for each, some before and some during it"))
	}
	return errors.Join(errs...)
}

// split splits l into what is seeded at the start (the rollout's share of
// the brands, at least one and one short of all at most, with their
// campaigns) and the batches seeded during it, one per replica, the other
// brands with their campaigns as even as they divide. A part's envelopes
// are its brands' registrations, then its campaigns'.
func (r Rollout) split(l Load, replicas int) (first Load, batches []Load) {
	brands := len(l.Brands)
	before := min(max(int(math.Round(r.SeededBefore*float64(brands))), 1), brands-1)
	first = l.part(0, before)
	rest, from := brands-before, before
	for i := range replicas {
		n := rest / replicas
		if i < rest%replicas {
			n++
		}
		batches = append(batches, l.part(from, from+n))
		from += n
	}
	return first, batches
}

// RolloutStep is one replica's deploy in a rollout: report.json's
// rollout.steps.
type RolloutStep struct {
	Replica string `json:"replica"`
	Flow    string `json:"flow"`
	// StoppedAt is when the replica was told to stop, UpAt when it served
	// again on Flow: seconds from the seeding.
	StoppedAt float64 `json:"stopped_seconds"`
	UpAt      float64 `json:"up_seconds,omitempty"`
	// Seeded is how many campaigns were seeded once it served.
	Seeded int `json:"seeded"`
	// Error says why the replica did not serve again, or why the batch
	// could not be seeded, in a line; the run then fails.
	Error string `json:"error,omitempty"`
}

// rollout carries a scenario's Rollout out in a run: the watch loop calls
// step on every tick, and it deploys the next replica when it is due, then
// seeds the next batch.
type rollout struct {
	plan    Rollout
	began   time.Time
	now     func() time.Time // the clock (time.Now; a fake one in tests)
	batches []Load
	// deploy stops replica i and starts it again on the rollout's flow,
	// and returns its name; seed seeds a batch.
	deploy func(ctx context.Context, i int) (string, error)
	seed   func(ctx context.Context, l Load) error

	next   int       // replica to deploy next
	nextAt time.Time // when
	steps  []RolloutStep
	seeded map[string]float64 // seconds from the seeding, by campaign seeded during the rollout
}

func newRollout(plan Rollout, began time.Time, now func() time.Time, batches []Load,
	deploy func(ctx context.Context, i int) (string, error), seed func(ctx context.Context, l Load) error) *rollout {
	return &rollout{plan: plan, began: began, now: now, batches: batches, deploy: deploy, seed: seed,
		nextAt: began.Add(time.Duration(plan.Start)), seeded: map[string]float64{}}
}

// during returns the campaigns of the rollout's batches, seeded or not.
func (r *rollout) during() []string {
	var ids []string
	for _, b := range r.batches {
		ids = append(ids, b.Campaigns...)
	}
	return ids
}

// done reports whether every replica runs the rollout's flow.
func (r *rollout) done() bool { return r.next >= len(r.batches) }

// step deploys the next replica if it is due, then seeds its batch. It
// returns the error of a deploy or a seeding, which ends the run.
func (r *rollout) step(ctx context.Context) error {
	if r.done() || r.now().Before(r.nextAt) {
		return nil
	}
	i := r.next
	r.next++
	s := RolloutStep{Flow: r.plan.Flow, StoppedAt: r.since(r.now())}
	name, err := r.deploy(ctx, i)
	s.Replica = name
	if err == nil {
		up := r.now()
		s.UpAt = r.since(up)
		r.nextAt = up.Add(time.Duration(r.plan.Every))
		at := r.since(r.now()) // the seeding's start, as the run's is
		if err = r.seed(ctx, r.batches[i]); err == nil {
			s.Seeded = len(r.batches[i].Campaigns)
			for _, id := range r.batches[i].Campaigns {
				r.seeded[id] = at
			}
		}
	}
	if err != nil {
		s.Error, _, _ = strings.Cut(err.Error(), "\n") // the run's error has the rest: a log's end
		err = fmt.Errorf("rollout of %s on %s: %w", name, r.plan.Flow, err)
	}
	r.steps = append(r.steps, s)
	return err
}

func (r *rollout) since(t time.Time) float64 { return t.Sub(r.began).Seconds() }

// WithFlow returns a replica's args with its flow set to flow: args without
// their --flow flag, then "--flow" and flow, the flag regd and the Temporal
// workers both take (Replica.Deploy).
func WithFlow(args []string, flow statemachine.Flow) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		name, _, inline := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		if !strings.HasPrefix(args[i], "-") || name != "flow" {
			out = append(out, args[i])
			continue
		}
		if !inline {
			i++ // its value
		}
	}
	return append(out, "--flow", flow.String())
}
