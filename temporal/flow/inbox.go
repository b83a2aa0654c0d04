package flow

import "github.com/tendlc/tendlc/statemachine"

// inbox holds the events signalled to a workflow, or found by its look-ups,
// each once: a duplicate webhook, or a look-up that finds an answer whose
// webhook came too, carries an event id already seen. Events wait here until
// the workflow reaches the step that takes them, so an answer that overtook
// another (a carrier's approval before the reviewer's) is not lost.
type inbox struct {
	seen   map[string]bool
	events []statemachine.Envelope
}

// add keeps env unless its event id was seen, and reports whether it was new.
func (b *inbox) add(env statemachine.Envelope) bool {
	if b.seen[env.EventID] {
		return false
	}
	b.seen[env.EventID] = true
	b.events = append(b.events, env)
	return true
}

// first returns the earliest event that match accepts.
func (b *inbox) first(match func(statemachine.Envelope) bool) (statemachine.Envelope, bool) {
	for _, e := range b.events {
		if match(e) {
			return e, true
		}
	}
	return statemachine.Envelope{}, false
}

// ofType returns a matcher of events of the types ts about entity id.
func ofType(id string, ts ...statemachine.EventType) func(statemachine.Envelope) bool {
	return func(e statemachine.Envelope) bool {
		if e.EntityID != id {
			return false
		}
		for _, t := range ts {
			if e.Type == t {
				return true
			}
		}
		return false
	}
}
