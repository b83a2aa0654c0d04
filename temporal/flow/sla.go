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
	// busy, when set, reports whether a command of the state is still being
	// sent: a backlog, which counts nothing, when no look-up finds more.
	busy func() bool
	// resend sends the command of look-up l again, as re-send number n:
	// the downstream had no record of it.
	resend func(ctx workflow.Context, l statemachine.Lookup, n int) error
}

// The outcomes of one reconciliation, as statemachine.Redrive ranks them:
// the highest of the look-ups' decides what it counts.
const (
	outcomeIdle      = iota // nothing to look up: counts a re-drive
	outcomeBacklog          // nobody could be asked: counts nothing, asks again soon
	outcomeChecked          // the downstream has the request, no decision yet: a check
	outcomeRecovered        // decisions found whose webhooks never came: a check
	outcomeResent           // a downstream had no record of the request: a re-drive
)

// await waits in the record's state until w.done, or past the state's
// threshold. Then it reconciles as the baseline's sweeper does
// (statemachine.Redrive): it asks every downstream that owes an answer what
// it decided before it re-sends anything; decisions found are taken as if
// their webhooks had come (recovered), a downstream still deciding is left
// to decide (checked), only a downstream with no record of the request gets
// it again (resent: a re-drive, and the checks start over), and a
// downstream that could not be asked is asked again after the shorter of the
// threshold and Settings.Recheck (the baseline's next sweep), counting
// nothing.
// Past MaxRedrives re-drives or MaxChecks checks it gives up with
// errGaveUp instead of re-sending.
func (r *run) await(ctx workflow.Context, w wait) error {
	threshold := r.settings.Threshold(r.rec.Kind, r.rec.State)
	for next := threshold; ; {
		ok, err := workflow.AwaitWithTimeout(ctx, next, w.done)
		if err != nil || ok {
			return err
		}
		owed := w.owed()
		outcome := outcomeIdle
		if w.busy != nil && w.busy() {
			outcome = outcomeBacklog
		}
		var lost []statemachine.Lookup
		for _, l := range owed {
			found := outcomeBacklog
			obs, err := r.lookup(ctx, l)
			switch {
			case err != nil:
			case !obs.Found:
				found, lost = outcomeResent, append(lost, l)
			default:
				found = outcomeChecked
				for _, e := range obs.Events {
					if r.inbox.add(e) {
						found = outcomeRecovered
					}
				}
			}
			outcome = max(outcome, found)
		}
		next = threshold
		switch outcome {
		case outcomeResent:
			r.rec.Redrives++
			r.rec.Checks = 0
		case outcomeIdle:
			r.rec.Redrives++
		case outcomeChecked, outcomeRecovered:
			r.rec.Checks++
		case outcomeBacklog:
			next = min(threshold, r.settings.Recheck)
			continue
		}
		if r.rec.Redrives > r.settings.MaxRedrives || r.rec.Checks > r.settings.MaxChecks {
			return errGaveUp
		}
		for _, l := range lost {
			if err := w.resend(ctx, l, r.rec.Redrives); err != nil {
				return err
			}
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
