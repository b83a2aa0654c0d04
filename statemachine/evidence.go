package statemachine

import (
	"maps"
	"slices"
)

// Flow v2 puts the registry's review of a campaign's opt-in evidence between
// the reviewer's approval and the carriers' review: campaign.review_approved
// moves an IN_REVIEW campaign to EVIDENCE_REVIEW and sends the evidence to
// the registry (registry.submit_evidence) instead of the carriers' submits;
// campaign.evidence_approved moves it on to CARRIER_REVIEW and sends those;
// campaign.evidence_rejected rejects it (30909 unless the registry names a
// code). Carrier answers in EVIDENCE_REVIEW are early; resubmission, expiry,
// deletion and failure apply as in the other open states. Every other cell
// follows from the main path, as in v1. Brands and numbers are unchanged.
//
// A replica that delegates the step (Facts.Delegate has StepEvidence) sends
// temporal.evidence_review to the bridge's queue instead of the evidence to
// the registry; the workflow's result comes back as the same evidence events
// (or campaign.failed), so the rest of the table is the same.

// campaignStatesV2, campaignPathV2 and campaignEventsV2 are v1's with the
// step: EVIDENCE_REVIEW after IN_REVIEW, the evidence events last.
var (
	campaignStatesV2 = insertAfter(statesByKind[KindCampaign], InReview, EvidenceReview)
	campaignPathV2   = insertAfter(mainPath[KindCampaign], InReview, EvidenceReview)
	campaignEventsV2 = append(slices.Clone(eventsByKind[KindCampaign]), CampaignEvidenceApproved, CampaignEvidenceRejected)
)

// campaignSpecV2 is the campaign table of flow v2.
var campaignSpecV2 = func() kindSpec {
	s := maps.Clone(campaignSpec)
	edit := func(t EventType, f func(*eventSpec)) {
		e := s[t]
		e.moves = slices.Clone(e.moves)
		f(&e)
		s[t] = e
	}
	// Where an open state is listed, EVIDENCE_REVIEW is one.
	for _, t := range []EventType{CampaignRegister, CampaignResubmit} {
		edit(t, func(e *eventSpec) { e.done = insertAfter(e.done, InReview, EvidenceReview) })
	}
	for _, t := range []EventType{CampaignExpired, CampaignDeleteRequested, CampaignFailed} {
		edit(t, func(e *eventSpec) {
			for i := range e.moves {
				e.moves[i].src = insertAfter(e.moves[i].src, InReview, EvidenceReview)
			}
		})
	}
	// A carrier's answer before the evidence decision reached us.
	for _, t := range []EventType{CampaignCarrierReview, CampaignCarrierApproved, CampaignCarrierRejected} {
		edit(t, func(e *eventSpec) { e.early = insertAfter(e.early, InReview, EvidenceReview) })
	}
	edit(CampaignReviewApproved, func(e *eventSpec) {
		e.moves = []move{{name: string(CampaignReviewApproved), src: []State{InReview}, dst: EvidenceReview}}
		e.guard = func(d *decider) (string, *verdict) {
			ev := evidenceOf(stored[CampaignRegistration](d))
			if slices.Contains(d.facts.Delegate, StepEvidence) {
				d.send(ToTemporal, CmdDelegateEvidence, d.next.ID, DelegatedEvidence{CampaignID: d.next.ID, Evidence: ev})
			} else {
				// A command to the bridge of an earlier stay is no longer
				// the step's: the registry reviews this one.
				delete(d.next.Commands, ToTemporal)
				d.send(ToRegistry, CmdSubmitEvidence, d.next.ID, ev)
			}
			return string(CampaignReviewApproved), nil
		}
	})
	s[CampaignEvidenceApproved] = eventSpec{
		class: answer,
		moves: []move{{name: string(CampaignEvidenceApproved), src: []State{EvidenceReview}, dst: CarrierReview}},
		guard: func(d *decider) (string, *verdict) {
			d.submitToCarriers()
			return string(CampaignEvidenceApproved), nil
		},
	}
	s[CampaignEvidenceRejected] = eventSpec{
		class: answer,
		moves: []move{{name: string(CampaignEvidenceRejected), src: []State{EvidenceReview}, dst: Rejected}},
		guard: func(d *decider) (string, *verdict) {
			r := payload[Reason](d)
			if r.Code == 0 {
				r.Code = CodeOptInUnverified
			}
			d.setReason(r)
			return string(CampaignEvidenceRejected), nil
		},
	}
	return s
}()

// evidenceOf is the opt-in evidence of a campaign's registration, as the
// registry reviews it.
func evidenceOf(reg CampaignRegistration) Evidence {
	return Evidence{UseCase: reg.UseCase, Description: reg.Description, SampleMessages: reg.SampleMessages}
}

// insertAfter returns a copy of states with s after the first after, or
// states itself when after is absent.
func insertAfter(states []State, after, s State) []State {
	i := slices.Index(states, after)
	if i < 0 {
		return states
	}
	return slices.Insert(slices.Clone(states), i+1, s)
}
