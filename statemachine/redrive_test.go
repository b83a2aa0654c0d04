package statemachine

import (
	"errors"
	"slices"
	"testing"
	"time"
)

// waitingRecords builds, through Decide, one record in every waiting state,
// keyed by kind and state. The campaign in CARRIER_REVIEW has heard from two
// carriers: AT&T approved, T-Mobile is reviewing, Verizon said nothing.
func waitingRecords(tb testing.TB) map[Kind]map[State]*Record {
	tb.Helper()
	brand := verifiedBrand(tb)
	pendingBrand, _ := apply(tb, nil, env(tb, BrandRegister, "b1", brandReg), Facts{})
	submitted, _ := apply(tb, pendingBrand, env(tb, BrandSubmitted, "b1", Receipt{ExternalID: "TCR-B1"}), Facts{})
	vetting, _ := apply(tb, brand, env(tb, BrandRevetRequested, "b1", nil), Facts{})

	c, _ := apply(tb, nil, env(tb, CampaignRegister, "c1", campReg), Facts{})
	tcrPending, _ := apply(tb, c, env(tb, CampaignSubmit, "c1", nil), Facts{Brand: brand})
	inReview, _ := apply(tb, tcrPending, env(tb, CampaignRegistryAccepted, "c1", Receipt{ExternalID: "TCR-C1"}), Facts{})
	c, _ = apply(tb, inReview, env(tb, CampaignReviewApproved, "c1", nil), Facts{})
	c, _ = apply(tb, c, env(tb, CampaignCarrierApproved, "c1", CarrierUpdate{Carrier: CarrierATT}), Facts{})
	carrierReview, _ := apply(tb, c, env(tb, CampaignCarrierReview, "c1", CarrierUpdate{Carrier: CarrierTMobile}), Facts{})
	c = carrierReview
	for _, carrier := range []Carrier{CarrierTMobile, CarrierVerizon} {
		c, _ = apply(tb, c, env(tb, CampaignCarrierApproved, "c1", CarrierUpdate{Carrier: carrier}), Facts{})
	}
	numbersPending, d := apply(tb, c, env(tb, CampaignNumbersRequested, "c1", nil), Facts{})
	mustTransition(tb, d, NumbersPending)

	reg := NumberRegistration{CampaignID: "c1", Number: numbers[0]}
	numberPending, _ := apply(tb, nil, env(tb, NumberRegister, numbers[0], reg), Facts{})
	registering, _ := apply(tb, numberPending, env(tb, NumberSubmitted, numbers[0], Receipt{}), Facts{})
	registered, _ := apply(tb, registering, env(tb, NumberRegistered, numbers[0], nil), Facts{})
	deregistering, d := apply(tb, registered, env(tb, NumberDeregister, numbers[0], nil), Facts{})
	mustTransition(tb, d, Deregistering)

	got := map[Kind]map[State]*Record{
		KindBrand:    {Pending: pendingBrand, Submitted: submitted, Vetting: vetting},
		KindCampaign: {TCRPending: tcrPending, InReview: inReview, CarrierReview: carrierReview, NumbersPending: numbersPending},
		KindNumber:   {Pending: numberPending, Registering: registering, Deregistering: deregistering},
	}
	for _, k := range Kinds {
		for _, s := range WaitingStates(k) {
			r := got[k][s]
			if r == nil || r.State != s {
				tb.Fatalf("no %s record in %s", k, s)
			}
			r.Redrives = 1 // as the sweeper counted it
		}
	}
	return got
}

func TestRedriveResendsTheMissingCommand(t *testing.T) {
	recs := waitingRecords(t)
	n := numbers[0]
	tests := []struct {
		kind  Kind
		state State
		want  []string
	}{
		{KindBrand, Pending, []string{"registry:registry.submit_brand:b1"}},
		{KindBrand, Submitted, []string{"registry:registry.submit_brand:b1"}},
		{KindBrand, Vetting, []string{"registry:registry.revet_brand:b1"}},
		{KindCampaign, TCRPending, []string{"registry:registry.submit_campaign:c1"}},
		{KindCampaign, InReview, []string{"registry:registry.submit_campaign:c1"}},
		{KindCampaign, CarrierReview, []string{"tmobile:carrier.submit_campaign:c1", "verizon:carrier.submit_campaign:c1"}},
		{KindNumber, Pending, []string{"numbers:numbers.register:" + n}},
		{KindNumber, Registering, []string{"numbers:numbers.register:" + n}},
		{KindNumber, Deregistering, []string{"numbers:numbers.deregister:" + n}},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind)+"/"+string(tt.state), func(t *testing.T) {
			rec := *recs[tt.kind][tt.state]
			plan, err := Redrive(rec, nil, 3, t0)
			if err != nil {
				t.Fatal(err)
			}
			if plan.GiveUp {
				t.Error("GiveUp on the first re-drive")
			}
			if got := types(plan.Emit); !slices.Equal(got, tt.want) {
				t.Errorf("emits %v, want %v", got, tt.want)
			}
			for _, o := range plan.Emit {
				checkSweeperEnvelope(t, rec, o.Envelope)
			}
		})
	}
}

// checkSweeperEnvelope checks what every message of a re-drive must carry.
func checkSweeperEnvelope(tb testing.TB, rec Record, e Envelope) {
	tb.Helper()
	if err := e.Validate(); err != nil {
		tb.Errorf("%s invalid: %v", e.Type, err)
	}
	if got, want := e.Actor, "sweeper"; got != want {
		tb.Errorf("%s actor = %q, want %q", e.Type, got, want)
	}
	if got, want := e.CorrelationID, rec.CorrelationID; got != want || got == "" {
		tb.Errorf("%s correlation id = %q, want the record's %q", e.Type, got, want)
	}
	if got, want := e.OccurredAt, t0; !got.Equal(want) {
		tb.Errorf("%s occurred at %v, want %v", e.Type, got, want)
	}
}

func TestRedriveResubmitsTheStoredRegistration(t *testing.T) {
	recs := waitingRecords(t)
	plan, err := Redrive(*recs[KindCampaign][InReview], nil, 3, t0)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodePayload[CampaignRegistration](plan.Emit[0].Envelope.Payload)
	if err != nil {
		t.Fatal(err)
	}
	if got.BrandID != campReg.BrandID || got.Description != campReg.Description || !slices.Equal(got.Numbers, campReg.Numbers) {
		t.Errorf("re-submitted %+v, want the stored %+v", got, campReg)
	}
}

func TestRedriveNumbersPending(t *testing.T) {
	recs := waitingRecords(t)
	campaign := *recs[KindCampaign][NumbersPending]
	// The first number settled on the campaign already; the others did not.
	campaign.Numbers[numbers[0]] = NumberRegisteredStatus
	pending := numbers[1:]
	if got := RedriveNumbers(campaign); !slices.Equal(got, pending) {
		t.Fatalf("RedriveNumbers = %v, want %v", got, pending)
	}
	number := func(id, parent string, s State, r *Reason) *Record {
		return &Record{Kind: KindNumber, ID: id, ParentID: parent, State: s, Reason: r}
	}
	tests := []struct {
		name    string
		numbers map[string]*Record
		want    []string
		settled []NumberSettled
	}{
		{
			name: "settled numbers are settled again",
			numbers: map[string]*Record{
				numbers[1]: number(numbers[1], "c1", Registered, nil),
				numbers[2]: number(numbers[2], "c1", Failed, &Reason{Code: CodeTimeout}),
			},
			want: []string{"events:campaign.number_settled:c1", "events:campaign.number_settled:c1"},
			settled: []NumberSettled{
				{Number: numbers[1], Status: NumberRegisteredStatus},
				{Number: numbers[2], Status: NumberFailedStatus, Code: CodeTimeout},
			},
		},
		{
			name: "numbers still registering are left to their own re-drive",
			numbers: map[string]*Record{
				numbers[1]: number(numbers[1], "c1", Registering, nil),
				numbers[2]: number(numbers[2], "c1", Pending, nil),
			},
		},
		{
			name:    "a number without a record is registered again",
			numbers: map[string]*Record{numbers[2]: number(numbers[2], "c1", Registering, nil)},
			want:    []string{"events:number.register:" + numbers[1]},
		},
		{
			name: "a number registered for another campaign is not this one's answer",
			numbers: map[string]*Record{
				numbers[1]: number(numbers[1], "c9", Registered, nil),
				numbers[2]: number(numbers[2], "c1", Registering, nil),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := Redrive(campaign, tt.numbers, 3, t0)
			if err != nil {
				t.Fatal(err)
			}
			if got := types(plan.Emit); !slices.Equal(got, tt.want) {
				t.Fatalf("emits %v, want %v", got, tt.want)
			}
			for i, o := range plan.Emit {
				checkSweeperEnvelope(t, campaign, o.Envelope)
				if o.Envelope.Type != CampaignNumberSettled {
					continue
				}
				got, err := DecodePayload[NumberSettled](o.Envelope.Payload)
				if err != nil {
					t.Fatal(err)
				}
				if got != tt.settled[i] {
					t.Errorf("settled %+v, want %+v", got, tt.settled[i])
				}
				// The campaign takes the re-emitted answer.
				d, err := Decide(&campaign, o.Envelope, Facts{}, t0)
				if err != nil {
					t.Fatal(err)
				}
				if d.Disposition != Transition {
					t.Errorf("campaign %s the re-emitted %s (%s), want a transition", d.Disposition, o.Envelope.Type, d.Reason)
				}
			}
		})
	}
}

func TestRedriveGivesUpPastTheMaximum(t *testing.T) {
	const maxRedrives = 3
	recs := waitingRecords(t)
	for _, k := range Kinds {
		for _, s := range WaitingStates(k) {
			t.Run(string(k)+"/"+string(s), func(t *testing.T) {
				rec := *recs[k][s]
				rec.Redrives = maxRedrives
				plan, err := Redrive(rec, nil, maxRedrives, t0)
				if err != nil {
					t.Fatal(err)
				}
				if plan.GiveUp {
					t.Errorf("re-drive %d of %d gives up", rec.Redrives, maxRedrives)
				}

				rec.Redrives = maxRedrives + 1
				plan, err = Redrive(rec, nil, maxRedrives, t0)
				if err != nil {
					t.Fatal(err)
				}
				if !plan.GiveUp || len(plan.Emit) != 1 {
					t.Fatalf("past the maximum: GiveUp %v with %v, want the failed event alone", plan.GiveUp, types(plan.Emit))
				}
				failed := plan.Emit[0]
				if got, want := string(failed.To)+":"+string(failed.Envelope.Type)+":"+failed.Envelope.EntityID,
					"events:"+string(k)+".failed:"+rec.ID; got != want {
					t.Errorf("gives up with %s, want %s", got, want)
				}
				checkSweeperEnvelope(t, rec, failed.Envelope)

				// The table accepts the give-up in every waiting state and
				// records the timeout.
				d, err := Decide(&rec, failed.Envelope, Facts{}, t0)
				if err != nil {
					t.Fatal(err)
				}
				mustTransition(t, d, Failed)
				if d.Next.Reason == nil || *d.Next.Reason != TimeoutReason {
					t.Errorf("failed with reason %+v, want %+v", d.Next.Reason, TimeoutReason)
				}
				if got, want := d.Audit.Actor, SweeperActor; got != want {
					t.Errorf("audit actor = %q, want %q", got, want)
				}
				if got, want := d.Next.Redrives, 0; got != want {
					t.Errorf("redrives after the failure = %d, want %d (a new state starts a new count)", got, want)
				}
			})
		}
	}
}

func TestRedriveEventIDs(t *testing.T) {
	recs := waitingRecords(t)
	rec := *recs[KindCampaign][CarrierReview]
	id := func(r Record, i int) string {
		t.Helper()
		plan, err := Redrive(r, nil, 3, t0)
		if err != nil {
			t.Fatal(err)
		}
		return plan.Emit[i].Envelope.EventID
	}
	first := id(rec, 0)
	if got := id(rec, 0); got != first {
		t.Errorf("the same re-drive planned twice: id %s, then %s", first, got)
	}
	later := rec
	later.UpdatedAt = rec.UpdatedAt.Add(time.Hour)
	if got := id(later, 0); got != first {
		t.Errorf("an unrelated change moved the id from %s to %s", first, got)
	}
	if id(rec, 1) == first {
		t.Error("two messages of one re-drive share an id")
	}
	next := rec
	next.Redrives++
	if id(next, 0) == first {
		t.Error("the next re-drive reuses the id of the previous one")
	}
	reentered := rec
	reentered.StateEnteredAt = rec.StateEnteredAt.Add(time.Millisecond)
	if id(reentered, 0) == first {
		t.Error("a new stay in the state reuses the id of the previous one")
	}
}

func TestRedriveRefuses(t *testing.T) {
	recs := waitingRecords(t)
	verified := *verifiedBrand(t)
	noData := *recs[KindBrand][Submitted]
	noData.Data = nil
	tests := []struct {
		name string
		rec  Record
		want error
	}{
		{"a record that is not waiting", verified, ErrNotWaiting},
		{"a registration that is not valid", noData, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Redrive(tt.rec, nil, 3, t0); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}
