package statemachine

import (
	"slices"
	"testing"
	"time"
)

var delegating = Facts{Flow: FlowV2, Delegate: []Step{StepEvidence}}

// delegatedReview is a flow v2 campaign c1 in EVIDENCE_REVIEW, moved there
// by a replica that delegates the evidence review.
func delegatedReview(tb testing.TB) *Record {
	tb.Helper()
	c, d := apply(tb, inReviewOn(tb, FlowV2), env(tb, CampaignReviewApproved, "c1", nil), delegating)
	mustTransition(tb, d, EvidenceReview)
	c.Outbox = nil // as after the sends
	return c
}

func TestParseSteps(t *testing.T) {
	tests := []struct {
		in      string
		want    []Step
		wantErr bool
	}{
		{in: "evidence", want: []Step{StepEvidence}},
		{in: "evidence, evidence", want: []Step{StepEvidence}},
		{in: "carriers", wantErr: true},
		{in: "evidence,", wantErr: true},
		{in: "", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseSteps(tt.in)
		if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) {
			t.Errorf("ParseSteps(%q) = %v, %v; want %v (error %v)", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestADelegatingReplicaSendsTheEvidenceReviewToTheBridge(t *testing.T) {
	c, d := apply(t, inReviewOn(t, FlowV2), env(t, CampaignReviewApproved, "c1", nil), delegating)
	mustTransition(t, d, EvidenceReview)
	if got, want := types(d.Emit), []string{"temporal:temporal.evidence_review:c1"}; !slices.Equal(got, want) {
		t.Fatalf("review_approved emits %v, want %v", got, want)
	}
	p, err := DecodePayload[DelegatedEvidence](d.Emit[0].Envelope.Payload)
	if err != nil {
		t.Fatal(err)
	}
	if p.CampaignID != "c1" || p.Evidence.UseCase != campReg.UseCase || p.Evidence.Description != campReg.Description ||
		!slices.Equal(p.Evidence.SampleMessages, campReg.SampleMessages) {
		t.Errorf("payload %+v, want campaign c1 with its registration's evidence", p)
	}
	if err := d.Emit[0].Envelope.Validate(); err != nil {
		t.Errorf("command invalid: %v", err)
	}
	if ref := c.Commands[ToTemporal]; ref.EventID != d.Emit[0].Envelope.EventID || !Delegated(*c) {
		t.Errorf("commands %+v, delegated %v; want the bridge's command remembered", c.Commands, Delegated(*c))
	}
	if got := CommandKind(CmdDelegateEvidence); got != KindCampaign {
		t.Errorf("CommandKind = %q, want campaign", got)
	}

	// The workflow's result is the same event as the registry's, decided by
	// any replica, once.
	approved := env(t, CampaignEvidenceApproved, "c1", nil)
	next, d := apply(t, c, approved, v2)
	mustTransition(t, d, CarrierReview)
	if _, d = apply(t, next, approved, delegating); d.Disposition != Ignore || d.Reason != "duplicate" {
		t.Errorf("the result again: %s (%s), want ignored as a duplicate", d.Disposition, d.Reason)
	}
}

// The record says whether its step is delegated, not the replica deciding it.
func TestTheRecordKeepsItsStepDelegated(t *testing.T) {
	delegated := Lookup{To: ToTemporal, Kind: KindCampaign, ID: "c1", Of: LookupEvidence}
	registry := Lookup{To: ToRegistry, Kind: KindCampaign, ID: "c1", Of: LookupEvidence}
	tests := []struct {
		name  string
		rec   func(testing.TB) *Record
		event EventType
		facts Facts
		want  Disposition
		look  Lookup
	}{
		{name: "a carrier early, on a replica that delegates nothing", rec: delegatedReview, event: CampaignCarrierApproved,
			facts: v2, want: Defer, look: delegated},
		{name: "the reviewer's approval again, on a replica that delegates nothing", rec: delegatedReview, event: CampaignReviewApproved,
			facts: v2, want: Ignore, look: delegated},
		{name: "a stay a replica that delegates nothing began: the registry's", rec: evidenceReview, event: CampaignCarrierApproved,
			facts: delegating, want: Defer, look: registry},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p any
			if tt.event == CampaignCarrierApproved {
				p = CarrierUpdate{Carrier: CarrierATT}
			}
			rec, d := apply(t, tt.rec(t), env(t, tt.event, "c1", p), tt.facts)
			if d.Disposition != tt.want {
				t.Fatalf("decision %s (%s), want %s", d.Disposition, d.Reason, tt.want)
			}
			r := *rec
			r.Outbox = nil // as after the sends
			want := tt.look
			if want.To == ToTemporal {
				want.Ref = r.Commands[ToTemporal].EventID // the bridge answers per command
			}
			if got := Lookups(r); !slices.Equal(got, []Lookup{want}) {
				t.Errorf("Lookups = %v, want %v", got, tt.look)
			}
		})
	}

	t.Run("a later stay decided by a replica that delegates nothing goes to the registry", func(t *testing.T) {
		brand := verifiedBrand(t)
		c, d := apply(t, delegatedReview(t), env(t, CampaignEvidenceRejected, "c1", Reason{}), v2)
		mustTransition(t, d, Rejected)
		c, _ = apply(t, c, env(t, CampaignResubmit, "c1", Resubmission{}), Facts{Flow: FlowV2, Brand: brand})
		c, _ = apply(t, c, env(t, CampaignRegistryAccepted, "c1", Receipt{ExternalID: "TCR-C1"}), v2)
		c, d = apply(t, c, env(t, CampaignReviewApproved, "c1", nil), v2)
		mustTransition(t, d, EvidenceReview)
		if got, want := types(d.Emit), []string{"registry:registry.submit_evidence:c1"}; !slices.Equal(got, want) {
			t.Errorf("emits %v, want %v", got, want)
		}
		c.Outbox = nil // as after the sends
		if Delegated(*c) || !slices.Equal(Lookups(*c), []Lookup{registry}) {
			t.Errorf("delegated %v, look-ups %v; want the registry's review", Delegated(*c), Lookups(*c))
		}
	})
}

func TestRedriveOfADelegatedStepAsksTheBridge(t *testing.T) {
	rec := *delegatedReview(t)
	cmd := rec.Commands[ToTemporal]
	lookup := Lookups(rec)[0]
	if lookup.To != ToTemporal || lookup.Ref != cmd.EventID {
		t.Fatalf("look-up %+v, want the bridge's, of command %s", lookup, cmd.EventID)
	}
	later := t0.Add(time.Hour)
	result := env(t, CampaignEvidenceApproved, "c1", nil)
	tests := []struct {
		name    string
		obs     []Observation
		busy    bool
		want    RedriveOutcome
		emit    []string
		sameKey bool
	}{
		{name: "the workflow decided: its result recovered", obs: []Observation{{Lookup: lookup, Found: true, Events: []Envelope{result}}},
			want: OutcomeRecovered, emit: []string{"events:campaign.evidence_approved:c1"}},
		{name: "the workflow runs: waiting (its SLA, not the record's checks)", obs: []Observation{{Lookup: lookup, Found: true}}, want: OutcomeWaiting},
		{name: "no workflow and an empty queue: the command again, same key", obs: []Observation{{Lookup: lookup}},
			want: OutcomeResent, emit: []string{"temporal:temporal.evidence_review:c1"}, sameKey: true},
		{name: "no workflow and a busy queue: backlog", obs: []Observation{{Lookup: lookup}}, busy: true, want: OutcomeBacklog},
		{name: "the bridge not asked: backlog", want: OutcomeBacklog},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := Redrive(rec, Recovery{Observations: tt.obs, Busy: map[Destination]bool{ToTemporal: tt.busy}}, lim, later)
			if err != nil {
				t.Fatal(err)
			}
			if plan.Outcome != tt.want || !slices.Equal(types(plan.Emit), tt.emit) {
				t.Fatalf("plan %s %v, want %s %v", plan.Outcome, types(plan.Emit), tt.want, tt.emit)
			}
			if tt.want == OutcomeRecovered && plan.Emit[0].Envelope.EventID != result.EventID {
				t.Errorf("recovered under id %s, want the workflow's %s", plan.Emit[0].Envelope.EventID, result.EventID)
			}
			if tt.want != OutcomeResent {
				return
			}
			out := plan.Emit[0].Envelope
			if got := out.EventID == cmd.EventID; got != tt.sameKey {
				t.Errorf("sent under the same key %v, want %v", got, tt.sameKey)
			}
			if p, err := DecodePayload[DelegatedEvidence](out.Payload); err != nil || p.CampaignID != "c1" || p.Evidence.UseCase != campReg.UseCase {
				t.Errorf("payload %+v (%v), want c1's evidence", p, err)
			}
			if got, want := plan.Commands[ToTemporal], (CommandRef{EventID: out.EventID, SentAt: later}); got != want {
				t.Errorf("command written %+v, want %+v", got, want)
			}
			resent := rec
			resent.Commands = map[Destination]CommandRef{ToTemporal: plan.Commands[ToTemporal]}
			if !Delegated(resent) {
				t.Errorf("after the re-send the step is no longer delegated")
			}
		})
	}
	t.Run("accepted by the bridge, then lost: a new key", func(t *testing.T) {
		accepted := rec
		accepted.Commands = map[Destination]CommandRef{ToTemporal: {EventID: cmd.EventID, SentAt: cmd.SentAt, AcceptedAt: later}}
		plan, err := Redrive(accepted, Recovery{Observations: []Observation{{Lookup: lookup}}}, lim, later)
		if err != nil || plan.Outcome != OutcomeResent || plan.Emit[0].Envelope.EventID == cmd.EventID {
			t.Errorf("plan %s %v (%v), want resent under a new key", plan.Outcome, types(plan.Emit), err)
		}
	})
}

// A delayed result: the sweeper recovered the workflow's decision through
// the bridge's look-up before the result event itself arrived. The look-up's
// copy is applied; the late result, under the same id, is a duplicate.
func TestALateResultAfterTheLookUpsCopyIsADuplicate(t *testing.T) {
	rec := delegatedReview(t)
	result := env(t, CampaignEvidenceApproved, "c1", nil)
	plan, err := Redrive(*rec, Recovery{Observations: []Observation{{Lookup: Lookups(*rec)[0], Found: true, Events: []Envelope{result}}}},
		lim, t0.Add(time.Hour))
	if err != nil || plan.Outcome != OutcomeRecovered || len(plan.Emit) != 1 {
		t.Fatalf("plan %s %v (%v), want the decision recovered", plan.Outcome, types(plan.Emit), err)
	}
	next, d := apply(t, rec, plan.Emit[0].Envelope, v2)
	mustTransition(t, d, CarrierReview)
	if _, d = apply(t, next, result, v2); d.Disposition != Ignore || d.Reason != "duplicate" {
		t.Errorf("the late result: %s (%s), want ignored as a duplicate", d.Disposition, d.Reason)
	}
}
