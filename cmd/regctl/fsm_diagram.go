package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	"github.com/tendlc/tendlc/statemachine"
)

var _ = register(&Command{
	Path:     "fsm diagram",
	Summary:  "draw the state diagram of a record kind",
	Synopsis: "--kind brand|campaign|number [--flow v1|v2] [--format mermaid|dot]",
	Help: `
Print the state diagram of a record kind on a flow (default v1) as
looplab/fsm draws it from the state table regd runs: a Mermaid
stateDiagram-v2, or Graphviz dot. Only
transitions appear; "regctl fsm matrix" shows what every event does in every
state.

Examples:
  regctl fsm diagram --kind campaign
  regctl fsm diagram --kind campaign --flow v2
  regctl fsm diagram --kind brand --format dot | dot -Tsvg > brand.svg
`,
	Setup: func(fs *flag.FlagSet, env *Env) RunFunc {
		kind := fs.String("kind", "", "draw record kind `K`: brand, campaign or number")
		format := fs.String("format", "mermaid", "draw as `F`: mermaid or dot")
		flowName := fs.String("flow", statemachine.FlowV1.String(), "draw the table of flow `F`: v1 or v2")
		return func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unexpected arguments: %s", strings.Join(args, " "))
			}
			if *kind == "" {
				return usageErrorf("--kind is required")
			}
			k, err := statemachine.ParseKind(*kind)
			if err != nil {
				return usageErrorf("--kind: %v", err)
			}
			if *format != "mermaid" && *format != "dot" {
				return usageErrorf("--format %q: want mermaid or dot", *format)
			}
			flow, err := statemachine.ParseFlow(*flowName)
			if err != nil {
				return usageErrorf("--flow: %v", err)
			}
			d, err := statemachine.Diagram(flow, k, *format)
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(env.Stdout, d)
			return err
		}
	},
})
