package statemachine

// Brand states that may run campaigns.
var brandUsable = []State{Verified, VettedVerified}

// brandBarred are the brand states whose campaigns may not run: a PENDING
// campaign's submission rejects it (see CampaignSubmit).
var brandBarred = []State{Failed, Unverified, Deleted}

// brandLive are the states of a brand that exists and is not deleted or failed.
var brandLive = []State{Pending, Submitted, Verified, Unverified, Vetting, VettedVerified, Suspended}

var brandSpec = kindSpec{
	BrandRegister: {
		class: request,
		moves: []move{{name: string(BrandRegister), src: []State{StateNone}, dst: Pending}},
		done:  []State{Pending, Submitted, Verified, Unverified, Vetting, VettedVerified, Suspended, Deleted, Failed},
		guard: func(d *decider) (string, *verdict) {
			reg := payload[BrandRegistration](d)
			d.next.Data = d.env.Payload
			d.send(ToRegistry, CmdSubmitBrand, d.next.ID, reg)
			return string(BrandRegister), nil
		},
	},
	BrandSubmitted: {
		class: answer,
		moves: []move{{name: string(BrandSubmitted), src: []State{Pending}, dst: Submitted}},
		guard: func(d *decider) (string, *verdict) {
			d.next.ExternalID = payload[Receipt](d).ExternalID
			return string(BrandSubmitted), nil
		},
	},
	BrandVerified: {
		class: answer,
		moves: []move{{name: string(BrandVerified), src: []State{Submitted}, dst: Verified}},
		early: []State{Pending}, // the identity webhook overtook the dispatcher's answer
		guard: waking(always(BrandVerified)),
	},
	BrandUnverified: {
		class: answer,
		moves: []move{{name: string(BrandUnverified), src: []State{Submitted}, dst: Unverified}},
		early: []State{Pending},
		guard: waking(withReason(BrandUnverified)),
	},
	BrandRevetRequested: {
		class: request,
		moves: []move{{name: string(BrandRevetRequested), src: []State{Unverified, Verified}, dst: Vetting}},
		early: []State{Pending, Submitted}, // identity not known yet
		done:  []State{Vetting, VettedVerified},
		guard: func(d *decider) (string, *verdict) {
			d.send(ToRegistry, CmdRevetBrand, d.next.ID, Empty{})
			return string(BrandRevetRequested), nil
		},
	},
	BrandVetted: {
		class: answer,
		moves: []move{{name: string(BrandVetted), src: []State{Vetting}, dst: VettedVerified}},
		guard: waking(always(BrandVetted)),
	},
	BrandVetFailed: {
		class: answer,
		moves: []move{{name: string(BrandVetFailed), src: []State{Vetting}, dst: Unverified}},
		guard: waking(withReason(BrandVetFailed)),
	},
	BrandScoreUpdated: {class: answer}, // informational: counted, never moves a record
	BrandSuspended: {
		class: answer,
		moves: []move{{name: string(BrandSuspended), src: []State{Verified, Unverified, Vetting, VettedVerified}, dst: Suspended}},
		early: []State{Pending, Submitted},
		guard: withReason(BrandSuspended),
	},
	BrandUnsuspended: {
		class: answer,
		// A reinstated brand is verified again; its vetting, if any, is
		// re-requested by the producer.
		moves: []move{{name: string(BrandUnsuspended), src: []State{Suspended}, dst: Verified}},
		guard: waking(func(d *decider) (string, *verdict) {
			d.next.Reason = nil
			return string(BrandUnsuspended), nil
		}),
	},
	BrandDeleteRequested: {
		class: request,
		moves: []move{{name: string(BrandDeleteRequested), src: brandLive, dst: Deleted}},
		done:  []State{Deleted},
		// Waking as every move into DELETED is, though it finds no PENDING
		// campaign: it refuses while the brand has live ones.
		guard: waking(func(d *decider) (string, *verdict) {
			if d.facts.LiveChildren > 0 {
				return "", rejectBecause("brand has live campaigns", 0)
			}
			if d.next.ExternalID != "" {
				d.send(ToRegistry, CmdDeleteBrand, d.next.ID, Empty{})
			}
			return string(BrandDeleteRequested), nil
		}),
	},
	BrandDeleted: {
		class: answer,
		moves: []move{{name: string(BrandDeleted), src: brandLive, dst: Deleted}},
		guard: waking(always(BrandDeleted)),
	},
	BrandFailed: {
		class: answer,
		moves: []move{{name: string(BrandFailed), src: []State{Pending, Submitted, Vetting}, dst: Failed}},
		guard: waking(withReason(BrandFailed)),
	},
}

// always is the guard of a move that always fires and changes no data.
func always(t EventType) guard {
	return func(*decider) (string, *verdict) { return string(t), nil }
}

// withReason is the guard of a move that records the Reason payload.
func withReason(t EventType) guard {
	return func(d *decider) (string, *verdict) {
		d.setReason(payload[Reason](d))
		return string(t), nil
	}
}
