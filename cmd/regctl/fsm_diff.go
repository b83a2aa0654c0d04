package main

import (
	"fmt"
	"strings"

	"github.com/tendlc/tendlc/statemachine"
)

// flowDiff is the output of fsm matrix --diff.
type flowDiff struct {
	From  statemachine.Flow       `json:"from"`
	To    statemachine.Flow       `json:"to"`
	Kinds []statemachine.KindDiff `json:"kinds"`
	Total statemachine.DiffCounts `json:"total"`
}

// printFlowDiff prints what the change between the two flows of args does to
// the matrices of kind (default all).
func printFlowDiff(env *Env, args []string, kind, flowName, output string) error {
	if len(args) != 2 {
		return usageErrorf("--diff takes two flows, FROM and TO (for example --diff v1 v2), not %d arguments", len(args))
	}
	if flowName != statemachine.FlowV1.String() {
		return usageErrorf("--flow and --diff do not go together")
	}
	var flows [2]statemachine.Flow
	for i, a := range args {
		f, err := statemachine.ParseFlow(a)
		if err != nil {
			return usageErrorf("--diff: %v", err)
		}
		flows[i] = f
	}
	if kind == "" {
		kind = kindAll
	}
	kinds, err := parseKinds(kind)
	if err != nil {
		return err
	}
	all, err := statemachine.DiffFlows(flows[0], flows[1])
	if err != nil {
		return err
	}
	out := flowDiff{From: flows[0], To: flows[1], Kinds: []statemachine.KindDiff{}}
	for _, d := range all {
		for _, k := range kinds {
			if d.Kind == k {
				out.Kinds = append(out.Kinds, d)
				out.Total = out.Total.Add(d.Counts)
			}
		}
	}
	if output == formatJSON {
		return printJSON(env.Stdout, out)
	}
	var b strings.Builder
	for _, d := range out.Kinds {
		if err := d.WriteText(&b); err != nil {
			return err
		}
	}
	t := out.Total
	fmt.Fprintf(&b, "\ntotal %s -> %s: %d kinds, %d cells touched: +%d states, +%d events, %d cells added (%s), %d changed (%s)\n",
		out.From, out.To, len(out.Kinds), t.Touched, t.AddedStates, t.AddedEvents, t.AddedCells.Total, t.AddedCells,
		t.ChangedCells.Total, t.ChangedCells)
	_, err = fmt.Fprint(env.Stdout, b.String())
	return err
}
