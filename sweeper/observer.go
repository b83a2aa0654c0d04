package sweeper

import "github.com/tendlc/tendlc/statemachine"

// Observer is told what the sweeper did, for metrics: counters per kind and
// state, and per sweep its report and the time of the last success. Its
// methods must be cheap and safe for concurrent use. A dry run tells only
// Finished (with Report.DryRun set).
type Observer interface {
	// Redriven: a stuck record was re-driven with the outcome o (every
	// outcome but a give-up or a backlog).
	Redriven(kind statemachine.Kind, state statemachine.State, o statemachine.RedriveOutcome)
	// LookedUp: a status look-up of the downstream d ended with outcome
	// LookupFound, LookupNotFound or LookupError.
	LookedUp(d statemachine.Destination, outcome string)
	// GaveUp: a stuck record had its maximum of re-drives; its failed event
	// was sent.
	GaveUp(kind statemachine.Kind, state statemachine.State)
	// Finished: a sweep ended, with err nil on success (then r.Started plus
	// r.Duration is the last success time). err wraps ErrLeaseHeld when
	// another sweeper was at work, ErrLeaseLost when the sweep stopped early,
	// and is a *message.PanicError when a scheduled sweep panicked.
	Finished(r Report, err error)
}

type nopObserver struct{}

func (nopObserver) Redriven(statemachine.Kind, statemachine.State, statemachine.RedriveOutcome) {}
func (nopObserver) LookedUp(statemachine.Destination, string)                                   {}
func (nopObserver) GaveUp(statemachine.Kind, statemachine.State)                                {}
func (nopObserver) Finished(Report, error)                                                      {}
