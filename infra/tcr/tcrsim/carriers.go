package tcrsim

import (
	"fmt"

	"github.com/tendlc/tendlc/infra/tcr"
	"github.com/tendlc/tendlc/statemachine"
)

// submitToCarrier returns the decision of one carrier's endpoint: 202, then
// MNO_CAMPAIGN_OPERATION_REVIEW after the carrier's delay, then _APPROVED or
// (at the carrier's rejection rate) _REJECTED with code 30899 after another.
func (s *Simulator) submitToCarrier(c statemachine.Carrier) func(request) (answer, []*event, error) {
	return func(r request) (answer, []*event, error) {
		p, err := statemachine.DecodePayload[statemachine.CarrierUpdate](r.body)
		if err != nil {
			return answer{}, nil, fmt.Errorf("decode carrier submission: %w", err)
		}
		if p.Carrier != "" && p.Carrier != c {
			return answer{}, nil, fmt.Errorf("carrier submission: body names %q, path %q", p.Carrier, c)
		}
		mno := tcr.WebhookEvent{CampaignID: r.id, MNOID: c.MNOID(), MNOName: tcr.MNOName(c)}
		review, verdict := mno, mno
		review.EventType, verdict.EventType = tcr.EventMNOReview, tcr.EventMNOApproved
		if s.rnd.decide(s.cfg.Rejections[Rejection(c)], string(c), r.id, string(r.body)) {
			verdict.EventType = tcr.EventMNORejected
			verdict.Code, verdict.Description = statemachine.CodeCarrierRejection, "carrier rejected the campaign"
		}
		pl := s.plan(r)
		pl.then(Step(c), review)
		pl.then(Step(c), verdict)
		return accepted(""), pl.events, nil
	}
}
