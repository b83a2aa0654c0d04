package statemachine

import (
	"iter"
	"maps"
	"slices"
	"testing"
)

// TestTableIsTotal proves that every (state, event) pair of every kind resolves
// to exactly one disposition, and that the transition cells are exactly the
// pairs the looplab/fsm table can fire.
func TestTableIsTotal(t *testing.T) {
	for f, k := range flowKinds() {
		t.Run(f.String()+"/"+string(k), func(t *testing.T) {
			tb := tableOf(f, k)
			spec := tb.spec
			if got, want := slices.Sorted(maps.Keys(spec)), slices.Sorted(slices.Values(tb.events)); !slices.Equal(got, want) {
				t.Fatalf("spec events %v, want the kind's events %v", got, want)
			}
			for _, e := range tb.events {
				es := spec[e]
				if es.class == 0 {
					t.Errorf("%s: no class", e)
				}
				if len(es.moves) > 0 && es.guard == nil {
					t.Errorf("%s: moves without a guard", e)
				}
				for _, s := range tb.states {
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

					c, err := CellFor(f, k, s, e)
					if err != nil {
						t.Fatal(err)
					}
					m, err := NewFSM(f, k, s)
					if err != nil {
						t.Fatal(err)
					}
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
						if !slices.Contains(tb.states, s) {
							t.Errorf("%s names state %s, not a %s state", mv.name, s, k)
						}
					}
				}
			}
		})
	}
}

// flowKinds yields every (flow, kind) pair.
func flowKinds() iter.Seq2[Flow, Kind] {
	return func(yield func(Flow, Kind) bool) {
		for _, f := range Flows {
			for _, k := range Kinds {
				if !yield(f, k) {
					return
				}
			}
		}
	}
}

// Every state of every flow's table is a state of its kind, and the newest
// flow's rows and columns hold every older flow's.
func TestNewestFlowHoldsEveryRowAndColumn(t *testing.T) {
	for f, k := range flowKinds() {
		tb := tableOf(f, k)
		for _, s := range tb.states {
			if !slices.Contains(States(k), s) {
				t.Errorf("%s %s: state %s is not in States", f, k, s)
			}
		}
		for _, e := range tb.events {
			if !slices.Contains(Events(k), e) {
				t.Errorf("%s %s: event %s is not in Events", f, k, e)
			}
		}
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
