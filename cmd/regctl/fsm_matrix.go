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
	Summary:  "print what every event does in every state of a record kind",
	Synopsis: "--kind brand|campaign|number|all [-o table|json]",
	Help: `
Print the disposition matrix of a record kind: one row per state, one column
per event (numbered; the legend names them), each cell a letter: T the event
transitions the record (its guard may still hold it), i it is ignored as a
duplicate or stale, D it is deferred because it arrived early, R it is
rejected and dead-lettered. The counts follow. With --kind all it prints every
kind, then a total line.

JSON output (-o json):
  matrices[]       one per kind, in registration order (brand, campaign, number)
    kind
    states[]       the rows, NONE first
    events[]       the columns
    cells[]        row-major: {state, event, disposition (transition, ignore,
                   defer or reject), fsm_events[], to[], reason}
    counts         {states, events, cells, transition, ignore, defer, reject}
  total            the counts summed over the matrices

Examples:
  regctl fsm matrix --kind campaign
  regctl fsm matrix --kind all
  regctl fsm matrix --kind number -o json | jq '.matrices[0].counts'
`,
	Setup: func(fs *flag.FlagSet, env *Env) RunFunc {
		kind := fs.String("kind", "", "print record kind `K`: brand, campaign, number or all")
		output := outputFlag(fs, formatTable, formatJSON)
		return func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return usageErrorf("unexpected arguments: %s", strings.Join(args, " "))
			}
			if err := checkOutput(*output, formatTable, formatJSON); err != nil {
				return err
			}
			kinds := statemachine.Kinds
			switch *kind {
			case "":
				return usageErrorf("--kind is required")
			case kindAll:
			default:
				k, err := statemachine.ParseKind(*kind)
				if err != nil {
					return usageErrorf("--kind: %v (or all)", err)
				}
				kinds = []statemachine.Kind{k}
			}
			var out matrices
			for _, k := range kinds {
				m, err := statemachine.MatrixOf(k)
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
