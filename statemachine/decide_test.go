package statemachine

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// env builds a valid envelope of type t for entity with payload p.
func env(tb testing.TB, t EventType, entity string, p any) Envelope {
	tb.Helper()
	var raw json.RawMessage
	if p != nil {
		b, err := json.Marshal(p)
		if err != nil {
			tb.Fatal(err)
		}
		raw = b
	}
	e := Envelope{Type: t, SchemaVersion: SchemaVersion, EventID: fmt.Sprintf("%s-%s-%d", t, entity, seq()),
		EntityID: entity, OccurredAt: t0, CorrelationID: "corr-1", Actor: "test", Payload: raw}
	if err := e.Validate(); err != nil {
		tb.Fatalf("test envelope invalid: %v", err)
	}
	return e
}

var counter int

func seq() int { counter++; return counter }

// apply decides e on rec and, for a transition, returns the record as a store
// would write it (version bumped).
func apply(tb testing.TB, rec *Record, e Envelope, f Facts) (*Record, Decision) {
	tb.Helper()
	d, err := Decide(rec, e, f, t0)
	if err != nil {
		tb.Fatalf("Decide(%s): %v", e.Type, err)
	}
	if d.Disposition != Transition {
		return rec, d
	}
	next := d.Next
	next.Version++
	return &next, d
}

func mustTransition(tb testing.TB, d Decision, to State) {
	tb.Helper()
	if d.Disposition != Transition || d.To != to {
		tb.Fatalf("decision = %s to %s (%s), want transition to %s", d.Disposition, d.To, d.Reason, to)
	}
}

func types(out []Outgoing) []string {
	var s []string
	for _, o := range out {
		s = append(s, string(o.To)+":"+string(o.Envelope.Type)+":"+o.Envelope.EntityID)
	}
	return s
}

var (
	brandReg = BrandRegistration{LegalName: "Acme", EIN: "12-3456789", Email: "a@acme.test", EntityType: "PRIVATE_PROFIT"}
	numbers  = []string{"+12025550101", "+12025550102", "+12025550103"}
	campReg  = CampaignRegistration{BrandID: "b1", UseCase: "2FA", Description: "codes",
		SampleMessages: []string{"Your code is 123456"}, Numbers: numbers}
)

func verifiedBrand(tb testing.TB) *Record {
	tb.Helper()
	b, _ := apply(tb, nil, env(tb, BrandRegister, "b1", brandReg), Facts{})
	b, _ = apply(tb, b, env(tb, BrandSubmitted, "b1", Receipt{ExternalID: "TCR-B1"}), Facts{})
	b, d := apply(tb, b, env(tb, BrandVerified, "b1", Identity{Status: "VERIFIED"}), Facts{})
	mustTransition(tb, d, Verified)
	return b
}

func TestHappyPathBrandCampaignNumbersToActive(t *testing.T) {
	b, d := apply(t, nil, env(t, BrandRegister, "b1", brandReg), Facts{})
	mustTransition(t, d, Pending)
	if got, want := types(d.Emit), []string{"registry:registry.submit_brand:b1"}; !slices.Equal(got, want) {
		t.Fatalf("brand.register emits %v, want %v", got, want)
	}
	if got := b.Outbox[d.Audit.MessageID]; len(got) != 1 {
		t.Fatalf("outbox holds %d messages for the event, want 1", len(got))
	}
	b = verifiedBrand(t)

	c, d := apply(t, nil, env(t, CampaignRegister, "c1", campReg), Facts{})
	mustTransition(t, d, Pending)
	if c.ParentID != "b1" {
		t.Errorf("campaign parent = %q, want b1", c.ParentID)
	}
	c, d = apply(t, c, env(t, CampaignSubmit, "c1", nil), Facts{Brand: b})
	mustTransition(t, d, TCRPending)
	if got, want := types(d.Emit), []string{"registry:registry.submit_campaign:c1"}; !slices.Equal(got, want) {
		t.Errorf("submit emits %v, want %v", got, want)
	}
	c, d = apply(t, c, env(t, CampaignRegistryAccepted, "c1", Receipt{ExternalID: "TCR-C1"}), Facts{})
	mustTransition(t, d, InReview)
	c, d = apply(t, c, env(t, CampaignReviewApproved, "c1", nil), Facts{})
	mustTransition(t, d, CarrierReview)
	if got, want := types(d.Emit), []string{"att:carrier.submit_campaign:c1", "tmobile:carrier.submit_campaign:c1", "verizon:carrier.submit_campaign:c1"}; !slices.Equal(got, want) {
		t.Errorf("review_approved emits %v, want %v", got, want)
	}
	for i, carrier := range Carriers {
		c, d = apply(t, c, env(t, CampaignCarrierApproved, "c1", CarrierUpdate{Carrier: carrier}), Facts{})
		if i < 2 {
			mustTransition(t, d, CarrierReview)
			if len(d.Emit) != 0 {
				t.Errorf("approval %d emits %v, want nothing", i, types(d.Emit))
			}
		}
	}
	mustTransition(t, d, Approved)
	if got, want := types(d.Emit), []string{"events:campaign.numbers_requested:c1"}; !slices.Equal(got, want) {
		t.Errorf("last approval emits %v, want %v", got, want)
	}
	c, d = apply(t, c, env(t, CampaignNumbersRequested, "c1", nil), Facts{})
	mustTransition(t, d, NumbersPending)
	if got := len(d.Emit); got != 3 {
		t.Fatalf("numbers_requested emits %d messages, want 3", got)
	}

	for i, n := range numbers {
		reg := d.Emit[i].Envelope
		if reg.Type != NumberRegister || reg.EntityID != n {
			t.Fatalf("emit %d = %s for %s, want number.register for %s", i, reg.Type, reg.EntityID, n)
		}
		nr, nd := apply(t, nil, reg, Facts{})
		mustTransition(t, nd, Pending)
		if got, want := types(nd.Emit), []string{"numbers:numbers.register:" + n}; !slices.Equal(got, want) {
			t.Errorf("number.register emits %v, want %v", got, want)
		}
		nr, _ = apply(t, nr, env(t, NumberSubmitted, n, Receipt{}), Facts{})
		_, nd = apply(t, nr, env(t, NumberRegistered, n, nil), Facts{})
		mustTransition(t, nd, Registered)
		settled := nd.Emit[0].Envelope
		if settled.Type != CampaignNumberSettled || settled.EntityID != "c1" {
			t.Fatalf("number.registered emits %s for %s, want campaign.number_settled for c1", settled.Type, settled.EntityID)
		}
		var cd Decision
		c, cd = apply(t, c, settled, Facts{})
		if i < len(numbers)-1 {
			mustTransition(t, cd, NumbersPending)
		} else {
			mustTransition(t, cd, Active)
		}
	}
	if got, want := c.Version, int64(11); got != want {
		t.Errorf("campaign version = %d, want %d (one write per applied event)", got, want)
	}
}

func TestDecideDispositions(t *testing.T) {
	brand := verifiedBrand(t)
	pendingBrand, _ := apply(t, nil, env(t, BrandRegister, "b1", brandReg), Facts{})
	failedBrand, _ := apply(t, pendingBrand, env(t, BrandFailed, "b1", Reason{Code: CodeInvalidEIN}), Facts{})
	pendingCampaign, _ := apply(t, nil, env(t, CampaignRegister, "c1", campReg), Facts{})
	tcrPending, _ := apply(t, pendingCampaign, env(t, CampaignSubmit, "c1", nil), Facts{Brand: brand})
	inReview, _ := apply(t, tcrPending, env(t, CampaignRegistryAccepted, "c1", Receipt{}), Facts{})
	carrierReview, _ := apply(t, inReview, env(t, CampaignReviewApproved, "c1", nil), Facts{})
	attApproved, _ := apply(t, carrierReview, env(t, CampaignCarrierApproved, "c1", CarrierUpdate{Carrier: CarrierATT}), Facts{})
	highRisk, _ := apply(t, tcrPending, env(t, CampaignRegistryRejected, "c1", Reason{Code: CodeHighRisk}), Facts{})
	failed, _ := apply(t, carrierReview, env(t, CampaignFailed, "c1", Reason{Code: CodeTimeout}), Facts{})
	rejected, _ := apply(t, carrierReview, env(t, CampaignCarrierRejected, "c1", CarrierUpdate{Carrier: CarrierVerizon}), Facts{})

	tests := []struct {
		name   string
		rec    *Record
		env    Envelope
		facts  Facts
		want   Disposition
		to     State
		reason string
		code   int
	}{
		{name: "submit while the brand is pending is deferred", rec: pendingCampaign, env: env(t, CampaignSubmit, "c1", nil),
			facts: Facts{Brand: pendingBrand}, want: Defer, reason: "brand not verified yet"},
		{name: "submit for a failed brand rejects the campaign with 30795", rec: pendingCampaign, env: env(t, CampaignSubmit, "c1", nil),
			facts: Facts{Brand: failedBrand}, want: Transition, to: Rejected, code: CodeInvalidEIN},
		{name: "submit before the brand is registered is deferred", rec: pendingCampaign, env: env(t, CampaignSubmit, "c1", nil),
			want: Defer, reason: "brand not registered yet"},
		{name: "carrier approval before the reviewer's decision is deferred", rec: inReview,
			env: env(t, CampaignCarrierApproved, "c1", CarrierUpdate{Carrier: CarrierATT}), want: Defer, reason: "arrived early"},
		{name: "a second approval by the same carrier is ignored", rec: attApproved,
			env: env(t, CampaignCarrierApproved, "c1", CarrierUpdate{Carrier: CarrierATT}), want: Ignore, reason: "carrier already approved"},
		{name: "a carrier rejection rejects the campaign with 30899", rec: carrierReview,
			env: env(t, CampaignCarrierRejected, "c1", CarrierUpdate{Carrier: CarrierTMobile}), want: Transition, to: Rejected, code: CodeCarrierRejection},
		{name: "a stale registry answer is ignored", rec: carrierReview,
			env: env(t, CampaignRegistryAccepted, "c1", Receipt{}), want: Ignore, reason: "stale or duplicate"},
		{name: "an event for an unknown record is rejected", rec: nil,
			env: env(t, CampaignCarrierApproved, "c9", CarrierUpdate{Carrier: CarrierATT}), want: Reject, reason: "unknown record"},
		{name: "a repeated registration is ignored", rec: pendingCampaign,
			env: env(t, CampaignRegister, "c1", campReg), want: Ignore, reason: "already done"},
		{name: "resubmitting a rejected campaign goes back to the registry", rec: rejected,
			env: env(t, CampaignResubmit, "c1", Resubmission{Description: "better"}), facts: Facts{Brand: brand}, want: Transition, to: TCRPending},
		{name: "resubmitting a high-risk rejection is rejected", rec: highRisk,
			env: env(t, CampaignResubmit, "c1", nil), facts: Facts{Brand: brand}, want: Reject, reason: "not resubmittable", code: CodeHighRisk},
		{name: "resubmitting a failed campaign is rejected", rec: failed,
			env: env(t, CampaignResubmit, "c1", nil), facts: Facts{Brand: brand}, want: Reject, reason: "invalid in state"},
		{name: "resubmitting a campaign that is not rejected is rejected", rec: attApproved,
			env: env(t, CampaignResubmit, "c1", nil), facts: Facts{Brand: brand}, want: Ignore, reason: "already done"},
		{name: "deleting a brand with live campaigns is rejected", rec: brand,
			env: env(t, BrandDeleteRequested, "b1", nil), facts: Facts{LiveChildren: 1}, want: Reject, reason: "brand has live campaigns"},
		{name: "deleting a brand without live campaigns deletes it", rec: brand,
			env: env(t, BrandDeleteRequested, "b1", nil), want: Transition, to: Deleted},
		{name: "an identity webhook ahead of the dispatcher's answer is deferred", rec: pendingBrand,
			env: env(t, BrandVerified, "b1", Identity{Status: "VERIFIED"}), want: Defer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Decide(tt.rec, tt.env, tt.facts, t0)
			if err != nil {
				t.Fatal(err)
			}
			if d.Disposition != tt.want {
				t.Fatalf("disposition = %s (%s), want %s", d.Disposition, d.Reason, tt.want)
			}
			if tt.to != "" && d.To != tt.to {
				t.Errorf("to = %s, want %s", d.To, tt.to)
			}
			if tt.reason != "" && d.Reason != tt.reason {
				t.Errorf("reason = %q, want %q", d.Reason, tt.reason)
			}
			if tt.code != 0 {
				got := d.Code
				if d.Disposition == Transition && d.Next.Reason != nil {
					got = d.Next.Reason.Code
				}
				if got != tt.code {
					t.Errorf("code = %d, want %d", got, tt.code)
				}
			}
		})
	}
}

func TestDuplicateEventIsIgnoredWithoutEmitting(t *testing.T) {
	e := env(t, BrandRegister, "b1", brandReg)
	b, _ := apply(t, nil, e, Facts{})
	for _, t2 := range []EventType{BrandSubmitted} {
		e2 := env(t, t2, "b1", Receipt{})
		b2, _ := apply(t, b, e2, Facts{})
		d, err := Decide(b2, e2, Facts{}, t0)
		if err != nil {
			t.Fatal(err)
		}
		if d.Disposition != Ignore || d.Reason != "duplicate" || len(d.Emit) != 0 {
			t.Errorf("redelivered %s: %s %q with %d messages, want ignore \"duplicate\" with none", t2, d.Disposition, d.Reason, len(d.Emit))
		}
	}
}

func TestEmittedMessagesAreDeterministic(t *testing.T) {
	e := env(t, BrandRegister, "b1", brandReg)
	d1, err1 := Decide(nil, e, Facts{}, t0)
	d2, err2 := Decide(nil, e, Facts{}, t0.Add(time.Hour))
	if err := errors.Join(err1, err2); err != nil {
		t.Fatal(err)
	}
	if got, want := d2.Emit[0].Envelope.EventID, d1.Emit[0].Envelope.EventID; got != want {
		t.Errorf("re-deciding the same event emits id %s, want %s", got, want)
	}
	if got := d1.Emit[0].Envelope.CorrelationID; got != "corr-1" {
		t.Errorf("emitted correlation id = %q, want the event's corr-1", got)
	}
	if err := d1.Emit[0].Envelope.Validate(); err != nil {
		t.Errorf("emitted envelope invalid: %v", err)
	}
}

func TestDecideRefusesCommandsAndMismatchedRecords(t *testing.T) {
	if _, err := Decide(nil, Envelope{Type: CmdSubmitBrand, EntityID: "b1"}, Facts{}, t0); !errors.Is(err, ErrUnknownEvent) {
		t.Errorf("command on the events path: err = %v, want ErrUnknownEvent", err)
	}
	b := verifiedBrand(t)
	if _, err := Decide(b, env(t, CampaignSubmit, "b1", nil), Facts{}, t0); err == nil {
		t.Error("campaign event applied to a brand record: nil error")
	}
}

func TestEncodeDoesNotGrowWhatDecoded(t *testing.T) {
	e := env(t, BrandScoreUpdated, "b1", Score{Score: 1})
	e.Actor = strings.Repeat("<&>", MaxBodyBytes/4)
	body, err := json.Marshal(struct {
		Envelope
	}{e})
	if err != nil {
		t.Fatal(err)
	}
	body = []byte(strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(body)))
	got, err := DecodeEnvelope(body)
	if err != nil {
		t.Fatalf("decode %d bytes: %v", len(body), err)
	}
	if _, err := got.Encode(); err != nil {
		t.Errorf("re-encoding what decoded: %v", err)
	}
}
