package bench

import (
	"context"
	"fmt"
	"io"
	"syscall"
	"time"

	"github.com/tendlc/tendlc/bench/check"
	"github.com/tendlc/tendlc/statemachine"
)

// deployGrace is how long a replica stopped for a deploy has to finish its
// work after SIGTERM before it is killed: longer than regd's and the
// workers' own shutdown deadlines.
const deployGrace = 30 * time.Second

// shutdownScrape is how often a replica stopped for a deploy is scraped
// until it exits.
const shutdownScrape = 200 * time.Millisecond

// deployerOf returns sys as a Deployer when sc has a rollout, or an error
// wrapping ErrUsage when it is none; nil without a rollout.
func deployerOf(sys System, sc Scenario) (Deployer, error) {
	if sc.Rollout == nil {
		return nil, nil
	}
	d, ok := sys.(Deployer)
	if !ok {
		return nil, fmt.Errorf("%w: scenario %s deploys %s mid-run, and system %s cannot deploy a flow", ErrUsage, sc.Name, sc.Rollout.Flow, sys.Name())
	}
	return d, nil
}

// deployable checks that the rollout of sc, if any, can deploy every
// replica: one without Deploy would end the run at its turn.
func deployable(replicas []Replica, sc Scenario) error {
	if sc.Rollout == nil {
		return nil
	}
	for _, v := range replicas {
		if v.Deploy == nil {
			return fmt.Errorf("replica %s has no Deploy, and scenario %s deploys %s on every replica", v.Proc.Name, sc.Name, sc.Rollout.Flow)
		}
	}
	return nil
}

// deployer returns the rollout's deploy of replica i: stopped with SIGTERM,
// its metrics read while it finishes its work (what it counted then ends
// with it, as at a kill, but it is no kill), and started again on flow.
func (r Runner) deployer(stdout io.Writer, sup *Supervisor, replicas []Replica, col *collector,
	flow statemachine.Flow) func(ctx context.Context, i int) (string, error) {
	return func(ctx context.Context, i int) (string, error) {
		v := replicas[i]
		stopped := make(chan struct{})
		go func() {
			defer close(stopped)
			sup.Signal(v.Proc, syscall.SIGTERM, deployGrace)
		}()
		col.follow(ctx, v.Proc.Name, shutdownScrape, stopped)
		fmt.Fprintf(stdout, "regbench: rollout: stopped %s with SIGTERM; starting it on %s\n", v.Proc.Name, flow)
		if err := v.Deploy(ctx, flow); err != nil {
			return v.Proc.Name, err
		}
		col.up(v.Proc.Name, v.Proc.PID())
		return v.Proc.Name, nil
	}
}

// rolloutData gathers what the run d learned of its rollout ro: its steps,
// the campaigns' flows from the history the checker read (or why there is
// none), what the mix of flows cost the system, and the size of its change
// in the repository.
func (r Runner) rolloutData(ctx context.Context, dep Deployer, ro *rollout, d RunData, history check.History,
	historyErr error) *RolloutData {
	out := &RolloutData{Steps: ro.steps, During: ro.during(), FlowMix: dep.FlowMix(d)}
	if historyErr != nil {
		out.HistoryError = historyErr.Error()
	} else {
		out.Records = history.Records
	}
	repo := r.Repo
	if repo == "" {
		repo = "."
	}
	out.Change = measureChange(context.WithoutCancel(ctx), repo, dep.FlowChange(r.Scenario.Rollout.flow()))
	return out
}
