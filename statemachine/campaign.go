package statemachine

import "slices"

// Fsm event suffixes for guards that choose between destinations.
const (
	outcomeAll         = ":all"          // the last carrier or number settled
	outcomeBrandFailed = ":brand_failed" // the brand can never run campaigns
)

// campaignOpen are the states of a campaign that has not ended (flow v2
// adds EVIDENCE_REVIEW).
var campaignOpen = []State{Pending, TCRPending, InReview, CarrierReview, Approved, NumbersPending}

var campaignSpec = kindSpec{
	CampaignRegister: {
		class: request,
		moves: []move{{name: string(CampaignRegister), src: []State{StateNone}, dst: Pending}},
		done: []State{Pending, TCRPending, InReview, CarrierReview, Approved, NumbersPending, Active,
			Rejected, Suspended, Expired, Deleted, Failed},
		guard: func(d *decider) (string, *verdict) {
			reg := payload[CampaignRegistration](d)
			d.next.Data = d.env.Payload
			d.next.ParentID = reg.BrandID
			d.send(ToEvents, CampaignSubmit, d.next.ID, Empty{})
			return string(CampaignRegister), nil
		},
	},
	CampaignSubmit: {
		class: followUp,
		moves: []move{
			{name: string(CampaignSubmit), src: []State{Pending}, dst: TCRPending},
			{name: string(CampaignSubmit) + outcomeBrandFailed, src: []State{Pending}, dst: Rejected},
		},
		guard: func(d *decider) (string, *verdict) {
			b := d.facts.Brand
			switch {
			case b == nil:
				// The brand's registration may still be on its way (producers
				// send both at once); the retry policy bounds the wait.
				return "", deferBecause("brand not registered yet")
			case slices.Contains(brandUsable, b.State):
				d.submitToRegistry()
				return string(CampaignSubmit), nil
			case slices.Contains(brandBarred, b.State):
				d.setReason(Reason{Code: CodeInvalidEIN, Description: "brand " + string(b.State)})
				return string(CampaignSubmit) + outcomeBrandFailed, nil
			default: // PENDING, SUBMITTED, VETTING, SUSPENDED: may still become usable
				// The brand's move out of here wakes this campaign (see waking);
				// the retry policy bounds the wait if the wake-up misses it.
				return "", deferBecause("brand not verified yet")
			}
		},
	},
	CampaignRegistryAccepted: {
		class: answer,
		moves: []move{{name: string(CampaignRegistryAccepted), src: []State{TCRPending}, dst: InReview}},
		guard: func(d *decider) (string, *verdict) {
			if id := payload[Receipt](d).ExternalID; id != "" {
				d.next.ExternalID = id
			}
			return string(CampaignRegistryAccepted), nil
		},
	},
	CampaignRegistryRejected: {
		class: answer,
		moves: []move{{name: string(CampaignRegistryRejected), src: []State{TCRPending}, dst: Rejected}},
		guard: withReason(CampaignRegistryRejected),
	},
	CampaignReviewApproved: {
		class: answer,
		moves: []move{{name: string(CampaignReviewApproved), src: []State{InReview}, dst: CarrierReview}},
		early: []State{TCRPending}, // the reviewer's webhook overtook the registry's answer
		guard: func(d *decider) (string, *verdict) {
			d.submitToCarriers()
			return string(CampaignReviewApproved), nil
		},
	},
	CampaignReviewRejected: {
		class: answer,
		moves: []move{{name: string(CampaignReviewRejected), src: []State{InReview}, dst: Rejected}},
		early: []State{TCRPending},
		guard: withReason(CampaignReviewRejected),
	},
	CampaignCarrierReview: {
		class: answer,
		moves: []move{{name: string(CampaignCarrierReview), src: []State{CarrierReview}, dst: CarrierReview}},
		early: []State{TCRPending, InReview},
		guard: func(d *decider) (string, *verdict) {
			u := payload[CarrierUpdate](d)
			if d.next.Carriers[u.Carrier] != CarrierPending {
				return "", ignoreBecause("carrier already answered")
			}
			d.next.Carriers[u.Carrier] = CarrierInReview
			d.noteCarrier(u.Carrier, CarrierInReview, []CarrierStatus{CarrierPending}, nil)
			return string(CampaignCarrierReview), nil
		},
	},
	CampaignCarrierApproved: {
		class: answer,
		moves: []move{
			{name: string(CampaignCarrierApproved), src: []State{CarrierReview}, dst: CarrierReview},
			{name: string(CampaignCarrierApproved) + outcomeAll, src: []State{CarrierReview}, dst: Approved},
		},
		early: []State{TCRPending, InReview}, // a carrier answered before the reviewer's decision reached us
		guard: func(d *decider) (string, *verdict) {
			u := payload[CarrierUpdate](d)
			if d.next.Carriers[u.Carrier] == CarrierApproved {
				return "", ignoreBecause("carrier already approved")
			}
			d.next.Carriers[u.Carrier] = CarrierApproved
			if !d.allCarriers(CarrierApproved) {
				d.noteCarrier(u.Carrier, CarrierApproved, carrierUndecided, []CarrierStatus{CarrierApproved})
				return string(CampaignCarrierApproved), nil
			}
			d.send(ToEvents, CampaignNumbersRequested, d.next.ID, Empty{})
			return string(CampaignCarrierApproved) + outcomeAll, nil
		},
	},
	CampaignCarrierRejected: {
		class: answer,
		moves: []move{{name: string(CampaignCarrierRejected), src: []State{CarrierReview}, dst: Rejected}},
		early: []State{TCRPending, InReview},
		guard: func(d *decider) (string, *verdict) {
			u := payload[CarrierUpdate](d)
			d.next.Carriers[u.Carrier] = CarrierRejected
			code := u.Code
			if code == 0 {
				code = CodeCarrierRejection
			}
			d.setReason(Reason{Code: code, Description: string(u.Carrier) + ": " + u.Description})
			return string(CampaignCarrierRejected), nil
		},
	},
	CampaignCarrierSuspended: {
		class: answer,
		moves: []move{
			{name: string(CampaignCarrierSuspended), src: []State{Active, Suspended}, dst: Suspended},
		},
		early: []State{Approved, NumbersPending}, // applies once the campaign is active
		guard: func(d *decider) (string, *verdict) {
			u := payload[CarrierUpdate](d)
			if d.next.Carriers[u.Carrier] == CarrierSuspended {
				return "", ignoreBecause("carrier already suspended")
			}
			d.next.Carriers[u.Carrier] = CarrierSuspended
			d.setReason(Reason{Code: u.Code, Description: string(u.Carrier) + " suspended: " + u.Description})
			return string(CampaignCarrierSuspended), nil
		},
	},
	CampaignCarrierUnsuspended: {
		class: answer,
		moves: []move{
			{name: string(CampaignCarrierUnsuspended), src: []State{Suspended}, dst: Suspended},
			{name: string(CampaignCarrierUnsuspended) + outcomeAll, src: []State{Suspended}, dst: Active},
		},
		early: []State{Approved, NumbersPending},
		guard: func(d *decider) (string, *verdict) {
			u := payload[CarrierUpdate](d)
			if d.next.Carriers[u.Carrier] != CarrierSuspended {
				return "", ignoreBecause("carrier not suspended")
			}
			d.next.Carriers[u.Carrier] = CarrierApproved
			if !d.allCarriers(CarrierApproved) {
				return string(CampaignCarrierUnsuspended), nil
			}
			d.next.Reason = nil
			return string(CampaignCarrierUnsuspended) + outcomeAll, nil
		},
	},
	CampaignNumbersRequested: {
		class: followUp,
		moves: []move{{name: string(CampaignNumbersRequested), src: []State{Approved}, dst: NumbersPending}},
		guard: func(d *decider) (string, *verdict) {
			reg := stored[CampaignRegistration](d)
			d.next.Numbers = map[string]NumberStatus{}
			for _, n := range reg.Numbers {
				d.next.Numbers[n] = NumberPendingStatus
				d.send(ToEvents, NumberRegister, n, NumberRegistration{CampaignID: d.next.ID, Number: n})
			}
			return string(CampaignNumbersRequested), nil
		},
	},
	CampaignNumberSettled: {
		class: followUp,
		moves: []move{
			{name: string(CampaignNumberSettled), src: []State{NumbersPending}, dst: NumbersPending},
			{name: string(CampaignNumberSettled) + outcomeAll, src: []State{NumbersPending}, dst: Active},
		},
		early: []State{Approved},
		guard: func(d *decider) (string, *verdict) {
			s := payload[NumberSettled](d)
			cur, ok := d.next.Numbers[s.Number]
			if !ok {
				return "", rejectBecause("number not in campaign", 0)
			}
			if cur != NumberPendingStatus {
				return "", ignoreBecause("number already settled")
			}
			d.next.Numbers[s.Number] = s.Status
			for _, st := range d.next.Numbers {
				if st == NumberPendingStatus {
					d.noteNumber(s.Number, s.Status)
					return string(CampaignNumberSettled), nil
				}
			}
			return string(CampaignNumberSettled) + outcomeAll, nil
		},
	},
	CampaignResubmit: {
		class: request,
		moves: []move{{name: string(CampaignResubmit), src: []State{Rejected}, dst: TCRPending}},
		done:  []State{TCRPending, InReview, CarrierReview},
		guard: func(d *decider) (string, *verdict) {
			if r := d.next.Reason; r != nil && r.Code == CodeHighRisk {
				return "", rejectBecause("not resubmittable", CodeHighRisk)
			}
			if b := d.facts.Brand; b == nil || !slices.Contains(brandUsable, b.State) {
				return "", rejectBecause("brand not verified", CodeBrandStillPending)
			}
			edit := payload[Resubmission](d)
			reg := stored[CampaignRegistration](d)
			if edit.Description != "" {
				reg.Description = edit.Description
			}
			if len(edit.SampleMessages) > 0 {
				reg.SampleMessages = edit.SampleMessages
			}
			d.next.Data = encode(d, reg)
			d.next.Reason = nil
			d.next.Carriers = nil
			d.submitToRegistry()
			return string(CampaignResubmit), nil
		},
	},
	CampaignExpired: {
		class: answer,
		moves: []move{{name: string(CampaignExpired), src: []State{Pending, TCRPending, InReview, CarrierReview,
			Approved, NumbersPending, Active, Rejected, Suspended}, dst: Expired}},
		guard: always(CampaignExpired),
	},
	CampaignDeleteRequested: {
		class: request,
		moves: []move{{name: string(CampaignDeleteRequested), src: []State{Pending, TCRPending, InReview,
			CarrierReview, Approved, NumbersPending, Active, Rejected, Suspended, Expired, Failed}, dst: Deleted}},
		done: []State{Deleted},
		guard: func(d *decider) (string, *verdict) {
			if d.next.ExternalID != "" {
				d.send(ToRegistry, CmdDeleteCampaign, d.next.ID, Empty{})
			}
			for _, n := range sortedKeys(d.next.Numbers) {
				if d.next.Numbers[n] == NumberRegisteredStatus {
					d.send(ToEvents, NumberDeregister, n, Empty{})
				}
			}
			return string(CampaignDeleteRequested), nil
		},
	},
	CampaignFailed: {
		class: answer,
		moves: []move{{name: string(CampaignFailed), src: campaignOpen, dst: Failed}},
		guard: withReason(CampaignFailed),
	},
}

// submitToRegistry emits the registry submission of the campaign's current
// registration.
func (d *decider) submitToRegistry() {
	d.send(ToRegistry, CmdSubmitCampaign, d.next.ID, stored[CampaignRegistration](d))
}

// submitToCarriers sends the campaign to every carrier's review, each
// pending.
func (d *decider) submitToCarriers() {
	d.next.Carriers = map[Carrier]CarrierStatus{}
	for _, c := range Carriers {
		d.next.Carriers[c] = CarrierPending
		d.send(c.Destination(), CmdCarrierSubmit, d.next.ID, CarrierUpdate{Carrier: c})
	}
}

// allCarriers reports whether every carrier's status is s.
func (d *decider) allCarriers(s CarrierStatus) bool {
	for _, c := range Carriers {
		if d.next.Carriers[c] != s {
			return false
		}
	}
	return true
}
