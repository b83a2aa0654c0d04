package statemachine

import (
	"fmt"

	"github.com/looplab/fsm"
)

// Diagram renders the state diagram of kind k on flow f (the zero flow is
// v1), as looplab/fsm draws it, in format "mermaid" (a stateDiagram-v2) or
// "dot" (Graphviz). It returns an error for another format or an unknown
// flow.
func Diagram(f Flow, k Kind, format string) (string, error) {
	m, err := NewFSM(f, k, StateNone)
	if err != nil {
		return "", err
	}
	switch format {
	case "mermaid":
		return fsm.VisualizeForMermaidWithGraphType(m, fsm.StateDiagram)
	case "dot":
		return fsm.Visualize(m), nil
	}
	return "", fmt.Errorf("unknown diagram format %q (want mermaid or dot)", format)
}
