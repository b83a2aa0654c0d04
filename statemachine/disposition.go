package statemachine

import "fmt"

// Disposition is what happens to an event in a state.
type Disposition int

// The four dispositions of a (state, event) pair.
const (
	// Transition: an fsm event fires (its guard may still hold the record in
	// its state while recording data, or turn the event away).
	Transition Disposition = iota + 1
	// Ignore: a duplicate or stale event; acknowledged and counted.
	Ignore
	// Defer: the event arrived early; re-enqueued with a delay, bounded.
	Defer
	// Reject: invalid in this state; dead-lettered with a reason.
	Reject
)

// Dispositions lists the dispositions in matrix order.
var Dispositions = []Disposition{Transition, Ignore, Defer, Reject}

func (d Disposition) String() string {
	switch d {
	case Transition:
		return "transition"
	case Ignore:
		return "ignore"
	case Defer:
		return "defer"
	case Reject:
		return "reject"
	}
	return fmt.Sprintf("Disposition(%d)", int(d))
}

// Facts is what a decision needs to know beyond the record itself. The
// handler loads them when [NeedsBrand] or [NeedsChildren] says so.
type Facts struct {
	// Flow is the flow the deciding replica runs: a record it creates starts
	// on it, and a record or event of a newer flow is deferred (see
	// [Decide]). Zero: FlowV1.
	Flow Flow
	// Delegate are the steps the deciding replica delegates to a Temporal
	// workflow (regd --delegate): a record it moves into such a step sends
	// the step's command to [ToTemporal]. A record keeps the step delegated
	// whatever replica decides it later ([Delegated]).
	Delegate []Step
	// Brand is the campaign's brand (nil when it does not exist).
	Brand *Record
	// LiveChildren counts the brand's campaigns that are still live.
	LiveChildren int
	// PendingCampaigns are the ids of the brand's campaigns in PENDING, in
	// any order: a brand move that decides their submission wakes them.
	// They come from an eventually consistent query and may miss a campaign
	// just created, or name one that has just left PENDING.
	PendingCampaigns []string
}

// NeedsBrand reports whether deciding t for a campaign needs its brand.
func NeedsBrand(t EventType) bool { return t == CampaignSubmit || t == CampaignResubmit }

// NeedsChildren reports whether deciding t needs the brand's children: the
// live count for a delete request, the PENDING campaigns for a move that may
// wake them (any move into a usable state, or into one that bars campaigns).
func NeedsChildren(t EventType) bool { return t == BrandDeleteRequested || wakesCampaigns(t) }

// ReasonUnsendable rejects an event whose follow-ups SQS would refuse (too
// large, or invalid): nothing is written, and the event is dead-lettered with
// the offending follow-up named in the decision's Detail.
const ReasonUnsendable = "follow-up cannot be sent"

// Decision is the outcome of [Decide].
type Decision struct {
	Disposition Disposition
	// Reason says why an event was ignored, deferred or rejected: a short,
	// bounded phrase fit for a metric label or a dead-letter reason.
	Reason string
	// Code is a CPaaS error code for a rejection, when one applies.
	Code int
	// Detail says more than Reason where one rejection has many faces (which
	// follow-up, how large): for logs and the dead letter, not for labels.
	Detail string
	// Differs names, for a registration ignored because its record exists,
	// the payload fields that differ from the record's registration.
	Differs []string
	// NewerFlow says a deferral is for [ErrNewerFlow]: the record or the
	// event belongs to a flow the replica does not run ([ReasonNewerFlow]).
	NewerFlow bool

	// For a transition: the fsm event fired, the states, the record to write
	// (its Version is still the one read; the store bumps it), the audit entry
	// and the messages to send once the write succeeded.
	FSMEvent string
	From, To State
	Next     Record
	Audit    AuditEntry
	Emit     []Outgoing
	// Note, when set, says the transition may be written as this note,
	// which makes no new version (see [Note]); Next and Audit are the same
	// change as a versioned write (a store marks the audit entry of a note,
	// AuditEntry.Note).
	Note *Note
}
