package flow

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/tendlc/tendlc/statemachine"
)

// wait is what a waiting state needs from the downstreams: the durable timer
// of the state's threshold replaces the baseline's sweeper, and what it does
// when the timer fires is the sweeper's reconciliation.
type wait struct {
	// done reports whether the answers the state waits for have arrived.
	done func() bool
	// owed returns the look-ups of the downstreams that still owe an answer.
	owed func() []statemachine.Lookup
	// resend sends the command of look-up l again, as re-send number n:
	// the downstream had no record of it.
	resend func(ctx workflow.Context, l statemachine.Lookup, n int) error
}

// await waits in the record's state until w.done, or past the state's
// threshold. Then, as the baseline's sweeper does, it asks every downstream
// that owes an answer what it decided before it re-sends anything: answers
// found are taken as if their webhooks had come (recovered), a downstream
// still deciding is left to decide (a check), and only a downstream with no
// record of the request gets it again (a re-drive). The record's counters
// are the baseline's: once either reaches its maximum, the next threshold
// gives up with errGaveUp.
func (r *run) await(ctx workflow.Context, w wait) error {
	for {
		ok, err := workflow.AwaitWithTimeout(ctx, r.settings.Threshold(r.rec.Kind, r.rec.State), w.done)
		if err != nil || ok {
			return err
		}
		if r.rec.Redrives >= r.settings.MaxRedrives || r.rec.Checks >= r.settings.MaxChecks {
			return errGaveUp
		}
		owed := w.owed()
		asked, resent, recovered := 0, false, false
		for _, l := range owed {
			obs, err := r.lookup(ctx, l)
			if err != nil {
				// The downstream could not be asked: nothing is known, so
				// nothing is re-sent; the next threshold asks again.
				continue
			}
			asked++
			if !obs.Found {
				if err := w.resend(ctx, l, r.rec.Redrives+1); err != nil {
					return err
				}
				resent = true
				continue
			}
			for _, e := range obs.Events {
				recovered = r.inbox.add(e) || recovered
			}
		}
		switch {
		case resent || len(owed) == 0:
			r.rec.Redrives++
		case asked > 0:
			r.rec.Checks++
		default:
			// Nobody could be asked: a backlog, as the baseline's sweeper
			// calls it, which counts nothing.
		}
		r.rec.WaitSince = workflow.Now(ctx)
	}
}

// lookup asks l's downstream, on its task queue (the look-ups share its rate
// limit), a few times before it reports the downstream unreachable.
func (r *run) lookup(ctx workflow.Context, l statemachine.Lookup) (statemachine.Observation, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:           ActivityQueue(l.To),
		StartToCloseTimeout: callTimeout,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: r.settings.scaled(5 * time.Second),
			BackoffCoefficient: 2, MaximumAttempts: 3},
	})
	var a *Activities
	var obs statemachine.Observation
	err := workflow.ExecuteActivity(ctx, a.Lookup, l).Get(ctx, &obs)
	return obs, err
}
