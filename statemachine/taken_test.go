package statemachine

import (
	"slices"
	"testing"
)

// A campaign that asks for a number another campaign holds learns at once
// that it cannot have it (FAILED, CodeNumberTaken), instead of waiting in
// NUMBERS_PENDING for the sweeper; the holder's number record keeps its state
// and campaign.
func TestNumberHeldByAnotherCampaignSettlesFailedAtOnce(t *testing.T) {
	n := numbers[0]
	for _, s := range []State{Pending, Registering, Registered, Failed, Deregistering} {
		t.Run(string(s), func(t *testing.T) {
			held := &Record{Kind: KindNumber, ID: n, State: s, ParentID: "c1", Version: 3}
			d, err := Decide(held, env(t, NumberRegister, n, NumberRegistration{CampaignID: "c2", Number: n}), Facts{}, t0)
			if err != nil {
				t.Fatal(err)
			}
			if d.Disposition != Transition || d.To != s {
				t.Fatalf("decision = %s to %s (%s), want a transition that stays in %s", d.Disposition, d.To, d.Reason, s)
			}
			if got, want := types(d.Emit), []string{"events:campaign.number_settled:c2"}; !slices.Equal(got, want) {
				t.Fatalf("emitted %v, want %v", got, want)
			}
			got, err := DecodePayload[NumberSettled](d.Emit[0].Envelope.Payload)
			if err != nil {
				t.Fatal(err)
			}
			if want := (NumberSettled{Number: n, Status: NumberFailedStatus, Code: CodeNumberTaken}); got != want {
				t.Errorf("settled %+v, want %+v", got, want)
			}
			if d.Next.ParentID != "c1" || d.Next.State != s {
				t.Errorf("number record now %s of %s, want %s of c1", d.Next.State, d.Next.ParentID, s)
			}
		})
	}
	t.Run("its own campaign's duplicate is ignored", func(t *testing.T) {
		held := &Record{Kind: KindNumber, ID: n, State: Registered, ParentID: "c1", Version: 3}
		d, err := Decide(held, env(t, NumberRegister, n, NumberRegistration{CampaignID: "c1", Number: n}), Facts{}, t0)
		if err != nil {
			t.Fatal(err)
		}
		if d.Disposition != Ignore {
			t.Errorf("decision = %s (%s), want ignore", d.Disposition, d.Reason)
		}
	})
}
