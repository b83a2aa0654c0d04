package statemachine

import (
	"errors"
	"maps"
	"slices"
	"testing"
	"time"
)

// waitingRecords builds, through Decide, one record in every waiting state,
// keyed by kind and state; the campaign in EVIDENCE_REVIEW is on flow v2,
// every other record on v1. The campaign in CARRIER_REVIEW has heard from two
// carriers: AT&T approved, T-Mobile is reviewing, Verizon said nothing.
func waitingRecords(tb testing.TB) map[Kind]map[State]*Record {
	tb.Helper()
	brand := verifiedBrand(tb)
	pendingBrand, _ := apply(tb, nil, env(tb, BrandRegister, "b1", brandReg), Facts{})
	submitted, _ := apply(tb, pendingBrand, env(tb, BrandSubmitted, "b1", Receipt{ExternalID: "TCR-B1"}), Facts{})
	vetting, _ := apply(tb, brand, env(tb, BrandRevetRequested, "b1", nil), Facts{})

	c := pendingCampaign(tb)
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

	v2 := Facts{Flow: FlowV2}
	c, _ = apply(tb, nil, env(tb, CampaignRegister, "c1", campReg), v2)
	c, _ = apply(tb, c, env(tb, CampaignSubmit, "c1", nil), Facts{Brand: brand, Flow: FlowV2})
	c, _ = apply(tb, c, env(tb, CampaignRegistryAccepted, "c1", Receipt{ExternalID: "TCR-C1"}), v2)
	evidenceReview, d := apply(tb, c, env(tb, CampaignReviewApproved, "c1", nil), v2)
	mustTransition(tb, d, EvidenceReview)

	approved, _ := apply(tb, carrierReview, env(tb, CampaignCarrierApproved, "c1", CarrierUpdate{Carrier: CarrierTMobile}), Facts{})
	approved, _ = apply(tb, approved, env(tb, CampaignCarrierApproved, "c1", CarrierUpdate{Carrier: CarrierVerizon}), Facts{})
	approved.Outbox = nil // as after the sends
	got := map[Kind]map[State]*Record{
		KindBrand: {Pending: pendingBrand, Submitted: submitted, Vetting: vetting},
		KindCampaign: {Pending: pendingCampaign(tb), TCRPending: tcrPending, InReview: inReview, EvidenceReview: evidenceReview,
			CarrierReview: carrierReview, Approved: approved, NumbersPending: numbersPending},
		KindNumber: {Pending: numberPending, Registering: registering, Deregistering: deregistering},
	}
	for _, k := range Kinds {
		for _, s := range WatchedStates(k) {
			r := got[k][s]
			if r == nil || r.State != s {
				tb.Fatalf("no %s record in %s", k, s)
			}
			r.Outbox = nil // as after the sends
		}
	}
	return got
}

// pendingCampaign is campaign c1 in PENDING, its submit sent.
func pendingCampaign(tb testing.TB) *Record {
	tb.Helper()
	c, d := apply(tb, nil, env(tb, CampaignRegister, "c1", campReg), Facts{})
	mustTransition(tb, d, Pending)
	c.Outbox = nil
	return c
}

var lim = Limits{MaxRedrives: 3, MaxChecks: 10}

// notFound is every look-up of rec answered "no record of it".
func notFound(rec Record) []Observation {
	var obs []Observation
	for _, l := range Lookups(rec) {
		obs = append(obs, Observation{Lookup: l})
	}
	return obs
}

func TestLookups(t *testing.T) {
	recs := waitingRecords(t)
	n := numbers[0]
	tests := []struct {
		kind  Kind
		state State
		want  []Lookup
	}{
		{KindBrand, Pending, []Lookup{{To: ToRegistry, Kind: KindBrand, ID: "b1"}}},
		{KindBrand, Submitted, []Lookup{{To: ToRegistry, Kind: KindBrand, ID: "b1"}}},
		{KindBrand, Vetting, []Lookup{{To: ToRegistry, Kind: KindBrand, ID: "b1"}}},
		{KindCampaign, Pending, nil},
		{KindCampaign, TCRPending, []Lookup{{To: ToRegistry, Kind: KindCampaign, ID: "c1"}}},
		{KindCampaign, InReview, []Lookup{{To: ToRegistry, Kind: KindCampaign, ID: "c1"}}},
		{KindCampaign, EvidenceReview, []Lookup{{To: ToRegistry, Kind: KindCampaign, ID: "c1", Of: LookupEvidence}}},
		// AT&T approved; T-Mobile is reviewing, Verizon said nothing.
		{KindCampaign, CarrierReview, []Lookup{{To: ToTMobile, Kind: KindCampaign, ID: "c1"}, {To: ToVerizon, Kind: KindCampaign, ID: "c1"}}},
		{KindCampaign, Approved, nil},
		{KindCampaign, NumbersPending, nil},
		{KindNumber, Pending, []Lookup{{To: ToNumbers, Kind: KindNumber, ID: n}}},
		{KindNumber, Registering, []Lookup{{To: ToNumbers, Kind: KindNumber, ID: n}}},
		{KindNumber, Deregistering, []Lookup{{To: ToNumbers, Kind: KindNumber, ID: n}}},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind)+"/"+string(tt.state), func(t *testing.T) {
			if got := Lookups(*recs[tt.kind][tt.state]); !slices.Equal(got, tt.want) {
				t.Errorf("Lookups = %v, want %v", got, tt.want)
			}
		})
	}
	withOutbox := *recs[KindBrand][Submitted]
	withOutbox.Outbox = map[string][]Outgoing{"e1": nil}
	if got := Lookups(withOutbox); got != nil {
		t.Errorf("a record with an outbox to replay looks up %v, want nothing", got)
	}
}

func TestRedriveResendsWhatNoDownstreamHas(t *testing.T) {
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
		{KindCampaign, EvidenceReview, []string{"registry:registry.submit_evidence:c1"}},
		{KindCampaign, CarrierReview, []string{"tmobile:carrier.submit_campaign:c1", "verizon:carrier.submit_campaign:c1"}},
		{KindCampaign, Approved, []string{"events:campaign.numbers_requested:c1"}},
		{KindNumber, Pending, []string{"numbers:numbers.register:" + n}},
		{KindNumber, Registering, []string{"numbers:numbers.register:" + n}},
		{KindNumber, Deregistering, []string{"numbers:numbers.deregister:" + n}},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind)+"/"+string(tt.state), func(t *testing.T) {
			rec := *recs[tt.kind][tt.state]
			plan, err := Redrive(rec, Recovery{Observations: notFound(rec)}, lim, t0)
			if err != nil {
				t.Fatal(err)
			}
			if plan.Outcome != OutcomeResent {
				t.Errorf("outcome %s, want %s", plan.Outcome, OutcomeResent)
			}
			if plan.Redrives != 1 || plan.Checks != 0 {
				t.Errorf("counters redrives %d checks %d, want 1 and 0", plan.Redrives, plan.Checks)
			}
			// A re-send starts the downstream over, and the checks with it.
			checked := rec
			checked.Checks = lim.MaxChecks
			if again, err := Redrive(checked, Recovery{Observations: notFound(rec)}, lim, t0); err != nil ||
				again.Outcome != OutcomeResent || again.Checks != 0 {
				t.Errorf("a re-send after %d checks: %s with checks %d (%v), want resent with 0", lim.MaxChecks, again.Outcome, again.Checks, err)
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

func TestRedriveLeavesABacklogAlone(t *testing.T) {
	recs := waitingRecords(t)
	rec := *recs[KindCampaign][CarrierReview]
	tests := []struct {
		name string
		in   Recovery
		want RedriveOutcome
		sent []string
	}{
		{"the carriers' commands are still queued", Recovery{Observations: notFound(rec),
			Busy: map[Destination]bool{ToTMobile: true, ToVerizon: true}}, OutcomeBacklog, nil},
		{"no look-up answered", Recovery{}, OutcomeBacklog, nil},
		{"a queue that holds nothing cannot hold the command", Recovery{Observations: notFound(rec),
			Busy: map[Destination]bool{ToTMobile: true}}, OutcomeResent, []string{"verizon:carrier.submit_campaign:c1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := Redrive(rec, tt.in, lim, t0)
			if err != nil {
				t.Fatal(err)
			}
			if plan.Outcome != tt.want || plan.Counts() != (tt.want != OutcomeBacklog) {
				t.Errorf("outcome %s (counts %v), want %s", plan.Outcome, plan.Counts(), tt.want)
			}
			if got := types(plan.Emit); !slices.Equal(got, tt.sent) {
				t.Errorf("emits %v, want %v", got, tt.sent)
			}
		})
	}
}

func TestRedriveResendsByWhatBecameOfTheCommand(t *testing.T) {
	recs := waitingRecords(t)
	busy := map[Destination]bool{ToRegistry: true, ToATT: true, ToTMobile: true, ToVerizon: true, ToNumbers: true}
	later := t0.Add(time.Hour)
	carrier := func(edit func(*CommandRef)) Record {
		rec := *recs[KindCampaign][CarrierReview]
		rec.Commands = maps.Clone(rec.Commands)
		ref := rec.Commands[ToVerizon]
		edit(&ref)
		rec.Commands[ToVerizon] = ref
		return rec
	}
	tests := []struct {
		name    string
		rec     Record
		to      Destination
		outcome RedriveOutcome
		sameKey bool
		backlog time.Duration // Limits.MaxBacklog; zero: no bound
	}{
		// T-Mobile has its command and is still deciding: checked; Verizon's
		// command is still queued: nothing for it.
		{"still in its queue", carrier(func(*CommandRef) {}), ToVerizon, OutcomeChecked, false, 0},
		{"its calls failed: retried or dead-lettered", carrier(func(r *CommandRef) { r.AttemptedAt = later }), ToVerizon, OutcomeResent, true, 0},
		{"queued past the backlog bound (30 min)", carrier(func(*CommandRef) {}), ToVerizon, OutcomeResent, true, 30 * time.Minute},
		{"accepted, then lost downstream", carrier(func(r *CommandRef) { r.AcceptedAt = later }), ToVerizon, OutcomeResent, false, 0},
		{"accepted as the state shows, then lost", *recs[KindBrand][Submitted], ToRegistry, OutcomeResent, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var obs []Observation
			for _, l := range Lookups(tt.rec) {
				obs = append(obs, Observation{Lookup: l, Found: l.To != tt.to})
			}
			limits := lim
			limits.MaxBacklog = tt.backlog
			plan, err := Redrive(tt.rec, Recovery{Observations: obs, Busy: busy}, limits, later)
			if err != nil {
				t.Fatal(err)
			}
			if plan.Outcome != tt.outcome {
				t.Fatalf("outcome %s, want %s", plan.Outcome, tt.outcome)
			}
			if tt.outcome == OutcomeChecked {
				if len(plan.Emit) != 0 || plan.Commands != nil {
					t.Errorf("a queued command sent %v and wrote %v", types(plan.Emit), plan.Commands)
				}
				return
			}
			var cmd *Outgoing
			for i, o := range plan.Emit {
				if o.To == tt.to {
					cmd = &plan.Emit[i]
				}
			}
			if cmd == nil {
				t.Fatalf("sent %v, nothing to %s", types(plan.Emit), tt.to)
			}
			if got := cmd.Envelope.EventID == tt.rec.Commands[tt.to].EventID; got != tt.sameKey {
				t.Errorf("sent under the same key %v, want %v", got, tt.sameKey)
			}
			if got, want := plan.Commands[tt.to], (CommandRef{EventID: cmd.Envelope.EventID, SentAt: later}); got != want {
				t.Errorf("command written %+v, want %+v", got, want)
			}
		})
	}
}

func TestQueuedFollowsTheCommandOfTheCurrentStay(t *testing.T) {
	recs := waitingRecords(t)
	rec := *recs[KindBrand][Pending]
	if !Queued(rec, ToRegistry) {
		t.Errorf("a brand whose submission was just sent: not queued")
	}
	if Queued(*recs[KindBrand][Submitted], ToRegistry) {
		t.Errorf("a brand the registry accepted: queued")
	}
	old := rec
	old.StateEnteredAt = rec.StateEnteredAt.Add(time.Minute)
	if Queued(old, ToRegistry) {
		t.Errorf("a command sent before the current stay: queued")
	}
	if Queued(rec, ToNumbers) {
		t.Errorf("a destination the brand sent nothing to: queued")
	}
}

func TestRedriveRecoversWhatTheDownstreamDecided(t *testing.T) {
	recs := waitingRecords(t)
	brand := *recs[KindBrand][Submitted]
	lookup := Lookups(brand)[0]
	verified := env(t, BrandVerified, "b1", Identity{Status: "VERIFIED"})
	score := env(t, BrandScoreUpdated, "b1", Score{Score: 80})

	t.Run("a lost identity webhook is sent with the downstream's id", func(t *testing.T) {
		plan, err := Redrive(brand, Recovery{Observations: []Observation{{Lookup: lookup, Found: true,
			Events: []Envelope{verified}}}}, lim, t0)
		if err != nil {
			t.Fatal(err)
		}
		if plan.Outcome != OutcomeRecovered || len(plan.Emit) != 1 || plan.Emit[0].Envelope.EventID != verified.EventID {
			t.Fatalf("plan %s %v, want the verified event itself", plan.Outcome, types(plan.Emit))
		}
		if plan.Checks != 1 || plan.Redrives != 0 {
			t.Errorf("counters redrives %d checks %d, want 0 and 1", plan.Redrives, plan.Checks)
		}
		d, err := Decide(&brand, plan.Emit[0].Envelope, Facts{}, t0)
		if err != nil {
			t.Fatal(err)
		}
		mustTransition(t, d, Verified)
		// The webhook, arriving late, is the same event: a duplicate.
		late, err := Decide(&d.Next, verified, Facts{}, t0)
		if err != nil || late.Disposition != Ignore || late.Reason != "duplicate" {
			t.Errorf("late webhook: %s (%s), %v; want ignored as a duplicate", late.Disposition, late.Reason, err)
		}
	})
	t.Run("a downstream that has not decided is only checked", func(t *testing.T) {
		applied := brand
		applied.Applied = append(slices.Clone(brand.Applied), verified.EventID)
		for _, obs := range [][]Envelope{nil, {score}, {verified}} {
			rec := brand
			if len(obs) == 1 && obs[0].EventID == verified.EventID {
				rec = applied // already applied: nothing missed
			}
			plan, err := Redrive(rec, Recovery{Observations: []Observation{{Lookup: lookup, Found: true, Events: obs}}}, lim, t0)
			if err != nil {
				t.Fatal(err)
			}
			if plan.Outcome != OutcomeChecked || len(plan.Emit) != 0 || plan.Checks != 1 {
				t.Errorf("observed %d events: %s %v (checks %d), want checked, nothing sent", len(obs), plan.Outcome, types(plan.Emit), plan.Checks)
			}
		}
	})
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
		outcome RedriveOutcome
		want    []string
		settled []NumberSettled
	}{
		{
			name: "settled numbers are settled again",
			numbers: map[string]*Record{
				numbers[1]: number(numbers[1], "c1", Registered, nil),
				numbers[2]: number(numbers[2], "c1", Failed, &Reason{Code: CodeTimeout}),
			},
			outcome: OutcomeRecovered,
			want:    []string{"events:campaign.number_settled:c1", "events:campaign.number_settled:c1"},
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
			outcome: OutcomeWaiting,
		},
		{
			name:    "a number without a record is registered again",
			numbers: map[string]*Record{numbers[2]: number(numbers[2], "c1", Registering, nil)},
			outcome: OutcomeResent,
			want:    []string{"events:number.register:" + numbers[1]},
		},
		{
			name: "a number registered to another campaign is settled as failed",
			numbers: map[string]*Record{
				numbers[1]: number(numbers[1], "c9", Registered, nil),
				numbers[2]: number(numbers[2], "c1", Registering, nil),
			},
			outcome: OutcomeRecovered,
			want:    []string{"events:campaign.number_settled:c1"},
			settled: []NumberSettled{{Number: numbers[1], Status: NumberFailedStatus, Code: CodeNumberTaken}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := Redrive(campaign, Recovery{Numbers: tt.numbers}, lim, t0)
			if err != nil {
				t.Fatal(err)
			}
			if plan.Outcome != tt.outcome {
				t.Errorf("outcome %s, want %s", plan.Outcome, tt.outcome)
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

func TestRedriveTransitionalStates(t *testing.T) {
	recs := waitingRecords(t)
	t.Run("a pending campaign submits again and waits on its brand", func(t *testing.T) {
		rec := *recs[KindCampaign][Pending]
		plan, err := Redrive(rec, Recovery{}, lim, t0)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := types(plan.Emit), []string{"events:campaign.submit:c1"}; plan.Outcome != OutcomeWaiting || !slices.Equal(got, want) {
			t.Fatalf("plan %s %v, want waiting with %v", plan.Outcome, got, want)
		}
		if plan.Redrives != 0 || plan.Checks != 0 {
			t.Errorf("a wait on the brand counted: redrives %d checks %d", plan.Redrives, plan.Checks)
		}
		d, err := Decide(&rec, plan.Emit[0].Envelope, Facts{Brand: verifiedBrand(t)}, t0)
		if err != nil {
			t.Fatal(err)
		}
		mustTransition(t, d, TCRPending)
	})
	t.Run("an outbox left behind is sent again as it was", func(t *testing.T) {
		rec := *recs[KindCampaign][Approved]
		out := []Outgoing{{To: ToEvents, Envelope: env(t, CampaignNumbersRequested, "c1", nil)}}
		rec.Outbox = map[string][]Outgoing{"cause-1": out}
		plan, err := Redrive(rec, Recovery{}, lim, t0)
		if err != nil {
			t.Fatal(err)
		}
		if plan.Outcome != OutcomeRecovered || !slices.Equal(plan.Replayed, []string{"cause-1"}) ||
			len(plan.Emit) != 1 || plan.Emit[0].Envelope.EventID != out[0].Envelope.EventID {
			t.Errorf("plan %s %v replayed %v, want the outbox entry as it was", plan.Outcome, types(plan.Emit), plan.Replayed)
		}
	})
}

func TestRedriveGivesUpPastTheMaximum(t *testing.T) {
	recs := waitingRecords(t)
	for _, k := range Kinds {
		for _, s := range WatchedStates(k) {
			t.Run(string(k)+"/"+string(s), func(t *testing.T) {
				rec := *recs[k][s]
				in := Recovery{Observations: notFound(rec)}
				rec.Redrives, rec.Checks = lim.MaxRedrives, lim.MaxChecks
				plan, err := Redrive(rec, in, lim, t0)
				if err != nil {
					t.Fatal(err)
				}
				if k == KindCampaign && s == Pending {
					// A wait on other records counts nothing and never gives up.
					if plan.Outcome == OutcomeGaveUp {
						t.Fatalf("gave up on a record waiting on others")
					}
					return
				}
				if plan.Outcome != OutcomeGaveUp || len(plan.Emit) != 1 {
					t.Fatalf("past the maximum: %s with %v, want the failed event alone", plan.Outcome, types(plan.Emit))
				}
				failed := plan.Emit[0]
				if got, want := string(failed.To)+":"+string(failed.Envelope.Type)+":"+failed.Envelope.EntityID,
					"events:"+string(k)+".failed:"+rec.ID; got != want {
					t.Errorf("gives up with %s, want %s", got, want)
				}
				checkSweeperEnvelope(t, rec, failed.Envelope)

				// The table accepts the give-up in every watched state and
				// records the timeout (decided by a replica on its flow).
				d, err := Decide(&rec, failed.Envelope, Facts{Flow: rec.Flow}, t0)
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
				if d.Next.Redrives != 0 || d.Next.Checks != 0 {
					t.Errorf("counters after the failure = %d, %d, want 0 (a new state starts a new count)", d.Next.Redrives, d.Next.Checks)
				}
			})
		}
	}
	t.Run("checks have their own maximum", func(t *testing.T) {
		rec := *recs[KindCampaign][CarrierReview]
		var obs []Observation
		for _, l := range Lookups(rec) {
			obs = append(obs, Observation{Lookup: l, Found: true})
		}
		rec.Redrives, rec.Checks = lim.MaxRedrives, lim.MaxChecks-1
		plan, err := Redrive(rec, Recovery{Observations: obs}, lim, t0)
		if err != nil || plan.Outcome != OutcomeChecked {
			t.Fatalf("check %d of %d with every re-drive spent: %s, %v; want checked", rec.Checks+1, lim.MaxChecks, plan.Outcome, err)
		}
		rec.Checks = lim.MaxChecks
		if plan, _ = Redrive(rec, Recovery{Observations: obs}, lim, t0); plan.Outcome != OutcomeGaveUp {
			t.Errorf("check past the maximum: %s, want %s", plan.Outcome, OutcomeGaveUp)
		}
	})
}

func TestRedriveEventIDs(t *testing.T) {
	recs := waitingRecords(t)
	rec := *recs[KindCampaign][CarrierReview]
	// The carriers accepted their commands and lost them: each re-drive
	// sends them under new keys.
	rec.Commands = maps.Clone(rec.Commands)
	for d, c := range rec.Commands {
		c.AcceptedAt = t0
		rec.Commands[d] = c
	}
	id := func(r Record, i int) string {
		t.Helper()
		plan, err := Redrive(r, Recovery{Observations: notFound(r)}, lim, t0)
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
	for name, next := range map[string]func(*Record){
		"re-drive": func(r *Record) { r.Redrives++ },
		"check":    func(r *Record) { r.Checks++ },
		"stay":     func(r *Record) { r.StateEnteredAt = r.StateEnteredAt.Add(time.Millisecond) },
		"wait":     func(r *Record) { r.WaitSince = r.WaitSince.Add(time.Millisecond) },
	} {
		r := rec
		next(&r)
		if id(r, 0) == first {
			t.Errorf("after another %s the re-drive reuses the previous id", name)
		}
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
		{"a record that is not watched", verified, ErrNotWaiting},
		{"a registration that is not valid", noData, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Redrive(tt.rec, Recovery{Observations: notFound(tt.rec)}, lim, t0); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestWaitStartsOnStateEntryAndSurvivesSelfLoops(t *testing.T) {
	recs := waitingRecords(t)
	rec := *recs[KindCampaign][CarrierReview]
	rec.WaitSince = t0.Add(time.Hour) // a carrier's acceptance, recorded later
	rec.Checks = 2
	later := t0.Add(2 * time.Hour)
	d, err := Decide(&rec, env(t, CampaignCarrierApproved, "c1", CarrierUpdate{Carrier: CarrierVerizon}), Facts{}, later)
	if err != nil {
		t.Fatal(err)
	}
	mustTransition(t, d, CarrierReview)
	if !d.Next.WaitSince.Equal(rec.WaitSince) || d.Next.Checks != 2 {
		t.Errorf("a self-loop moved the wait to %v (checks %d), want it kept at %v (2)", d.Next.WaitSince, d.Next.Checks, rec.WaitSince)
	}
	d, err = Decide(&d.Next, env(t, CampaignCarrierApproved, "c1", CarrierUpdate{Carrier: CarrierTMobile}), Facts{}, later)
	if err != nil {
		t.Fatal(err)
	}
	mustTransition(t, d, Approved)
	if !d.Next.WaitSince.Equal(later) || d.Next.Checks != 0 {
		t.Errorf("a new state's wait starts at %v (checks %d), want %v (0)", d.Next.WaitSince, d.Next.Checks, later)
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
