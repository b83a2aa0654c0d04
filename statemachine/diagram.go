package statemachine

import (
	"fmt"

	"github.com/looplab/fsm"
)

// Diagram renders the state diagram of kind k, as looplab/fsm draws it, in
// format "mermaid" (a stateDiagram-v2) or "dot" (Graphviz). It returns an
// error for another format.
func Diagram(k Kind, format string) (string, error) {
	m := NewFSM(k, StateNone)
	switch format {
	case "mermaid":
		return fsm.VisualizeForMermaidWithGraphType(m, fsm.StateDiagram)
	case "dot":
		return fsm.Visualize(m), nil
	}
	return "", fmt.Errorf("unknown diagram format %q (want mermaid or dot)", format)
}
