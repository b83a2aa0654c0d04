package tcrsim

import (
	"errors"
	"fmt"

	"github.com/tendlc/tendlc/infra/tcr"
	"github.com/tendlc/tendlc/statemachine"
)

// The number endpoints. The path carries this system's number id, which the
// webhooks echo in "number"; the body (statemachine.NumberRegistration) names
// the campaign.

// registerNumber: 202, then NUMBER_REGISTRATION_UPDATE REGISTERED, or FAILED
// at its rate.
func (s *Simulator) registerNumber(r request) (answer, []*event, error) {
	p, err := statemachine.DecodePayload[statemachine.NumberRegistration](r.body)
	if err != nil {
		return answer{}, nil, fmt.Errorf("decode number: %w", err)
	}
	if p.CampaignID == "" {
		return answer{}, nil, errors.New("number: campaign_id is required")
	}
	e := tcr.WebhookEvent{EventType: tcr.EventNumberRegistrationUpdate, CampaignID: p.CampaignID, Number: r.id, NumberStatus: tcr.NumberRegistered}
	if s.rnd.decide(s.cfg.Rejections[RejectNumbers], string(RejectNumbers), r.id, string(r.body)) {
		e.NumberStatus, e.Description = tcr.NumberFailed, "carrier refused the number registration"
	}
	pl := s.plan(r)
	pl.then(StepNumbers, e)
	return accepted(externalID("PN", r.id)), pl.events, nil
}

// deregisterNumber: 202, then NUMBER_DEREGISTRATION_UPDATE DEREGISTERED. The
// body is optional.
func (s *Simulator) deregisterNumber(r request) (answer, []*event, error) {
	p, err := statemachine.DecodePayload[statemachine.NumberRegistration](r.body)
	if err != nil {
		return answer{}, nil, fmt.Errorf("decode number: %w", err)
	}
	pl := s.plan(r)
	pl.then(StepNumbers, tcr.WebhookEvent{EventType: tcr.EventNumberDeregistrationUpdate, CampaignID: p.CampaignID, Number: r.id, NumberStatus: tcr.NumberDeregistered})
	return accepted(externalID("PN", r.id)), pl.events, nil
}
