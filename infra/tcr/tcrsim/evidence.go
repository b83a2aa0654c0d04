package tcrsim

import (
	"errors"
	"fmt"

	"github.com/tendlc/tendlc/infra/tcr"
	"github.com/tendlc/tendlc/statemachine"
)

// submitEvidence: 202 and later the registry's review of the campaign's
// opt-in evidence (flow v2): CAMPAIGN_EVIDENCE_APPROVED or, at its rate,
// CAMPAIGN_EVIDENCE_REJECTED with code 30909.
func (s *Simulator) submitEvidence(r request) (answer, []*event, error) {
	p, err := statemachine.DecodePayload[statemachine.Evidence](r.body)
	if err != nil {
		return answer{}, nil, fmt.Errorf("decode evidence: %w", err)
	}
	if len(p.SampleMessages) == 0 {
		return answer{}, nil, errors.New("evidence: sample_messages is required")
	}
	e := tcr.WebhookEvent{EventType: tcr.EventCampaignEvidenceApproved, CampaignID: r.id}
	if s.rnd.decide(s.cfg.Rejections[RejectEvidence], string(RejectEvidence), r.id, string(r.body)) {
		e.EventType = tcr.EventCampaignEvidenceRejected
		e.Code, e.Description = statemachine.CodeOptInUnverified, "the opt-in evidence could not be verified"
	}
	pl := s.plan(r)
	pl.then(StepEvidence, e)
	return accepted(externalID("C", r.id)), pl.events, nil
}
