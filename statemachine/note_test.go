package statemachine

import (
	"maps"
	"slices"
	"testing"
)

// carrierReview is campaign c1 in CARRIER_REVIEW, every carrier pending.
func carrierReview(tb testing.TB) *Record {
	tb.Helper()
	c, d := apply(tb, inReviewOn(tb, FlowV1), env(tb, CampaignReviewApproved, "c1", nil), Facts{})
	mustTransition(tb, d, CarrierReview)
	return c
}

// noted returns cur with note n written, as a store writes it: the entry
// and the applied id, the version kept.
func noted(cur Record, n Note) Record {
	cur.Applied = append(slices.Clone(cur.Applied), n.ID)
	switch n.Map {
	case NoteCarriers:
		cur.Carriers = maps.Clone(cur.Carriers)
		cur.Carriers[Carrier(n.Key)] = CarrierStatus(n.Value)
	case NoteNumbers:
		cur.Numbers = maps.Clone(cur.Numbers)
		cur.Numbers[n.Key] = NumberStatus(n.Value)
	}
	return cur
}

func decideNote(tb testing.TB, rec *Record, e Envelope) Decision {
	tb.Helper()
	d, err := Decide(rec, e, Facts{}, t0)
	if err != nil {
		tb.Fatal(err)
	}
	if d.Disposition != Transition || d.Note == nil || d.From != d.To {
		tb.Fatalf("%s: decision %s %s -> %s, note %v, want a note that stays", e.Type, d.Disposition, d.From, d.To, d.Note)
	}
	return d
}

func TestCarrierAnswersBeforeTheLastAreNotes(t *testing.T) {
	c := carrierReview(t)
	d := decideNote(t, c, env(t, CampaignCarrierReview, "c1", CarrierUpdate{Carrier: CarrierATT}))
	want := Note{Map: NoteCarriers, Key: "att", From: []string{"PENDING"}, Value: "REVIEW"}
	if got := *d.Note; got.Map != want.Map || got.Key != want.Key || !slices.Equal(got.From, want.From) || got.Value != want.Value || len(got.Open) != 0 {
		t.Errorf("review note = %+v, want %+v (a review never completes the carriers: no Open)", got, want)
	}

	d = decideNote(t, c, env(t, CampaignCarrierApproved, "c1", CarrierUpdate{Carrier: CarrierTMobile}))
	if got := d.Note; !slices.Equal(got.From, []string{"PENDING", "REVIEW"}) || got.Value != "APPROVED" || !slices.Equal(got.Open, []string{"att", "verizon"}) ||
		!slices.Equal(got.Done, []string{"APPROVED"}) {
		t.Errorf("approval note = %+v, want PENDING or REVIEW -> APPROVED, open att and verizon until APPROVED", *got)
	}
	if d.Next.Carriers[CarrierTMobile] != CarrierApproved {
		t.Errorf("a note's Next still carries the change as a versioned write would: carriers %v", d.Next.Carriers)
	}

	// Two carriers approved: the last approval moves the campaign, with a
	// versioned transition.
	two := *c
	two.Carriers = map[Carrier]CarrierStatus{CarrierATT: CarrierApproved, CarrierTMobile: CarrierApproved, CarrierVerizon: CarrierInReview}
	last, err := Decide(&two, env(t, CampaignCarrierApproved, "c1", CarrierUpdate{Carrier: CarrierVerizon}), Facts{}, t0)
	if err != nil {
		t.Fatal(err)
	}
	mustTransition(t, last, Approved)
	if last.Note != nil {
		t.Errorf("the completing approval is a note (%+v): it must make a version", last.Note)
	}
	// A rejection moves the campaign: never a note.
	rej, err := Decide(c, env(t, CampaignCarrierRejected, "c1", CarrierUpdate{Carrier: CarrierATT, Description: "no"}), Facts{}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if rej.Note != nil {
		t.Errorf("a carrier's rejection is a note")
	}
}

func TestANoteHoldsOnlyWhileItCannotCompleteTheMapUnseen(t *testing.T) {
	c := carrierReview(t)
	c.Carriers[CarrierVerizon] = CarrierApproved
	// Two replicas read the same version: AT&T and T-Mobile approve.
	att := decideNote(t, c, env(t, CampaignCarrierApproved, "c1", CarrierUpdate{Carrier: CarrierATT})).Note
	tmo := decideNote(t, c, env(t, CampaignCarrierApproved, "c1", CarrierUpdate{Carrier: CarrierTMobile})).Note
	if !att.Holds(*c, *c) || !tmo.Holds(*c, *c) {
		t.Fatal("notes decided on the stored record do not hold on it")
	}
	afterATT := noted(*c, *att)
	if tmo.Holds(*c, afterATT) {
		t.Error("T-Mobile's note holds after AT&T's: all three approved and the campaign still in CARRIER_REVIEW")
	}
	// Re-read, T-Mobile's approval completes the carriers with a transition.
	d, err := Decide(&afterATT, env(t, CampaignCarrierApproved, "c1", CarrierUpdate{Carrier: CarrierTMobile}), Facts{}, t0)
	if err != nil {
		t.Fatal(err)
	}
	mustTransition(t, d, Approved)

	// A review and an approval of different carriers commute; an approval
	// goes in after its own carrier's review, a review after its approval
	// does not.
	rv := decideNote(t, c, env(t, CampaignCarrierReview, "c1", CarrierUpdate{Carrier: CarrierTMobile})).Note
	if !rv.Holds(*c, afterATT) || !att.Holds(*c, noted(*c, *rv)) {
		t.Error("a review and another carrier's approval do not commute")
	}
	if !tmo.Holds(*c, noted(*c, *rv)) {
		t.Error("T-Mobile's approval does not hold after its review")
	}
	attReview := decideNote(t, c, env(t, CampaignCarrierReview, "c1", CarrierUpdate{Carrier: CarrierATT})).Note
	if attReview.Holds(*c, afterATT) {
		t.Error("AT&T's review holds after its approval")
	}
	// The same answer twice, or after its entry moved: written once.
	if att.Holds(*c, afterATT) {
		t.Error("AT&T's note holds after it was written")
	}
	// The same event again (a redelivered copy decided on the same read,
	// its entry still open): applied once.
	again := *att
	again.Key, again.From = string(CarrierTMobile), []string{string(CarrierPending)}
	if again.Holds(*c, afterATT) {
		t.Error("a note holds after its event was applied")
	}
	// Another version (a re-drive, a transition): decide again.
	bumped := *c
	bumped.Version++
	if att.Holds(*c, bumped) {
		t.Error("a note holds on another version than the one it was decided on")
	}
	moved := *c
	moved.State = Rejected
	if rv.Holds(*c, moved) {
		t.Error("a note holds in another state")
	}
}

func TestNumberSettlementsBeforeTheLastAreNotes(t *testing.T) {
	c := carrierReview(t)
	c.State, c.Numbers = NumbersPending, map[string]NumberStatus{}
	for _, n := range numbers {
		c.Numbers[n] = NumberPendingStatus
	}
	d := decideNote(t, c, env(t, CampaignNumberSettled, "c1", NumberSettled{Number: numbers[0], Status: NumberFailedStatus}))
	if got := d.Note; got.Map != NoteNumbers || got.Key != numbers[0] || !slices.Equal(got.From, []string{"PENDING"}) || got.Value != "FAILED" ||
		!slices.Equal(got.Open, numbers[1:]) || slices.Contains(got.Done, "PENDING") {
		t.Errorf("settlement note = %+v", *got)
	}
	one := noted(*c, *d.Note)
	two := noted(one, *decideNote(t, &one, env(t, CampaignNumberSettled, "c1", NumberSettled{Number: numbers[1], Status: NumberRegisteredStatus})).Note)
	last, err := Decide(&two, env(t, CampaignNumberSettled, "c1", NumberSettled{Number: numbers[2], Status: NumberRegisteredStatus}), Facts{}, t0)
	if err != nil {
		t.Fatal(err)
	}
	mustTransition(t, last, Active)
	if last.Note != nil {
		t.Error("the last settlement is a note")
	}
}

func TestAnUnsuspensionIsAVersionedTransition(t *testing.T) {
	c := carrierReview(t)
	c.State = Suspended
	c.Carriers = map[Carrier]CarrierStatus{CarrierATT: CarrierSuspended, CarrierTMobile: CarrierSuspended, CarrierVerizon: CarrierApproved}
	d, err := Decide(c, env(t, CampaignCarrierUnsuspended, "c1", CarrierUpdate{Carrier: CarrierATT}), Facts{}, t0)
	if err != nil {
		t.Fatal(err)
	}
	mustTransition(t, d, Suspended)
	if d.Note != nil {
		t.Error("an unsuspension is a note: a carrier may suspend again, and a redelivered copy would find its entry suspended")
	}
}
