package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/tendlc/tendlc/statemachine"
)

// kindAll selects every kind where a command accepts it.
const kindAll = "all"

var _ = register(&Command{
	Path:     "fsm matrix",
	Summary:  "print what every event does in every state of a record kind, or what a flow changes",
	Synopsis: "--kind brand|campaign|number|all [--flow v1|v2] [-o table|json] | [--kind K] --diff FROM TO",
	Help: `
Print the disposition matrix of a record kind on a flow (default v1): one row
per state, one column per event (numbered; the legend names them), each cell a
letter: T the event transitions the record (its guard may still hold it), i it
is ignored as a duplicate or stale, D it is deferred because it arrived early,
R it is rejected and dead-lettered. The counts follow. With --kind all it
prints every kind, then a total line.

With --diff FROM TO (two flows, as arguments) it prints instead what the
change from flow FROM to flow TO does to each kind's matrix (--kind: default
all): the states and events it adds or removes, every cell it adds or whose
decision it changes, and the counts (cells added and changed, by their new
disposition; touched: added plus changed), then a total line. A kind whose
table both flows share has nothing to show.

JSON output (-o json):
  matrices[]       one per kind, in registration order (brand, campaign, number)
    kind
    states[]       the rows, NONE first
    events[]       the columns
    cells[]        row-major: {state, event, disposition (transition, ignore,
                   defer or reject), fsm_events[], to[], reason}
    counts         {states, events, cells, transition, ignore, defer, reject}
  total            the counts summed over the matrices

JSON output of --diff (-o json):
  from, to         the flows, by number (1 for v1)
  kinds[]          one per kind: {kind, from, to, added_states[],
                   removed_states[], added_events[], removed_events[],
                   cells[] {change (added or changed), was (the older cell),
                   cell, cause (what differs)}, counts}
    counts         {added_states, removed_states, added_events,
                   removed_events, added_cells, changed_cells, touched}; the
                   cell counts are {total, transition, ignore, defer, reject}
  total            the counts summed over the kinds

Examples:
  regctl fsm matrix --kind campaign
  regctl fsm matrix --kind campaign --flow v2
  regctl fsm matrix --kind all
  regctl fsm matrix --kind number -o json | jq '.matrices[0].counts'
  regctl fsm matrix --diff v1 v2
  regctl fsm matrix -o json --diff v1 v2 | jq '.total.touched'
`,
	Setup: func(fs *flag.FlagSet, env *Env) RunFunc {
		kind := fs.String("kind", "", "print record kind `K`: brand, campaign, number or all")
		flowName := fs.String("flow", statemachine.FlowV1.String(), "print the matrix of flow `F`: v1 or v2")
		diff := fs.Bool("diff", false, "print what the change from flow FROM to flow TO (the two arguments) does to the matrices")
		output := outputFlag(fs, formatTable, formatJSON)
		return func(ctx context.Context, args []string) error {
			if err := checkOutput(*output, formatTable, formatJSON); err != nil {
				return err
			}
			if *diff {
				return printFlowDiff(env, args, *kind, *flowName, *output)
			}
			if len(args) > 0 {
				return usageErrorf("unexpected arguments: %s", strings.Join(args, " "))
			}
			if *kind == "" {
				return usageErrorf("--kind is required")
			}
			kinds, err := parseKinds(*kind)
			if err != nil {
				return err
			}
			flow, err := statemachine.ParseFlow(*flowName)
			if err != nil {
				return usageErrorf("--flow: %v", err)
			}
			var out matrices
			for _, k := range kinds {
				m, err := statemachine.MatrixOf(flow, k)
				if err != nil {
					return err
				}
				out.Matrices = append(out.Matrices, m)
				out.Total = addCounts(out.Total, m.Counts)
			}
			if *output == formatJSON {
				return printJSON(env.Stdout, out)
			}
			return out.writeTable(env.Stdout)
		}
	},
})

// parseKinds reads --kind: one kind, or all.
func parseKinds(kind string) ([]statemachine.Kind, error) {
	if kind == kindAll {
		return statemachine.Kinds, nil
	}
	k, err := statemachine.ParseKind(kind)
	if err != nil {
		return nil, usageErrorf("--kind: %v (or all)", err)
	}
	return []statemachine.Kind{k}, nil
}

// matrices is the output of fsm matrix.
type matrices struct {
	Matrices []statemachine.Matrix `json:"matrices"`
	Total    statemachine.Counts   `json:"total"`
}

func addCounts(a, b statemachine.Counts) statemachine.Counts {
	return statemachine.Counts{
		States: a.States + b.States, Events: a.Events + b.Events, Cells: a.Cells + b.Cells,
		Transition: a.Transition + b.Transition, Ignore: a.Ignore + b.Ignore, Defer: a.Defer + b.Defer, Reject: a.Reject + b.Reject,
	}
}

// writeTable prints each matrix, and after several the total.
func (ms matrices) writeTable(w io.Writer) error {
	for i, m := range ms.Matrices {
		if i > 0 {
			fmt.Fprintln(w)
		}
		if err := m.WriteTable(w); err != nil {
			return err
		}
	}
	if len(ms.Matrices) < 2 {
		return nil
	}
	t := ms.Total
	_, err := fmt.Fprintf(w, "\ntotal: %d kinds, %d states, %d events, %d cells: T transition %d, i ignore %d, D defer %d, R reject %d\n",
		len(ms.Matrices), t.States, t.Events, t.Cells, t.Transition, t.Ignore, t.Defer, t.Reject)
	return err
}
