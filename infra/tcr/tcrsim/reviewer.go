package tcrsim

import (
	"github.com/tendlc/tendlc/infra/tcr"
	"github.com/tendlc/tendlc/statemachine"
)

// review adds the automatic reviewer's verdict on a campaign to its plan,
// after the reviewer's own delay: CAMPAIGN_SHARE_ACCEPT, or at the reviewer's
// rejection rate CAMPAIGN_SHARE_DELETE with code 30893. The verdict is the
// same for the same submission body (a re-send after a loss), new for an
// edited one.
func (s *Simulator) review(pl *plan, brandID, campaignID string, body []byte) {
	e := tcr.WebhookEvent{EventType: tcr.EventCampaignShareAccept, BrandID: brandID, CampaignID: campaignID}
	if s.rnd.decide(s.cfg.Rejections[RejectReviewer], string(RejectReviewer), campaignID, string(body)) {
		e.EventType = tcr.EventCampaignShareDelete
		e.Code, e.Description = statemachine.CodeSampleMismatch, "sample message does not match the use case"
	}
	pl.then(StepReviewer, e)
}
