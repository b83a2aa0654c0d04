package statemachine

import (
	"encoding/json"
	"slices"
	"testing"
)

// brandVia applies events of the given types to brand b1 from nothing, with
// the payload each needs, and returns the record.
func brandVia(tb testing.TB, types ...EventType) *Record {
	tb.Helper()
	var b *Record
	for _, t := range types {
		var d Decision
		b, d = apply(tb, b, env(tb, t, "b1", brandPayloads[t]), Facts{})
		if d.Disposition != Transition {
			tb.Fatalf("%s: %s (%s), want a transition", t, d.Disposition, d.Reason)
		}
	}
	return b
}

// brandPayloads are valid payloads of the brand events that need one.
var brandPayloads = map[EventType]any{
	BrandRegister:     brandReg,
	BrandSubmitted:    Receipt{ExternalID: "TCR-B1"},
	BrandVerified:     Identity{Status: "VERIFIED"},
	BrandUnverified:   Reason{Code: CodeInvalidEIN, Description: "EIN mismatch"},
	BrandVetFailed:    Reason{Code: CodeInvalidEIN, Description: "vetting failed"},
	BrandSuspended:    Reason{Description: "suspended"},
	BrandFailed:       Reason{Code: CodeInvalidEIN, Description: "invalid EIN"},
	BrandScoreUpdated: Score{Score: 80},
}

func TestBrandMoveWakesItsPendingCampaigns(t *testing.T) {
	tests := []struct {
		name  string
		brand *Record
		event EventType
		to    State
	}{
		{"verified", brandVia(t, BrandRegister, BrandSubmitted), BrandVerified, Verified},
		{"vetted", brandVia(t, BrandRegister, BrandSubmitted, BrandVerified, BrandRevetRequested), BrandVetted, VettedVerified},
		{"unsuspended, usable again", brandVia(t, BrandRegister, BrandSubmitted, BrandVerified, BrandSuspended), BrandUnsuspended, Verified},
		{"unverified", brandVia(t, BrandRegister, BrandSubmitted), BrandUnverified, Unverified},
		{"vetting failed", brandVia(t, BrandRegister, BrandSubmitted, BrandVerified, BrandRevetRequested), BrandVetFailed, Unverified},
		{"failed", brandVia(t, BrandRegister, BrandSubmitted), BrandFailed, Failed},
		{"deleted by the registry", brandVia(t, BrandRegister, BrandSubmitted), BrandDeleted, Deleted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := env(t, tt.event, "b1", brandPayloads[tt.event])
			d, err := Decide(tt.brand, e, Facts{PendingCampaigns: []string{"c2", "c1"}}, t0)
			if err != nil {
				t.Fatal(err)
			}
			mustTransition(t, d, tt.to)
			if got, want := types(d.Emit), []string{"events:campaign.submit:c1", "events:campaign.submit:c2"}; !slices.Equal(got, want) {
				t.Fatalf("emits %v, want %v", got, want)
			}
			if got := d.Next.Outbox[e.EventID]; len(got) != 2 {
				t.Errorf("outbox holds %d messages for the event, want the 2 wake-ups", len(got))
			}
			for _, o := range d.Emit {
				if err := o.Envelope.Validate(); err != nil {
					t.Errorf("wake-up of %s invalid: %v", o.Envelope.EntityID, err)
				}
			}
			if d.Emit[0].Envelope.EventID == d.Emit[1].Envelope.EventID {
				t.Errorf("both wake-ups have id %s", d.Emit[0].Envelope.EventID)
			}

			again, err := Decide(tt.brand, e, Facts{PendingCampaigns: []string{"c1", "c2"}}, t0)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := ids(again.Emit), ids(d.Emit); !slices.Equal(got, want) {
				t.Errorf("deciding the same event again emits ids %v, want %v", got, want)
			}

			none, err := Decide(tt.brand, e, Facts{}, t0)
			if err != nil {
				t.Fatal(err)
			}
			mustTransition(t, none, tt.to)
			if len(none.Emit) != 0 {
				t.Errorf("without pending campaigns it emits %v, want nothing", types(none.Emit))
			}
		})
	}
}

// Every brand move into a state that decides a campaign's submission wakes
// the pending campaigns, and no other move does; the dispatcher loads them
// for exactly those events.
func TestOnlyMovesThatDecideSubmissionsWake(t *testing.T) {
	facts := Facts{PendingCampaigns: []string{"c1"}}
	for _, e := range Events(KindBrand) {
		woke := false
		for _, s := range States(KindBrand) {
			c, err := CellFor(FlowV1, KindBrand, s, e)
			if err != nil {
				t.Fatal(err)
			}
			if c.Disposition != Transition {
				continue
			}
			var rec *Record
			if s != StateNone {
				rec = &Record{Kind: KindBrand, ID: "b1", State: s, ExternalID: "TCR-B1", Data: mustMarshal(t, brandReg)}
			}
			d, err := Decide(rec, env(t, e, "b1", brandPayloads[e]), facts, t0)
			if err != nil {
				t.Fatalf("(%s, %s): %v", s, e, err)
			}
			wakes := slices.Contains(types(d.Emit), "events:campaign.submit:c1")
			if want := d.Disposition == Transition && decidesSubmit(d.To); wakes != want {
				t.Errorf("(%s, %s) to %s: wakes the pending campaign = %v, want %v", s, e, d.To, wakes, want)
			}
			woke = woke || wakes
		}
		if woke && !NeedsChildren(e) {
			t.Errorf("%s wakes campaigns but NeedsChildren(%s) = false: the dispatcher would not load them", e, e)
		}
		if !woke && NeedsChildren(e) && e != BrandDeleteRequested {
			t.Errorf("NeedsChildren(%s) = true but it wakes no campaign: a query for nothing", e)
		}
	}
}

func TestWakeUpSubmitsAPendingCampaignAndTheDeferredCopyIsStale(t *testing.T) {
	pendingBrand := brandVia(t, BrandRegister, BrandSubmitted)
	campaign, _ := apply(t, nil, env(t, CampaignRegister, "c1", campReg), Facts{})
	original := env(t, CampaignSubmit, "c1", nil)
	if d, err := Decide(campaign, original, Facts{Brand: pendingBrand}, t0); err != nil || d.Disposition != Defer {
		t.Fatalf("submit under a submitted brand: %s (%v), want defer", d.Disposition, err)
	}

	tests := []struct {
		name  string
		event EventType
		to    State // the campaign's state after the wake-up
	}{
		{"brand verified: submitted to the registry", BrandVerified, TCRPending},
		{"brand failed: rejected", BrandFailed, Rejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			brand, bd := apply(t, pendingBrand, env(t, tt.event, "b1", brandPayloads[tt.event]), Facts{PendingCampaigns: []string{"c1"}})
			if len(bd.Emit) != 1 {
				t.Fatalf("brand move emits %v, want one wake-up", types(bd.Emit))
			}
			woken, d := apply(t, campaign, bd.Emit[0].Envelope, Facts{Brand: brand})
			mustTransition(t, d, tt.to)

			late, err := Decide(woken, original, Facts{Brand: brand}, t0)
			if err != nil {
				t.Fatal(err)
			}
			if late.Disposition != Ignore || len(late.Emit) != 0 {
				t.Errorf("the late deferred submit in %s: %s %q with %d messages, want ignored with none",
					woken.State, late.Disposition, late.Reason, len(late.Emit))
			}
		})
	}
}

func TestWakeUpOfACampaignNoLongerPendingIsIgnored(t *testing.T) {
	brand := verifiedBrand(t)
	pending, _ := apply(t, nil, env(t, CampaignRegister, "c1", campReg), Facts{})
	tcrPending, _ := apply(t, pending, env(t, CampaignSubmit, "c1", nil), Facts{Brand: brand})
	rejected, _ := apply(t, pending, env(t, CampaignSubmit, "c1", nil), Facts{Brand: brandVia(t, BrandRegister, BrandSubmitted, BrandUnverified)})
	for _, c := range []*Record{tcrPending, rejected} {
		bd, err := Decide(brandVia(t, BrandRegister, BrandSubmitted), env(t, BrandVerified, "b1", brandPayloads[BrandVerified]),
			Facts{PendingCampaigns: []string{"c1"}}, t0) // the index read behind
		if err != nil {
			t.Fatal(err)
		}
		d, err := Decide(c, bd.Emit[0].Envelope, Facts{Brand: brand}, t0)
		if err != nil {
			t.Fatal(err)
		}
		if d.Disposition != Ignore || len(d.Emit) != 0 {
			t.Errorf("wake-up of a campaign in %s: %s %q with %d messages, want ignored with none", c.State, d.Disposition, d.Reason, len(d.Emit))
		}
	}
}

func ids(out []Outgoing) []string {
	var s []string
	for _, o := range out {
		s = append(s, o.Envelope.EventID)
	}
	return s
}

func mustMarshal(tb testing.TB, v any) json.RawMessage {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
