package statemachine

import (
	"cmp"
	"slices"

	"github.com/looplab/fsm"
)

// fsmEvents returns the looplab/fsm event table of a kind, sorted by name so
// that diagrams are stable.
func fsmEvents(k Kind) fsm.Events {
	var evs fsm.Events
	for _, spec := range specs[k] {
		for _, m := range spec.moves {
			src := make([]string, len(m.src))
			for i, s := range m.src {
				src[i] = string(s)
			}
			evs = append(evs, fsm.EventDesc{Name: m.name, Src: src, Dst: string(m.dst)})
		}
	}
	slices.SortFunc(evs, func(a, b fsm.EventDesc) int { return cmp.Compare(a.Name, b.Name) })
	return evs
}

var fsmTables = func() map[Kind]fsm.Events {
	t := map[Kind]fsm.Events{}
	for _, k := range Kinds {
		t[k] = fsmEvents(k)
	}
	return t
}()

// NewFSM returns a fresh state machine of kind k standing in state s. Every
// message gets its own: an fsm is never shared between messages.
func NewFSM(k Kind, s State) *fsm.FSM {
	return fsm.NewFSM(string(s), fsmTables[k], nil)
}
