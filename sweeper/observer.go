package sweeper

import (
	"errors"
	"time"

	"github.com/tendlc/tendlc/statemachine"
)

// Observer is told what the sweeper did, for metrics: counters per kind and
// state, and per sweep its outcome, cost and duration. Its methods take
// domain and standard types only, so an adapter (infra/metrics) satisfies it
// without importing the sweeper. They must be cheap and safe for concurrent
// use. A dry run tells it nothing: it is an operator's look, not the
// service's work.
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
	// Swept: a sweep in mode, started at started, ended after took with
	// outcome SweepOK, SweepLeaseHeld, SweepLeaseLost or SweepError; finding
	// the stuck records read examined items and consumed readUnits of read
	// capacity ([Report]).
	Swept(mode, outcome string, examined int64, readUnits float64, started time.Time, took time.Duration)
}

// Outcomes of a sweep, as [Observer.Swept] is told them.
const (
	SweepOK        = "ok"
	SweepLeaseHeld = "lease_held" // another sweeper was at work; nothing was read
	SweepLeaseLost = "lease_lost" // the sweep stopped early
	SweepError     = "error"      // the search failed, the context ended or the sweep panicked
)

// observe tells the Observer how the sweep rep ended, with err, unless it was
// a dry run.
func (s *Sweeper) observe(rep Report, err error) {
	if s.cfg.DryRun {
		return
	}
	outcome := SweepOK
	switch {
	case errors.Is(err, ErrLeaseHeld):
		outcome = SweepLeaseHeld
	case errors.Is(err, ErrLeaseLost):
		outcome = SweepLeaseLost
	case err != nil:
		outcome = SweepError
	}
	s.cfg.Observer.Swept(string(rep.Mode), outcome, rep.Examined, rep.ReadUnits, rep.Started, rep.Duration)
}

type nopObserver struct{}

func (nopObserver) Redriven(statemachine.Kind, statemachine.State, statemachine.RedriveOutcome) {}
func (nopObserver) LookedUp(statemachine.Destination, string)                                   {}
func (nopObserver) GaveUp(statemachine.Kind, statemachine.State)                                {}
func (nopObserver) Swept(string, string, int64, float64, time.Time, time.Duration)              {}
