package statemachine

import (
	"errors"
	"maps"
	"slices"
	"testing"
)

var v2 = Facts{Flow: FlowV2}

// inReviewOn is campaign c1 in IN_REVIEW, started by a replica on flow f.
func inReviewOn(tb testing.TB, f Flow) *Record {
	tb.Helper()
	brand := verifiedBrand(tb)
	c, _ := apply(tb, nil, env(tb, CampaignRegister, "c1", campReg), Facts{Flow: f})
	c, _ = apply(tb, c, env(tb, CampaignSubmit, "c1", nil), Facts{Brand: brand, Flow: f})
	c, d := apply(tb, c, env(tb, CampaignRegistryAccepted, "c1", Receipt{ExternalID: "TCR-C1"}), Facts{Flow: f})
	mustTransition(tb, d, InReview)
	return c
}

// evidenceReview is a flow v2 campaign c1 in EVIDENCE_REVIEW.
func evidenceReview(tb testing.TB) *Record {
	tb.Helper()
	c, d := apply(tb, inReviewOn(tb, FlowV2), env(tb, CampaignReviewApproved, "c1", nil), v2)
	mustTransition(tb, d, EvidenceReview)
	return c
}

func TestFlowV2ReviewsTheEvidenceBeforeTheCarriers(t *testing.T) {
	c := inReviewOn(t, FlowV2)
	if c.Flow != FlowV2 {
		t.Fatalf("record flow = %v, want v2 (the replica's when it was created)", c.Flow)
	}
	c, d := apply(t, c, env(t, CampaignReviewApproved, "c1", nil), v2)
	mustTransition(t, d, EvidenceReview)
	if got, want := types(d.Emit), []string{"registry:registry.submit_evidence:c1"}; !slices.Equal(got, want) {
		t.Fatalf("review_approved emits %v, want %v", got, want)
	}
	ev, err := DecodePayload[Evidence](d.Emit[0].Envelope.Payload)
	if err != nil {
		t.Fatal(err)
	}
	if ev.UseCase != campReg.UseCase || ev.Description != campReg.Description || !slices.Equal(ev.SampleMessages, campReg.SampleMessages) {
		t.Errorf("evidence %+v, want the registration's use case, description and samples", ev)
	}
	if len(c.Carriers) != 0 {
		t.Errorf("carriers %v before the evidence decision, want none", c.Carriers)
	}

	approved := env(t, CampaignEvidenceApproved, "c1", nil)
	next, d := apply(t, c, approved, v2)
	mustTransition(t, d, CarrierReview)
	if got, want := types(d.Emit), []string{"att:carrier.submit_campaign:c1", "tmobile:carrier.submit_campaign:c1",
		"verizon:carrier.submit_campaign:c1"}; !slices.Equal(got, want) {
		t.Errorf("evidence_approved emits %v, want %v", got, want)
	}
	for _, carrier := range Carriers {
		if next.Carriers[carrier] != CarrierPending {
			t.Errorf("carrier %s = %q, want PENDING", carrier, next.Carriers[carrier])
		}
	}
	if next.Flow != FlowV2 {
		t.Errorf("flow after a transition = %v, want v2 kept", next.Flow)
	}
	if _, d = apply(t, next, approved, v2); d.Disposition != Ignore || d.Reason != "duplicate" {
		t.Errorf("the same approval again: %s (%s), want ignored as a duplicate", d.Disposition, d.Reason)
	}
	if _, d = apply(t, next, env(t, CampaignEvidenceRejected, "c1", Reason{}), v2); d.Disposition != Ignore {
		t.Errorf("a rejection after the approval: %s (%s), want ignored as stale", d.Disposition, d.Reason)
	}
}

func TestFlowV2EvidenceDecisions(t *testing.T) {
	tests := []struct {
		name     string
		state    func(testing.TB) *Record
		event    EventType
		payload  any
		want     Disposition
		to       State
		wantCode int // the record's reason code after a rejection
	}{
		{name: "rejected without a code: 30909", state: evidenceReview, event: CampaignEvidenceRejected,
			payload: Reason{Description: "no opt-in"}, want: Transition, to: Rejected, wantCode: CodeOptInUnverified},
		{name: "rejected with the registry's code", state: evidenceReview, event: CampaignEvidenceRejected,
			payload: Reason{Code: 30896, Description: "no call to action"}, want: Transition, to: Rejected, wantCode: 30896},
		{name: "evidence approved before the reviewer's approval applied: early", state: func(tb testing.TB) *Record { return inReviewOn(tb, FlowV2) },
			event: CampaignEvidenceApproved, want: Defer, to: InReview},
		{name: "evidence rejected before the reviewer's approval applied: early", state: func(tb testing.TB) *Record { return inReviewOn(tb, FlowV2) },
			event: CampaignEvidenceRejected, payload: Reason{}, want: Defer, to: InReview},
		{name: "a carrier before the evidence decision: early", state: evidenceReview, event: CampaignCarrierApproved,
			payload: CarrierUpdate{Carrier: CarrierATT}, want: Defer, to: EvidenceReview},
		{name: "resubmission while under review: already done", state: evidenceReview, event: CampaignResubmit,
			want: Ignore, to: EvidenceReview},
		{name: "the reviewer's approval again: stale", state: evidenceReview, event: CampaignReviewApproved,
			want: Ignore, to: EvidenceReview},
		{name: "given up by the sweeper", state: evidenceReview, event: CampaignFailed, payload: TimeoutReason,
			want: Transition, to: Failed, wantCode: CodeTimeout},
		{name: "expired", state: evidenceReview, event: CampaignExpired, want: Transition, to: Expired},
		{name: "deleted", state: evidenceReview, event: CampaignDeleteRequested, want: Transition, to: Deleted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := tt.state(t)
			_, d := apply(t, rec, env(t, tt.event, "c1", tt.payload), v2)
			if d.Disposition != tt.want || d.To != tt.to {
				t.Fatalf("decision %s to %s (%s), want %s to %s", d.Disposition, d.To, d.Reason, tt.want, tt.to)
			}
			if tt.wantCode != 0 && (d.Next.Reason == nil || d.Next.Reason.Code != tt.wantCode) {
				t.Errorf("reason %+v, want code %d", d.Next.Reason, tt.wantCode)
			}
		})
	}
}

// A replica decides a record on the record's flow, and defers what a newer
// flow than its own must decide.
func TestDecideOnTheRecordsFlow(t *testing.T) {
	v1 := Facts{Flow: FlowV1}
	v2Brand := verifiedBrand(t)
	v2Brand.Flow = FlowV2
	future := inReviewOn(t, FlowV2)
	future.Flow = Flow(9)
	tests := []struct {
		name   string
		rec    func(testing.TB) *Record
		event  EventType
		facts  Facts
		want   Disposition
		to     State
		reason string
	}{
		{name: "v1 replica, v2 campaign: deferred", rec: evidenceReview, event: CampaignFailed, facts: v1,
			want: Defer, to: EvidenceReview, reason: ReasonNewerFlow},
		{name: "v1 replica, v2 campaign in a state v1 has: deferred", rec: func(tb testing.TB) *Record { return inReviewOn(tb, FlowV2) },
			event: CampaignReviewApproved, facts: Facts{}, want: Defer, to: InReview, reason: ReasonNewerFlow},
		{name: "v1 replica, evidence event on a v1 campaign: deferred", rec: func(tb testing.TB) *Record { return inReviewOn(tb, FlowV1) },
			event: CampaignEvidenceApproved, facts: v1, want: Defer, to: InReview, reason: ReasonNewerFlow},
		{name: "v1 replica, evidence event for no record: deferred", rec: func(testing.TB) *Record { return nil },
			event: CampaignEvidenceRejected, facts: v1, want: Defer, to: StateNone, reason: ReasonNewerFlow},
		{name: "v1 replica, v2 brand: the tables agree, decided", rec: func(testing.TB) *Record { return v2Brand },
			event: BrandRevetRequested, facts: v1, want: Transition, to: Vetting},
		{name: "v2 replica, v1 campaign: decided on v1", rec: func(tb testing.TB) *Record { return inReviewOn(tb, FlowV1) },
			event: CampaignReviewApproved, facts: v2, want: Transition, to: CarrierReview},
		{name: "v2 replica, evidence event on a v1 campaign: not on its flow", rec: func(tb testing.TB) *Record { return inReviewOn(tb, FlowV1) },
			event: CampaignEvidenceApproved, facts: v2, want: Ignore, to: InReview, reason: ReasonOtherFlow},
		{name: "v2 replica, campaign of an unknown flow: deferred", rec: func(testing.TB) *Record { return future },
			event: CampaignReviewApproved, facts: v2, want: Defer, to: InReview, reason: ReasonNewerFlow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := tt.rec(t)
			id := "c1"
			if tt.event.Kind() == KindBrand {
				id = "b1"
			}
			var p any
			if tt.event == CampaignFailed || tt.event == CampaignEvidenceRejected {
				p = Reason{}
			}
			d, err := Decide(rec, env(t, tt.event, id, p), tt.facts, t0)
			if err != nil {
				t.Fatal(err)
			}
			if d.Disposition != tt.want || d.To != tt.to || (tt.reason != "" && d.Reason != tt.reason) {
				t.Errorf("decision %s to %s (%s), want %s to %s (%s)", d.Disposition, d.To, d.Reason, tt.want, tt.to, tt.reason)
			}
			if got, want := d.NewerFlow, tt.reason == ReasonNewerFlow; got != want {
				t.Errorf("NewerFlow = %v, want %v", got, want)
			}
		})
	}
	t.Run("a v1 replica's new record is on v1, written as before flows", func(t *testing.T) {
		for _, f := range []Facts{{}, v1} {
			c, d := apply(t, nil, env(t, CampaignRegister, "c1", campReg), f)
			mustTransition(t, d, Pending)
			if c.Flow != 0 {
				t.Errorf("flow %v, want 0 (v1)", c.Flow)
			}
		}
	})
	t.Run("an event of no flow is unknown", func(t *testing.T) {
		e := env(t, CampaignRegister, "c1", campReg)
		e.Type = "campaign.evidence_appealed"
		if _, err := Decide(nil, e, v2, t0); !errors.Is(err, ErrUnknownEvent) {
			t.Errorf("Decide = %v, want ErrUnknownEvent", err)
		}
	})
}

func TestRefusedEvidenceRejectsTheCampaign(t *testing.T) {
	cmd := env(t, CmdSubmitEvidence, "c1", evidenceOf(campReg))
	ev, ok := Refused(cmd, CodeOptInUnverified, "no opt-in", "dispatcher:registry", t0)
	if !ok || ev.Type != CampaignEvidenceRejected {
		t.Fatalf("Refused = %s, %v; want campaign.evidence_rejected", ev.Type, ok)
	}
	if got := CommandKind(CmdSubmitEvidence); got != KindCampaign {
		t.Errorf("CommandKind = %q, want campaign", got)
	}
	_, d := apply(t, evidenceReview(t), ev, v2)
	mustTransition(t, d, Rejected)
	if d.Next.Reason == nil || d.Next.Reason.Code != CodeOptInUnverified {
		t.Errorf("reason %+v, want 30909", d.Next.Reason)
	}
}

func TestRedriveEvidenceReview(t *testing.T) {
	rec := *evidenceReview(t)
	rec.Outbox = nil
	l := Lookups(rec)[0]
	if want := (Lookup{To: ToRegistry, Kind: KindCampaign, ID: "c1", Of: LookupEvidence}); l != want {
		t.Fatalf("look-up %+v, want %+v: the registry's evidence review, apart from the campaign", l, want)
	}
	evidence := env(t, CampaignEvidenceApproved, "c1", nil)
	acceptedCmd := rec
	acceptedCmd.Commands = maps.Clone(rec.Commands)
	ref := acceptedCmd.Commands[ToRegistry]
	ref.AcceptedAt = t0
	acceptedCmd.Commands[ToRegistry] = ref

	t.Run("a lost evidence webhook is recovered by the look-up", func(t *testing.T) {
		plan, err := Redrive(rec, Recovery{Observations: []Observation{{Lookup: l, Found: true,
			Events: []Envelope{evidence}}}}, lim, t0)
		if err != nil {
			t.Fatal(err)
		}
		if plan.Outcome != OutcomeRecovered || len(plan.Emit) != 1 || plan.Emit[0].Envelope.EventID != evidence.EventID {
			t.Fatalf("plan %s %v, want the evidence decision itself", plan.Outcome, types(plan.Emit))
		}
		_, d := apply(t, &rec, plan.Emit[0].Envelope, v2)
		mustTransition(t, d, CarrierReview)
	})
	t.Run("evidence the registry is still reviewing is checked, not sent again", func(t *testing.T) {
		plan, err := Redrive(acceptedCmd, Recovery{Observations: []Observation{{Lookup: l, Found: true}}}, lim, t0)
		if err != nil {
			t.Fatal(err)
		}
		if plan.Outcome != OutcomeChecked || len(plan.Emit) != 0 {
			t.Errorf("plan %s %v, want checked with nothing sent", plan.Outcome, types(plan.Emit))
		}
	})
	t.Run("evidence the registry accepted and lost is sent again under a new key", func(t *testing.T) {
		plan, err := Redrive(acceptedCmd, Recovery{Observations: []Observation{{Lookup: l}}}, lim, t0)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := types(plan.Emit), []string{"registry:registry.submit_evidence:c1"}; plan.Outcome != OutcomeResent || !slices.Equal(got, want) {
			t.Fatalf("plan %s %v, want %v re-sent", plan.Outcome, got, want)
		}
		if plan.Emit[0].Envelope.EventID == ref.EventID || plan.Commands[ToRegistry].EventID != plan.Emit[0].Envelope.EventID {
			t.Errorf("re-sent under %s (command %s was %s), want a new key written on the record",
				plan.Emit[0].Envelope.EventID, plan.Commands[ToRegistry].EventID, ref.EventID)
		}
		if _, err := DecodePayload[Evidence](plan.Emit[0].Envelope.Payload); err != nil {
			t.Errorf("payload: %v", err)
		}
	})
	t.Run("evidence still in its queue is left alone", func(t *testing.T) {
		plan, err := Redrive(rec, Recovery{Observations: []Observation{{Lookup: l}}, Busy: map[Destination]bool{ToRegistry: true}}, lim, t0)
		if err != nil {
			t.Fatal(err)
		}
		if plan.Outcome != OutcomeBacklog || len(plan.Emit) != 0 {
			t.Errorf("plan %s %v, want a backlog", plan.Outcome, types(plan.Emit))
		}
	})
	t.Run("evidence never accepted and no longer queued is sent again as it was", func(t *testing.T) {
		plan, err := Redrive(rec, Recovery{Observations: []Observation{{Lookup: l}}}, lim, t0)
		if err != nil {
			t.Fatal(err)
		}
		if plan.Outcome != OutcomeResent || len(plan.Emit) != 1 || plan.Emit[0].Envelope.EventID != ref.EventID {
			t.Errorf("plan %s %v, want the command re-sent under its own key %s", plan.Outcome, types(plan.Emit), ref.EventID)
		}
	})
}
