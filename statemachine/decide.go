package statemachine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/looplab/fsm"
)

// Actor is the actor name this system writes on the messages it emits itself.
const Actor = "regd"

// Decide applies event env to record rec (nil when the record does not exist)
// and returns the decision: the disposition, and for a transition the record
// to write, its audit entry and the messages to send after the write.
//
// A record is decided on the flow it started on (Record.Flow); a new record
// starts on the replica's flow (Facts.Flow). A replica defers, as
// [ReasonNewerFlow] with [Decision.NewerFlow] set, a record of a newer flow
// whose table of the kind differs from its own, and an event its own flow
// does not have: a replica that runs the newer flow decides them.
//
// It is pure: no I/O, and the same inputs give the same decision. It returns
// an error wrapping ErrUnknownEvent for a type that is not an event of a
// record kind on any flow, ErrMalformed for a payload that does not decode,
// and an error when rec is of another kind or id than the event. An event
// whose follow-ups SQS would refuse is a Reject decision with
// [ReasonUnsendable], not an error.
func Decide(rec *Record, env Envelope, facts Facts, now time.Time) (Decision, error) {
	k := env.Type.Kind()
	if k == "" || !slices.Contains(Events(k), env.Type) {
		return Decision{}, fmt.Errorf("%w: %q is not an event of a record kind", ErrUnknownEvent, env.Type)
	}
	replica := facts.Flow.OrV1()
	flow, state := replica, StateNone
	if rec != nil {
		if rec.Kind != k || rec.ID != env.EntityID {
			return Decision{}, fmt.Errorf("event %s for %s %s applied to %s %s", env.Type, k, env.EntityID, rec.Kind, rec.ID)
		}
		flow, state = rec.Flow.OrV1(), rec.State
		if slices.Contains(rec.Applied, env.EventID) {
			return Decision{Disposition: Ignore, Reason: "duplicate", From: state, To: state}, nil
		}
	}
	own := tableOf(replica, k)
	if own == nil {
		return Decision{}, fmt.Errorf("the replica's flow %s is unknown", replica)
	}
	_, known := own.spec[env.Type]
	if !known || (rec != nil && !replica.Decides(*rec)) {
		return Decision{Disposition: Defer, Reason: ReasonNewerFlow, NewerFlow: true, From: state, To: state}, nil
	}
	t := tableOf(flow, k)
	if _, ok := t.spec[env.Type]; !ok {
		return Decision{Disposition: Ignore, Reason: ReasonOtherFlow, From: state, To: state}, nil
	}
	cell, err := CellFor(flow, k, state, env.Type)
	if err != nil {
		return Decision{}, err
	}
	if cell.Disposition != Transition {
		dec := Decision{Disposition: cell.Disposition, Reason: cell.Reason, From: state, To: state}
		if cell.Disposition == Ignore && rec != nil && slices.Contains(registrations, env.Type) {
			// A registration repeated with another payload: ignored, but the
			// producer's change must not vanish without a trace.
			dec.Differs = differingFields(rec.Data, env.Payload)
		}
		return dec, nil
	}

	d := newDecider(k, flow, rec, env, facts, now)
	name, v := t.spec[env.Type].guard(d)
	if d.err != nil {
		return Decision{}, fmt.Errorf("%w: payload of %s: %v", ErrMalformed, env.Type, d.err)
	}
	if v != nil {
		return Decision{Disposition: v.disposition, Reason: v.reason, Code: v.code, From: state, To: state}, nil
	}
	m, err := NewFSM(flow, k, state)
	if err != nil {
		return Decision{}, err
	}
	if err := m.Event(context.Background(), name); err != nil && !errors.As(err, new(fsm.NoTransitionError)) {
		// The guard chose a move the table does not have from this state: a
		// bug in the table, caught by the totality test.
		return Decision{}, fmt.Errorf("fsm %s: event %s in %s: %w", k, name, state, err)
	}
	to := State(m.Current())
	if err := sendable(d.emit); err != nil {
		// Written, the transition would leave follow-ups that no send can
		// deliver: turn the event away instead, the record untouched.
		return Decision{Disposition: Reject, Reason: ReasonUnsendable, Detail: err.Error(), From: state, To: state}, nil
	}
	return d.finish(name, state, to), nil
}

// sendable checks that SQS takes every message in out: each encodes within
// [MaxBodyBytes]. It returns the problems joined, each naming its message.
func sendable(out []Outgoing) error {
	var errs []error
	for _, o := range out {
		if _, err := o.Envelope.Encode(); err != nil {
			errs = append(errs, fmt.Errorf("%s %s to %s: %w", o.Envelope.Type, o.Envelope.EventID, o.To, err))
		}
	}
	return errors.Join(errs...)
}

// decider carries one decision under construction.
type decider struct {
	kind  Kind
	prev  *Record
	env   Envelope
	facts Facts
	now   time.Time
	next  Record
	emit  []Outgoing
	err   error // first payload decode error
	// reasonSet says this event set the record's reason (for the audit entry).
	reasonSet bool
	// note, when set, writes the decision as a Note.
	note *Note
}

// newDecider starts the decision of env on rec, a record on flow (the
// replica's, for a new record).
func newDecider(k Kind, flow Flow, rec *Record, env Envelope, facts Facts, now time.Time) *decider {
	d := &decider{kind: k, prev: rec, env: env, facts: facts, now: now}
	if rec == nil {
		d.next = Record{Kind: k, ID: env.EntityID, CreatedAt: now, CorrelationID: env.CorrelationID}
		if flow > FlowV1 {
			d.next.Flow = flow // v1 stays the zero flow, as records were written before flows
		}
	} else {
		d.next = *rec
		d.next.Applied = slices.Clone(rec.Applied)
		d.next.Outbox = maps.Clone(rec.Outbox)
		d.next.Carriers = maps.Clone(rec.Carriers)
		d.next.Numbers = maps.Clone(rec.Numbers)
		d.next.Commands = maps.Clone(rec.Commands)
	}
	return d
}

// payload decodes the event payload into v, remembering the first error.
func payload[T any](d *decider) T {
	v, err := DecodePayload[T](d.env.Payload)
	if err != nil && d.err == nil {
		d.err = err
	}
	return v
}

// send emits a message to be sent after the write. Its event id derives from
// the causing event, its type, entity and position, so a re-send is the same
// message and a downstream's idempotency key stays stable.
func (d *decider) send(to Destination, t EventType, entity string, p any) {
	body := encode(d, p)
	sum := sha256.Sum256([]byte(d.env.EventID + "|" + strconv.Itoa(len(d.emit)) + "|" + string(t) + "|" + entity))
	id := hex.EncodeToString(sum[:16])
	if to != ToEvents {
		d.next.Commands = setCommand(d.next.Commands, to, CommandRef{EventID: id, SentAt: d.now})
	}
	d.emit = append(d.emit, Outgoing{To: to, Envelope: Envelope{
		Type:          t,
		SchemaVersion: SchemaVersion,
		EventID:       id,
		EntityID:      entity,
		OccurredAt:    d.now,
		CorrelationID: d.next.CorrelationID,
		Actor:         Actor,
		Payload:       body,
	}})
}

// setCommand returns cmds with ref as the command to downstream to.
func setCommand(cmds map[Destination]CommandRef, to Destination, ref CommandRef) map[Destination]CommandRef {
	if cmds == nil {
		cmds = map[Destination]CommandRef{}
	}
	cmds[to] = ref
	return cmds
}

// setReason records why the record is rejected, suspended or failed.
func (d *decider) setReason(r Reason) {
	d.next.Reason = &r
	d.reasonSet = true
}

func (d *decider) finish(name string, from, to State) Decision {
	n := &d.next
	if d.prev == nil || from != to {
		n.StateEnteredAt = d.now
		n.WaitSince = d.now
		n.Redrives, n.Checks = 0, 0
	}
	n.State = to
	n.UpdatedAt = d.now
	n.LastMessageID = d.env.EventID
	n.Applied = append(n.Applied, d.env.EventID)
	if len(n.Applied) > MaxApplied {
		n.Applied = n.Applied[len(n.Applied)-MaxApplied:]
	}
	if len(d.emit) > 0 {
		if n.Outbox == nil {
			n.Outbox = map[string][]Outgoing{}
		}
		n.Outbox[d.env.EventID] = d.emit
	}
	if n.CorrelationID == "" {
		n.CorrelationID = d.env.CorrelationID
	}
	dec := Decision{
		Disposition: Transition,
		FSMEvent:    name,
		From:        from,
		To:          to,
		Next:        *n,
		Emit:        d.emit,
		Audit: AuditEntry{
			Kind: d.kind, RecordID: n.ID, From: from, To: to, Event: d.env.Type,
			MessageID: d.env.EventID, At: d.now, Actor: d.env.Actor,
			CorrelationID: n.CorrelationID, Reason: d.auditReason(),
		},
	}
	if d.note != nil && d.prev != nil && from == to && len(d.emit) == 0 {
		dec.Note = d.note
	}
	return dec
}

func (d *decider) auditReason() *Reason {
	if d.reasonSet {
		return d.next.Reason
	}
	return nil
}
