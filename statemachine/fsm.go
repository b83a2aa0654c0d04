package statemachine

import (
	"fmt"

	"github.com/looplab/fsm"
)

// NewFSM returns a fresh state machine of kind k on flow f (the zero flow is
// v1) standing in state s. Every message gets its own: an fsm is never
// shared between messages. It returns an error for a flow this build does
// not know.
func NewFSM(f Flow, k Kind, s State) (*fsm.FSM, error) {
	t := tableOf(f, k)
	if t == nil {
		return nil, fmt.Errorf("no %s table on flow %s", k, f.OrV1())
	}
	return fsm.NewFSM(string(s), t.fsm, nil), nil
}
