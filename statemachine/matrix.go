package statemachine

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Matrix is the disposition of every (state, event) pair of a kind.
type Matrix struct {
	Kind   Kind        `json:"kind"`
	States []State     `json:"states"`
	Events []EventType `json:"events"`
	Cells  []Cell      `json:"cells"` // row-major: States x Events
	Counts Counts      `json:"counts"`
}

// Counts summarises a matrix: the number of decisions the architecture needs.
type Counts struct {
	States     int `json:"states"`
	Events     int `json:"events"`
	Cells      int `json:"cells"`
	Transition int `json:"transition"`
	Ignore     int `json:"ignore"`
	Defer      int `json:"defer"`
	Reject     int `json:"reject"`
}

// MatrixOf builds the matrix of kind k from its table on flow f (the zero
// flow is v1). It returns an error for an unknown flow.
func MatrixOf(f Flow, k Kind) (Matrix, error) {
	t := tableOf(f, k)
	if t == nil {
		return Matrix{}, fmt.Errorf("no %s table on flow %s", k, f.OrV1())
	}
	m := Matrix{Kind: k, States: t.states, Events: t.events}
	for _, s := range m.States {
		for _, e := range m.Events {
			c, err := CellFor(f, k, s, e)
			if err != nil {
				return Matrix{}, err
			}
			m.Cells = append(m.Cells, c)
			switch c.Disposition {
			case Transition:
				m.Counts.Transition++
			case Ignore:
				m.Counts.Ignore++
			case Defer:
				m.Counts.Defer++
			case Reject:
				m.Counts.Reject++
			}
		}
	}
	m.Counts.States, m.Counts.Events, m.Counts.Cells = len(m.States), len(m.Events), len(m.Cells)
	return m, nil
}

// MarshalJSON writes the disposition by name.
func (c Cell) MarshalJSON() ([]byte, error) {
	type plain Cell
	return json.Marshal(struct {
		plain
		Disposition string `json:"disposition"`
	}{plain(c), c.Disposition.String()})
}

// WriteTable writes the matrix as an aligned grid, one row per state and one
// column per event (numbered; the legend names them), each cell a letter:
// T transition, i ignore, D defer, R reject. The counts follow.
func (m Matrix) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d states x %d events = %d cells\n\n", m.Kind, m.Counts.States, m.Counts.Events, m.Counts.Cells)
	tw := tabwriter.NewWriter(&b, 0, 0, 1, ' ', 0)
	fmt.Fprint(tw, "state\t")
	for i := range m.Events {
		fmt.Fprintf(tw, "%d\t", i+1)
	}
	fmt.Fprintln(tw)
	for r, s := range m.States {
		fmt.Fprintf(tw, "%s\t", s)
		for c := range m.Events {
			fmt.Fprintf(tw, "%s\t", letter(m.Cells[r*len(m.Events)+c].Disposition))
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	b.WriteString("\nevents:\n")
	for i, e := range m.Events {
		fmt.Fprintf(&b, "%3d %s\n", i+1, e)
	}
	fmt.Fprintf(&b, "\nT transition %d, i ignore %d, D defer %d, R reject %d\n",
		m.Counts.Transition, m.Counts.Ignore, m.Counts.Defer, m.Counts.Reject)
	_, err := io.WriteString(w, b.String())
	return err
}

func letter(d Disposition) string {
	switch d {
	case Transition:
		return "T"
	case Ignore:
		return "i"
	case Defer:
		return "D"
	case Reject:
		return "R"
	}
	return "?"
}
