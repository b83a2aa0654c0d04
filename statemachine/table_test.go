package statemachine

import (
	"maps"
	"slices"
	"testing"
)

// TestTableIsTotal proves that every (state, event) pair of every kind resolves
// to exactly one disposition, and that the transition cells are exactly the
// pairs the looplab/fsm table can fire.
func TestTableIsTotal(t *testing.T) {
	for _, k := range Kinds {
		t.Run(string(k), func(t *testing.T) {
			spec := specs[k]
			if got, want := slices.Sorted(maps.Keys(spec)), slices.Sorted(slices.Values(Events(k))); !slices.Equal(got, want) {
				t.Fatalf("spec events %v, want the kind's events %v", got, want)
			}
			for _, e := range Events(k) {
				es := spec[e]
				if es.class == 0 {
					t.Errorf("%s: no class", e)
				}
				if len(es.moves) > 0 && es.guard == nil {
					t.Errorf("%s: moves without a guard", e)
				}
				for _, s := range States(k) {
					// Exactly one rule may claim a cell: a move, early, or done.
					claims := len(es.movesFrom(s))
					if claims > 1 {
						claims = 1 // a guard choosing between moves is one transition cell
					}
					if slices.Contains(es.early, s) {
						claims++
					}
					if slices.Contains(es.done, s) {
						claims++
					}
					if claims > 1 {
						t.Errorf("(%s, %s) is claimed by %d rules", s, e, claims)
					}
					if s == StateNone && claims == 1 && len(es.movesFrom(s)) == 0 {
						t.Errorf("(%s, %s): only a move may leave NONE", s, e)
					}

					c, err := CellFor(k, s, e)
					if err != nil {
						t.Fatal(err)
					}
					m := NewFSM(k, s)
					for _, mv := range es.moves {
						can := m.Can(mv.name)
						// Moves may share a name to loop on each of several states.
						want := slices.ContainsFunc(es.moves, func(o move) bool { return o.name == mv.name && slices.Contains(o.src, s) })
						if can != want {
							t.Errorf("fsm.Can(%s) in %s = %v, want %v", mv.name, s, can, want)
						}
						if can && c.Disposition != Transition {
							t.Errorf("(%s, %s) is %s but the fsm can fire %s", s, e, c.Disposition, mv.name)
						}
					}
					if c.Disposition == Transition && len(c.FSMEvents) == 0 {
						t.Errorf("(%s, %s): transition without fsm events", s, e)
					}
				}
				for _, mv := range es.moves {
					for _, s := range append(slices.Clone(mv.src), mv.dst) {
						if !slices.Contains(States(k), s) {
							t.Errorf("%s names state %s, not a %s state", mv.name, s, k)
						}
					}
				}
			}
		})
	}
}

func TestWaitingAndTerminalStatesBelongToTheirKind(t *testing.T) {
	for _, k := range Kinds {
		for _, s := range append(WaitingStates(k), terminal[k]...) {
			if !slices.Contains(States(k), s) {
				t.Errorf("%s: %s is not one of its states", k, s)
			}
			if IsWaiting(k, s) && IsTerminal(k, s) {
				t.Errorf("%s: %s is both waiting and terminal", k, s)
			}
		}
	}
}

func TestEveryEventHasAPayloadValidator(t *testing.T) {
	for _, k := range Kinds {
		for _, e := range Events(k) {
			if _, ok := payloadValidators[e]; !ok {
				t.Errorf("%s has no payload validator", e)
			}
			if got := e.Kind(); got != k {
				t.Errorf("%s.Kind() = %q, want %q", e, got, k)
			}
		}
	}
}
