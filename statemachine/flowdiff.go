package statemachine

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// KindDiff is what a change of flow does to the matrix of one kind: the rows
// and columns it adds or removes, and every cell of the newer matrix that is
// new (in an added row or column) or decides otherwise than before.
type KindDiff struct {
	Kind          Kind        `json:"kind"`
	From          Flow        `json:"from"`
	To            Flow        `json:"to"`
	AddedStates   []State     `json:"added_states"`
	RemovedStates []State     `json:"removed_states"`
	AddedEvents   []EventType `json:"added_events"`
	RemovedEvents []EventType `json:"removed_events"`
	// Cells are the added and changed cells, row-major in the newer
	// matrix's order.
	Cells  []CellChange `json:"cells"`
	Counts DiffCounts   `json:"counts"`
}

// CellChange is one cell a change of flow added or changed.
type CellChange struct {
	Change string `json:"change"`          // "added" or "changed"
	Was    *Cell  `json:"was,omitempty"`   // the older flow's cell; nil when added
	Cell   Cell   `json:"cell"`            // the newer flow's
	Cause  string `json:"cause,omitempty"` // for a changed cell: what differs (disposition, to, fsm_events, reason)
}

// The values of CellChange.Change.
const (
	CellAdded   = "added"
	CellChanged = "changed"
)

// DiffCounts summarises a KindDiff: the size of the change in matrix terms.
type DiffCounts struct {
	AddedStates   int `json:"added_states"` // rows
	RemovedStates int `json:"removed_states"`
	AddedEvents   int `json:"added_events"` // columns
	RemovedEvents int `json:"removed_events"`
	// AddedCells counts the cells of the added rows and columns, and
	// ChangedCells the cells of both matrices that decide otherwise, each
	// by the newer disposition.
	AddedCells   DispositionCounts `json:"added_cells"`
	ChangedCells DispositionCounts `json:"changed_cells"`
	// Touched is AddedCells.Total + ChangedCells.Total: the decisions the
	// change needed.
	Touched int `json:"touched"`
}

// DispositionCounts counts cells by disposition.
type DispositionCounts struct {
	Total      int `json:"total"`
	Transition int `json:"transition"`
	Ignore     int `json:"ignore"`
	Defer      int `json:"defer"`
	Reject     int `json:"reject"`
}

// Add returns the sum of c and o, for totals over kinds.
func (c DiffCounts) Add(o DiffCounts) DiffCounts {
	return DiffCounts{
		AddedStates: c.AddedStates + o.AddedStates, RemovedStates: c.RemovedStates + o.RemovedStates,
		AddedEvents: c.AddedEvents + o.AddedEvents, RemovedEvents: c.RemovedEvents + o.RemovedEvents,
		AddedCells: c.AddedCells.plus(o.AddedCells), ChangedCells: c.ChangedCells.plus(o.ChangedCells),
		Touched: c.Touched + o.Touched,
	}
}

func (c DispositionCounts) plus(o DispositionCounts) DispositionCounts {
	return DispositionCounts{Total: c.Total + o.Total, Transition: c.Transition + o.Transition,
		Ignore: c.Ignore + o.Ignore, Defer: c.Defer + o.Defer, Reject: c.Reject + o.Reject}
}

func (c *DispositionCounts) add(d Disposition) {
	c.Total++
	switch d {
	case Transition:
		c.Transition++
	case Ignore:
		c.Ignore++
	case Defer:
		c.Defer++
	case Reject:
		c.Reject++
	}
}

// DiffFlows compares the matrices of every kind on flows from and to, in
// kind order: a kind whose table the two flows share has an empty diff. It
// returns an error for a flow this build does not know.
func DiffFlows(from, to Flow) ([]KindDiff, error) {
	var out []KindDiff
	for _, k := range Kinds {
		a, err := MatrixOf(from, k)
		if err != nil {
			return nil, err
		}
		b, err := MatrixOf(to, k)
		if err != nil {
			return nil, err
		}
		out = append(out, diffMatrices(from.OrV1(), to.OrV1(), a, b))
	}
	return out, nil
}

func diffMatrices(from, to Flow, a, b Matrix) KindDiff {
	d := KindDiff{Kind: a.Kind, From: from, To: to,
		AddedStates: missing(b.States, a.States), RemovedStates: missing(a.States, b.States),
		AddedEvents: missing(b.Events, a.Events), RemovedEvents: missing(a.Events, b.Events),
		Cells: []CellChange{}}
	was := map[[2]string]Cell{}
	for _, c := range a.Cells {
		was[[2]string{string(c.State), string(c.Event)}] = c
	}
	for _, c := range b.Cells {
		old, ok := was[[2]string{string(c.State), string(c.Event)}]
		switch {
		case !ok:
			d.Cells = append(d.Cells, CellChange{Change: CellAdded, Cell: c})
			d.Counts.AddedCells.add(c.Disposition)
		case cellCause(old, c) != "":
			d.Cells = append(d.Cells, CellChange{Change: CellChanged, Was: &old, Cell: c, Cause: cellCause(old, c)})
			d.Counts.ChangedCells.add(c.Disposition)
		}
	}
	d.Counts.AddedStates, d.Counts.RemovedStates = len(d.AddedStates), len(d.RemovedStates)
	d.Counts.AddedEvents, d.Counts.RemovedEvents = len(d.AddedEvents), len(d.RemovedEvents)
	d.Counts.Touched = d.Counts.AddedCells.Total + d.Counts.ChangedCells.Total
	return d
}

// cellCause names what differs between two cells of one (state, event), or
// returns "" when they decide alike.
func cellCause(a, b Cell) string {
	var parts []string
	if a.Disposition != b.Disposition {
		parts = append(parts, "disposition")
	}
	if !slices.Equal(a.To, b.To) {
		parts = append(parts, "to")
	}
	if !slices.Equal(a.FSMEvents, b.FSMEvents) {
		parts = append(parts, "fsm_events")
	}
	if a.Reason != b.Reason {
		parts = append(parts, "reason")
	}
	return strings.Join(parts, ",")
}

// missing returns the elements of a that b lacks, in a's order.
func missing[T comparable](a, b []T) []T {
	out := []T{}
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// WriteText writes the diff: a summary line, then one line per added or
// changed cell.
func (d KindDiff) WriteText(w io.Writer) error {
	var b strings.Builder
	c := d.Counts
	fmt.Fprintf(&b, "%s %s -> %s: %d cells touched: +%d states, +%d events, %d cells added (%s), %d changed (%s)",
		d.Kind, d.From, d.To, c.Touched, c.AddedStates, c.AddedEvents, c.AddedCells.Total, c.AddedCells,
		c.ChangedCells.Total, c.ChangedCells)
	if c.RemovedStates+c.RemovedEvents > 0 {
		fmt.Fprintf(&b, ", -%d states, -%d events", c.RemovedStates, c.RemovedEvents)
	}
	b.WriteString("\n")
	for _, s := range d.AddedStates {
		fmt.Fprintf(&b, "  + state %s\n", s)
	}
	for _, e := range d.AddedEvents {
		fmt.Fprintf(&b, "  + event %s\n", e)
	}
	for _, s := range d.RemovedStates {
		fmt.Fprintf(&b, "  - state %s\n", s)
	}
	for _, e := range d.RemovedEvents {
		fmt.Fprintf(&b, "  - event %s\n", e)
	}
	for _, ch := range d.Cells {
		if ch.Change == CellAdded {
			fmt.Fprintf(&b, "  added   %-16s %-29s %s\n", ch.Cell.State, ch.Cell.Event, describe(ch.Cell))
			continue
		}
		fmt.Fprintf(&b, "  changed %-16s %-29s %s (was %s)\n", ch.Cell.State, ch.Cell.Event, describe(ch.Cell), describe(*ch.Was))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// String writes the counts by disposition: "T 5, i 3, D 2, R 0".
func (c DispositionCounts) String() string {
	return fmt.Sprintf("T %d, i %d, D %d, R %d", c.Transition, c.Ignore, c.Defer, c.Reject)
}

// describe writes a cell's decision: "transition -> EVIDENCE_REVIEW", or the
// disposition and its reason.
func describe(c Cell) string {
	if c.Disposition == Transition {
		to := make([]string, len(c.To))
		for i, s := range c.To {
			to[i] = string(s)
		}
		return "transition -> " + strings.Join(to, "|")
	}
	return c.Disposition.String() + " (" + c.Reason + ")"
}
