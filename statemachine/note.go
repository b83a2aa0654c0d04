package statemachine

import "slices"

// NoteMap names the map of a record a [Note] changes one entry of.
type NoteMap string

// The maps notes change.
const (
	NoteCarriers NoteMap = "carriers" // Record.Carriers, keyed by Carrier
	NoteNumbers  NoteMap = "numbers"  // Record.Numbers, keyed by number
)

// Note is a transition that stays in its state and changes one entry of the
// record's carriers or numbers and nothing else a decision reads: a carrier's
// review or approval, a number's settlement, all but the one that completes
// the map. It makes no new version, so the answers of one record that two
// replicas apply at once both go in, where versioned writes would conflict;
// each still has its audit entry (AuditEntry.Note) and joins the record's
// applied list, so that a redelivered copy is a duplicate. The answer that
// completes the map (the last carrier's approval, the last number settled)
// moves the record and is a versioned transition, and so is every answer
// that could return an entry to a value it had (a carrier's unsuspension).
//
// A store writes a note, with its audit entry, only while [Note.Holds] on
// the stored record: still the version the decision read, the event not
// applied, the entry still one the answer applies to, and unless Open is
// empty, one of the Open entries still not Done, so that a note never
// completes the map unseen. Of two answers that would each complete it the
// last one written thus fails, re-reads and completes it with a transition.
// A versioned transition in turn requires every entry of the maps it does not
// write itself to be as it read them, so that none is decided without a note
// written since; its own entries take its values over a note's.
type Note struct {
	Map NoteMap
	Key string
	// From are the values of the entry the answer applies to (the one the
	// decision read among them): a carrier's approval applies to a pending
	// carrier and to one reviewing, so a review written in between does not
	// turn it away.
	From  []string
	Value string // the entry to write
	// Open are the other entries that were not Done when read; empty when
	// the entries never complete the map (a carrier's review).
	Open []string
	Done []string
	// ID is the event's id, which the note adds to the record's applied list.
	ID string
}

// NoteEvents are the events a decision may write as a note: the others make
// a version whenever they are applied.
var NoteEvents = []EventType{CampaignCarrierReview, CampaignCarrierApproved, CampaignNumberSettled}

// Holds reports whether note n, decided on prev, may be written on cur, the
// record as stored.
func (n Note) Holds(prev, cur Record) bool {
	if cur.State != prev.State || cur.Version != prev.Version || slices.Contains(cur.Applied, n.ID) {
		return false
	}
	e := n.entries(cur)
	if !slices.Contains(n.From, e[n.Key]) {
		return false
	}
	if len(n.Open) == 0 {
		return true
	}
	for _, k := range n.Open {
		if !slices.Contains(n.Done, e[k]) {
			return true
		}
	}
	return false
}

// entries returns the map n changes, as strings.
func (n Note) entries(r Record) map[string]string {
	out := map[string]string{}
	switch n.Map {
	case NoteCarriers:
		for k, v := range r.Carriers {
			out[string(k)] = string(v)
		}
	case NoteNumbers:
		for k, v := range r.Numbers {
			out[k] = string(v)
		}
	}
	return out
}

// noteCarrier makes the decision a note that sets carrier c to s, from one
// of the statuses from. done are the statuses that complete the carriers
// (none: the answer never completes them).
func (d *decider) noteCarrier(c Carrier, s CarrierStatus, from, done []CarrierStatus) {
	n := Note{Map: NoteCarriers, Key: string(c), Value: string(s)}
	for _, st := range from {
		n.From = append(n.From, string(st))
	}
	for _, st := range done {
		n.Done = append(n.Done, string(st))
	}
	d.note = n.open(d.prev, d.env.EventID)
}

// noteNumber makes the decision a note that settles pending number num as s.
func (d *decider) noteNumber(num string, s NumberStatus) {
	n := Note{Map: NoteNumbers, Key: num, Value: string(s), From: []string{string(NumberPendingStatus)},
		Done: []string{string(NumberRegisteredStatus), string(NumberFailedStatus), string(NumberDeregisteredStatus)}}
	d.note = n.open(d.prev, d.env.EventID)
}

// open fills Open from prev, the record as read, and the event's id. It
// returns nil, for a versioned transition, when the entry as read is not one
// of From.
func (n Note) open(prev *Record, id string) *Note {
	n.ID = id
	e := n.entries(*prev)
	if !slices.Contains(n.From, e[n.Key]) {
		return nil
	}
	if len(n.Done) > 0 {
		for _, k := range sortedKeys(e) {
			if k != n.Key && !slices.Contains(n.Done, e[k]) {
				n.Open = append(n.Open, k)
			}
		}
	}
	return &n
}
