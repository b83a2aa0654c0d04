package statemachine

import (
	"fmt"
	"slices"
)

// class says where an event comes from, which fixes the disposition of the
// states its spec does not name.
type class int

const (
	// answer: a downstream's reply (dispatcher or webhook). Outside the states
	// that await it, it is stale or a duplicate: ignored.
	answer class = iota + 1
	// followUp: a message this system sent itself. Outside the states that
	// expect it, it is stale or a duplicate: ignored.
	followUp
	// request: a producer's or operator's request. Outside the states where
	// it is valid it is rejected, except where it is already done (ignored).
	request
)

// move is one fsm transition of an event. Name is the fsm event name: the
// event type, or the event type plus a ":outcome" suffix when a guard chooses
// between destinations (looplab/fsm keys a transition by event and source).
type move struct {
	name string
	src  []State
	dst  State
}

// guard runs on a transition cell. It fills the next record and the emitted
// messages, and returns the name of the move to fire, or an outcome that turns
// the event away (see hold, ignoreBecause, deferBecause, rejectBecause).
type guard func(d *decider) (string, *verdict)

// verdict turns an event away inside a transition cell.
type verdict struct {
	disposition Disposition
	reason      string
	code        int
}

func ignoreBecause(reason string) *verdict { return &verdict{disposition: Ignore, reason: reason} }
func deferBecause(reason string) *verdict  { return &verdict{disposition: Defer, reason: reason} }
func rejectBecause(reason string, code int) *verdict {
	return &verdict{disposition: Reject, reason: reason, code: code}
}

// eventSpec is everything about one event type: where it moves a record, where
// it is early, where (for a request) it is already done, and its guard.
type eventSpec struct {
	class class
	moves []move
	early []State // defer
	done  []State // request only: ignore as already done
	guard guard
}

// kindSpec is the table of one kind: every event's spec.
type kindSpec map[EventType]eventSpec

// specs are the tables of flow v1 (see tables for the later flows').
var specs = map[Kind]kindSpec{
	KindBrand:    brandSpec,
	KindCampaign: campaignSpec,
	KindNumber:   numberSpec,
}

// movesFrom returns the moves of e that leave state s.
func (e eventSpec) movesFrom(s State) []move {
	var out []move
	for _, m := range e.moves {
		if slices.Contains(m.src, s) {
			out = append(out, m)
		}
	}
	return out
}

// Cell is the disposition of one (state, event) pair of a kind.
type Cell struct {
	State       State       `json:"state"`
	Event       EventType   `json:"event"`
	Disposition Disposition `json:"-"`
	// FSMEvents are the fsm events a transition cell may fire (more than one
	// when a guard chooses the destination), with their destinations.
	FSMEvents []string `json:"fsm_events,omitempty"`
	To        []State  `json:"to,omitempty"`
	Reason    string   `json:"reason,omitempty"` // for the static ignore, defer and reject cells
}

// CellFor returns the cell of kind k's table on flow f (the zero flow is v1)
// for event t in state s: the static disposition, what the table says before
// any guard runs. It returns an error wrapping ErrUnknownEvent when the
// table has no event t, and an error when it has no state s or the flow is
// unknown.
func CellFor(f Flow, k Kind, s State, t EventType) (Cell, error) {
	tb := tableOf(f, k)
	if tb == nil {
		return Cell{}, fmt.Errorf("no %s table on flow %s", k, f.OrV1())
	}
	spec, ok := tb.spec[t]
	if !ok {
		return Cell{}, fmt.Errorf("%w: %s on flow %s has no event %q", ErrUnknownEvent, k, f.OrV1(), t)
	}
	if !slices.Contains(tb.states, s) {
		return Cell{}, fmt.Errorf("%s on flow %s has no state %q", k, f.OrV1(), s)
	}
	c := Cell{State: s, Event: t}
	if ms := spec.movesFrom(s); len(ms) > 0 {
		c.Disposition = Transition
		for _, m := range ms {
			c.FSMEvents = append(c.FSMEvents, m.name)
			c.To = append(c.To, m.dst)
		}
		return c, nil
	}
	switch {
	case s == StateNone:
		c.Disposition, c.Reason = Reject, "unknown record"
	case slices.Contains(spec.early, s):
		c.Disposition, c.Reason = Defer, "arrived early"
	case spec.class == request && slices.Contains(spec.done, s):
		c.Disposition, c.Reason = Ignore, "already done"
	case spec.class == request:
		c.Disposition, c.Reason = Reject, "invalid in state"
	case spec.before(tb.mainPath, s):
		c.Disposition, c.Reason = Defer, "early or read behind"
	default:
		c.Disposition, c.Reason = Ignore, "stale or duplicate"
	}
	return c, nil
}

// before reports whether s comes before, on a kind's main path, every
// main-path state the event moves a record from.
func (e eventSpec) before(path []State, s State) bool {
	at := slices.Index(path, s)
	if at < 0 {
		return false
	}
	first := -1
	for _, m := range e.moves {
		for _, src := range m.src {
			if i := slices.Index(path, src); i >= 0 && (first < 0 || i < first) {
				first = i
			}
		}
	}
	return first >= 0 && at < first
}
