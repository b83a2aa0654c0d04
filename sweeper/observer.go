package sweeper

import "github.com/tendlc/tendlc/statemachine"

// Observer is told what the sweeper did, for metrics: counters per kind and
// state, and per sweep its report and the time of the last success. Its
// methods must be cheap and safe for concurrent use. A dry run tells only
// Finished (with Report.DryRun set).
type Observer interface {
	// Redriven: a stuck record's missing commands were re-sent.
	Redriven(kind statemachine.Kind, state statemachine.State)
	// GaveUp: a stuck record had its maximum of re-drives; its failed event
	// was sent.
	GaveUp(kind statemachine.Kind, state statemachine.State)
	// Finished: a sweep ended, with err nil on success (then r.Started plus
	// r.Duration is the last success time). err wraps ErrLeaseHeld when
	// another sweeper was at work, ErrLeaseLost when the sweep stopped early,
	// and is a *handlers.PanicError when a scheduled sweep panicked.
	Finished(r Report, err error)
}

type nopObserver struct{}

func (nopObserver) Redriven(statemachine.Kind, statemachine.State) {}
func (nopObserver) GaveUp(statemachine.Kind, statemachine.State)   {}
func (nopObserver) Finished(Report, error)                         {}
