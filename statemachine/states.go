package statemachine

import "slices"

// States. A name means the same thing in every kind that has it; which kind has
// which state is in [States].
const (
	Pending        State = "PENDING"    // accepted; the first call downstream is under way (campaign: waits for a verified brand)
	Submitted      State = "SUBMITTED"  // brand: the registry has it; the identity webhook is awaited
	Verified       State = "VERIFIED"   // brand
	Unverified     State = "UNVERIFIED" // brand: may not run campaigns until re-vetted
	Vetting        State = "VETTING"    // brand: secondary vetting requested
	VettedVerified State = "VETTED_VERIFIED"
	TCRPending     State = "TCR_PENDING"    // campaign: submission to the registry under way
	InReview       State = "IN_REVIEW"      // campaign: the registry accepted it; manual vetting
	CarrierReview  State = "CARRIER_REVIEW" // campaign: AT&T, T-Mobile and Verizon review it
	Approved       State = "APPROVED"       // campaign: every carrier approved
	NumbersPending State = "NUMBERS_PENDING"
	Active         State = "ACTIVE" // campaign: every number settled
	Rejected       State = "REJECTED"
	Registering    State = "REGISTERING" // number
	Registered     State = "REGISTERED"  // number
	Deregistering  State = "DEREGISTERING"
	Deregistered   State = "DEREGISTERED"
	Suspended      State = "SUSPENDED"
	Expired        State = "EXPIRED"
	Deleted        State = "DELETED"
	Failed         State = "FAILED"
	// EvidenceReview: campaign (flow v2): the registry reviews the opt-in
	// evidence, between IN_REVIEW and CARRIER_REVIEW.
	EvidenceReview State = "EVIDENCE_REVIEW"
)

// statesByKind, mainPath and eventsByKind ([Events]) are the rows, main
// paths and columns of flow v1; a later flow changes them where its tables
// say (see tables).
var statesByKind = map[Kind][]State{
	KindBrand: {StateNone, Pending, Submitted, Verified, Unverified, Vetting, VettedVerified, Failed,
		Suspended, Deleted},
	KindCampaign: {StateNone, Pending, TCRPending, InReview, CarrierReview, Approved, NumbersPending,
		Active, Rejected, Suspended, Expired, Deleted, Failed},
	KindNumber: {StateNone, Pending, Registering, Registered, Failed, Deregistering, Deregistered},
}

// mainPath lists, per kind, the states of the straight way through in order.
// An answer or follow-up seen in a state before the earliest state that
// expects it arrived early, or the read of the record is behind: it is
// deferred. Seen after, or in a side state, it is stale: ignored.
var mainPath = map[Kind][]State{
	KindBrand:    {StateNone, Pending, Submitted, Verified, Unverified, Vetting, VettedVerified},
	KindCampaign: {StateNone, Pending, TCRPending, InReview, CarrierReview, Approved, NumbersPending, Active},
	KindNumber:   {StateNone, Pending, Registering, Registered, Deregistering, Deregistered},
}

// waiting lists the states in which a record waits for a downstream's answer
// (a webhook or the dispatcher's call), on any flow. A lost answer leaves a
// record stuck there, and the sweeper re-drives it.
var waiting = map[Kind][]State{
	KindBrand:    {Pending, Submitted, Vetting},
	KindCampaign: {TCRPending, InReview, EvidenceReview, CarrierReview, NumbersPending},
	KindNumber:   {Pending, Registering, Deregistering},
}

// transitional lists the states that wait on a follow-up of this system's
// own rather than a downstream: a campaign in PENDING waits for its brand
// (its submit is deferred until then), in APPROVED for its numbers request.
// A follow-up that was dead-lettered, or whose deferral ran out, would strand
// the record, so the sweeper watches these states too.
var transitional = map[Kind][]State{
	KindCampaign: {Pending, Approved},
}

// terminal lists, per kind, the states a run ends in: nothing moves a record
// out of them without a new request.
var terminal = map[Kind][]State{
	KindBrand:    {Verified, Unverified, VettedVerified, Failed, Deleted},
	KindCampaign: {Active, Rejected, Expired, Deleted, Failed},
	KindNumber:   {Registered, Failed, Deregistered},
}

// States lists every state a record of a kind may be in, on any flow, in a
// fixed order starting with StateNone: the rows of the newest flow's matrix.
func States(k Kind) []State { return tableOf(newest, k).states }

// WaitingStates lists the states of a kind in which a lost answer leaves a
// record stuck.
func WaitingStates(k Kind) []State { return waiting[k] }

// IsWaiting reports whether s is a waiting state of kind k.
func IsWaiting(k Kind, s State) bool { return slices.Contains(waiting[k], s) }

// WatchedStates lists the states of a kind the sweeper watches: the waiting
// states, then the transitional ones.
func WatchedStates(k Kind) []State { return slices.Concat(waiting[k], transitional[k]) }

// IsWatched reports whether the sweeper watches state s of kind k.
func IsWatched(k Kind, s State) bool {
	return slices.Contains(waiting[k], s) || slices.Contains(transitional[k], s)
}

// IsTerminal reports whether s ends the flow of a record of kind k.
func IsTerminal(k Kind, s State) bool { return slices.Contains(terminal[k], s) }

// IsLive reports whether a record in state s exists and is not deleted,
// expired, failed or deregistered: a brand with live campaigns cannot be
// deleted.
func IsLive(s State) bool {
	switch s {
	case StateNone, Deleted, Expired, Failed, Deregistered:
		return false
	}
	return true
}
