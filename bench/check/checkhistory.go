package check

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tendlc/tendlc/statemachine"
)

// checkHistory proves that every record's audit is a legal path through its
// kind's fsm table: it starts from NONE, each entry leaves the state the one
// before it entered, versions increase, each entry's event is a transition
// in its source state (statemachine.CellFor) whose table has a move to the
// entry's destination, no message id is applied twice, and the path ends in
// the record's state, with the record's last applied message.
//
// Versions may skip: RecordRedrive writes the record, bumping its version,
// without an audit item. A note (statemachine.Note) stays on the version
// before it; the notes of one version commute, so the record's last applied
// message is any of the notes written on its last audit item's version.
func (c *checker) checkHistory() {
	for _, k := range c.keys() {
		c.checked[ruleHistory]++
		rec, as := c.records[k], c.audits[k]
		switch {
		case rec == nil:
			c.violate(ruleHistory, k, -1, "%d audit items of a record that does not exist", len(as))
			continue
		case len(as) == 0:
			c.violate(ruleHistory, k, -1, "the record has no audit item: it was written without a transition")
			continue
		}
		first := map[string]int64{} // message id -> the version that applied it
		for i, a := range as {
			if p := entryProblem(rec.Flow, k.kind, as, i, first); p != "" {
				c.violate(ruleHistory, k, i, "v%d: %s", a.Version, p)
			}
			if a.MessageID != "" {
				if _, ok := first[a.MessageID]; !ok {
					first[a.MessageID] = a.Version
				}
			}
		}
		last := as[len(as)-1]
		if last.To != rec.State {
			c.violate(ruleHistory, k, len(as)-1, "the record is in %s, but its audit ends in %s", rec.State, last.To)
		}
		if rec.Version < last.Version {
			c.violate(ruleHistory, k, len(as)-1, "the record's version %d is below its last audit item's, %d", rec.Version, last.Version)
		}
		if !slices.Contains(lastApplied(as), rec.LastMessageID) {
			c.violate(ruleHistory, k, len(as)-1, "the record's last applied message %s is not its last audit item's, %s",
				short(rec.LastMessageID), short(last.MessageID))
		}
		for _, id := range rec.Applied {
			if !c.applied[k][id] {
				c.violate(ruleHistory, k, -1, "the record lists message %s as applied, but no audit item applied it", short(id))
			}
		}
	}
}

// lastApplied returns the message ids a record's last applied message may
// be, given its audit as: the notes of the last entry's version after the
// last versioned entry (two replicas may write them in either order), or
// that entry's.
func lastApplied(as []statemachine.AuditEntry) []string {
	var ids []string
	last := as[len(as)-1]
	for i := len(as) - 1; i >= 0 && as[i].Note && as[i].Version == last.Version; i-- {
		ids = append(ids, as[i].MessageID)
	}
	if len(ids) == 0 {
		ids = append(ids, as[len(as)-1].MessageID)
	}
	return ids
}

// entryProblem returns what is wrong with entry i of the audit as of a
// record on flow, or "". first maps the message ids of the entries before i
// to their versions.
func entryProblem(flow statemachine.Flow, kind statemachine.Kind, as []statemachine.AuditEntry, i int, first map[string]int64) string {
	a := as[i]
	var problems []string
	switch {
	case i == 0 && a.From != statemachine.StateNone:
		problems = append(problems, fmt.Sprintf("the first audit item starts from %s, not %s", a.From, statemachine.StateNone))
	case i > 0 && a.From != as[i-1].To:
		problems = append(problems, fmt.Sprintf("broken chain: it leaves %s, but the item before (v%d) entered %s", a.From, as[i-1].Version, as[i-1].To))
	}
	switch {
	case i > 0 && !a.Note && a.Version <= as[i-1].Version:
		problems = append(problems, fmt.Sprintf("version %d does not increase on v%d", a.Version, as[i-1].Version))
	case i == 0 && a.Note:
		problems = append(problems, "a note creates the record")
	}
	if a.Note && a.From != a.To {
		problems = append(problems, fmt.Sprintf("a note moves the record from %s to %s", a.From, a.To))
	}
	if a.Note && !slices.Contains(statemachine.NoteEvents, a.Event) {
		problems = append(problems, fmt.Sprintf("%s written as a note: it makes a version", a.Event))
	}
	if i == 0 && a.Version < 1 {
		problems = append(problems, fmt.Sprintf("version %d: a record's first write is version 1", a.Version))
	}
	switch cell, err := statemachine.CellFor(flow, kind, a.From, a.Event); {
	case err != nil:
		problems = append(problems, err.Error())
	case cell.Disposition != statemachine.Transition:
		problems = append(problems, fmt.Sprintf("%s is not a transition in %s (the matrix says %s: %s)", a.Event, a.From, cell.Disposition, cell.Reason))
	case !slices.Contains(cell.To, a.To):
		problems = append(problems, fmt.Sprintf("the %s table has no move of %s from %s to %s (it goes to %v)", kind, a.Event, a.From, a.To, cell.To))
	}
	switch v, dup := first[a.MessageID]; {
	case a.MessageID == "":
		problems = append(problems, "no message id: a duplicate of it could not be recognised")
	case dup:
		problems = append(problems, fmt.Sprintf("message %s applied twice: first by v%d", short(a.MessageID), v))
	}
	return strings.Join(problems, "; ")
}
