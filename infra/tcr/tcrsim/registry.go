package tcrsim

import (
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"

	"github.com/tendlc/tendlc/infra/tcr"
	"github.com/tendlc/tendlc/statemachine"
)

// The registry endpoints. Ids are not checked against one another (a campaign
// of an unknown brand is accepted): the simulator plays the downstreams'
// answers, not their bookkeeping, and survives a restart mid-run.

// submitBrand: 201 and later BRAND_IDENTITY_STATUS_UPDATE (SELF_DECLARED for a
// sole proprietor, UNVERIFIED at its rate, VERIFIED otherwise); or 400 code
// 30795 at the invalid-EIN rate.
func (s *Simulator) submitBrand(r request) (answer, []*event, error) {
	p, err := statemachine.DecodePayload[statemachine.BrandRegistration](r.body)
	if err != nil {
		return answer{}, nil, fmt.Errorf("decode brand: %w", err)
	}
	if p.LegalName == "" || p.EntityType == "" {
		return answer{}, nil, errors.New("brand: legal_name and entity_type are required")
	}
	soleProprietor := p.EntityType == "SOLE_PROPRIETOR"
	if !soleProprietor && s.rnd.decide(s.cfg.Rejections[RejectInvalidEIN], string(RejectInvalidEIN), r.id, string(r.body)) {
		return rejected(statemachine.CodeInvalidEIN, "invalid EIN"), nil, nil
	}
	e := tcr.WebhookEvent{EventType: tcr.EventBrandIdentityStatusUpdate, BrandID: r.id, BrandIdentityStatus: tcr.IdentityVerified}
	switch {
	case soleProprietor:
		e.BrandIdentityStatus = tcr.IdentitySelfDeclared
	case s.rnd.decide(s.cfg.Rejections[RejectUnverified], string(RejectUnverified), r.id, string(r.body)):
		e.BrandIdentityStatus = tcr.IdentityUnverified
		e.Code, e.Description = statemachine.CodeInvalidEIN, "EIN does not match the legal name"
	}
	pl := s.plan(r)
	pl.then(StepRegistry, e)
	return created(externalID("B", r.id)), pl.events, nil
}

// revetBrand: 202 and later BRAND_REVET, VETTED_VERIFIED or (at its rate)
// UNVERIFIED with code 30902.
func (s *Simulator) revetBrand(r request) (answer, []*event, error) {
	e := tcr.WebhookEvent{EventType: tcr.EventBrandRevet, BrandID: r.id, BrandIdentityStatus: tcr.IdentityVettedVerified}
	if s.rnd.decide(s.cfg.Rejections[RejectRevet], string(RejectRevet), r.id, string(r.body)) {
		e.BrandIdentityStatus = tcr.IdentityUnverified
		e.Code, e.Description = statemachine.CodePartnerRejection, "secondary vetting did not verify the brand"
	}
	pl := s.plan(r)
	pl.then(StepRevet, e)
	return accepted(externalID("B", r.id)), pl.events, nil
}

// deleteBrand: 204 and later BRAND_DELETE.
func (s *Simulator) deleteBrand(r request) (answer, []*event, error) {
	pl := s.plan(r)
	pl.then(StepRegistry, tcr.WebhookEvent{EventType: tcr.EventBrandDelete, BrandID: r.id})
	return noContent(), pl.events, nil
}

// submitCampaign: 201, CAMPAIGN_ADD after the registry's delay, then the
// automatic reviewer's verdict; or 400 code 30885 at the high-risk rate.
func (s *Simulator) submitCampaign(r request) (answer, []*event, error) {
	p, err := statemachine.DecodePayload[statemachine.CampaignRegistration](r.body)
	if err != nil {
		return answer{}, nil, fmt.Errorf("decode campaign: %w", err)
	}
	if p.BrandID == "" {
		return answer{}, nil, errors.New("campaign: brand_id is required")
	}
	if s.rnd.decide(s.cfg.Rejections[RejectHighRisk], string(RejectHighRisk), r.id, string(r.body)) {
		return rejected(statemachine.CodeHighRisk, "high-risk campaign; not resubmittable"), nil, nil
	}
	pl := s.plan(r)
	pl.then(StepRegistry, tcr.WebhookEvent{EventType: tcr.EventCampaignAdd, BrandID: p.BrandID, CampaignID: r.id})
	s.review(pl, p.BrandID, r.id, r.body)
	return created(externalID("C", r.id)), pl.events, nil
}

// deleteCampaign: 204, no webhook.
func (s *Simulator) deleteCampaign(request) (answer, []*event, error) {
	return noContent(), nil, nil
}

// externalID is the downstream's id of a record: a prefix and six characters
// derived from this system's id, so that it is stable across resubmissions
// and restarts.
func externalID(prefix, id string) string {
	sum := sha256.Sum256([]byte(id))
	return prefix + base32.StdEncoding.EncodeToString(sum[:])[:6]
}
