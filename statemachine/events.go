package statemachine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
)

// Brand events.
const (
	BrandRegister        EventType = "brand.register"         // producer: a new brand; creates the record
	BrandSubmitted       EventType = "brand.submitted"        // dispatcher: the registry accepted the submission
	BrandVerified        EventType = "brand.verified"         // webhook: identity VERIFIED or SELF_DECLARED
	BrandUnverified      EventType = "brand.unverified"       // webhook: identity UNVERIFIED
	BrandRevetRequested  EventType = "brand.revet_requested"  // producer or operator: ask for secondary vetting
	BrandVetted          EventType = "brand.vetted"           // webhook: vetting ended VETTED_VERIFIED
	BrandVetFailed       EventType = "brand.vet_failed"       // webhook: vetting ended UNVERIFIED
	BrandScoreUpdated    EventType = "brand.score_updated"    // webhook: informational score change
	BrandSuspended       EventType = "brand.suspended"        // webhook: the registry suspended the brand
	BrandUnsuspended     EventType = "brand.unsuspended"      // webhook: suspension lifted
	BrandDeleteRequested EventType = "brand.delete_requested" // producer: delete the brand
	BrandDeleted         EventType = "brand.deleted"          // webhook: the registry deleted the brand
	BrandFailed          EventType = "brand.failed"           // dispatcher or sweeper: permanent failure with a reason
)

// Campaign events.
const (
	CampaignRegister           EventType = "campaign.register"            // producer: a new campaign; creates the record
	CampaignSubmit             EventType = "campaign.submit"              // follow-up: submit once the brand is verified
	CampaignRegistryAccepted   EventType = "campaign.registry_accepted"   // dispatcher or webhook: the registry took it; manual vetting starts
	CampaignRegistryRejected   EventType = "campaign.registry_rejected"   // dispatcher: the registry refused it
	CampaignReviewApproved     EventType = "campaign.review_approved"     // reviewer: vetting approved; carriers review next
	CampaignReviewRejected     EventType = "campaign.review_rejected"     // reviewer: vetting rejected
	CampaignCarrierReview      EventType = "campaign.carrier_review"      // webhook: one carrier is reviewing
	CampaignCarrierApproved    EventType = "campaign.carrier_approved"    // webhook: one carrier approved
	CampaignCarrierRejected    EventType = "campaign.carrier_rejected"    // webhook: one carrier rejected
	CampaignCarrierSuspended   EventType = "campaign.carrier_suspended"   // webhook: one carrier suspended
	CampaignCarrierUnsuspended EventType = "campaign.carrier_unsuspended" // webhook: one carrier lifted its suspension
	CampaignNumbersRequested   EventType = "campaign.numbers_requested"   // follow-up: register every number
	CampaignNumberSettled      EventType = "campaign.number_settled"      // follow-up: one number registered or failed
	CampaignResubmit           EventType = "campaign.resubmit"            // producer: edited after a rejection
	CampaignExpired            EventType = "campaign.expired"             // webhook: the campaign expired
	CampaignDeleteRequested    EventType = "campaign.delete_requested"    // producer: delete the campaign
	CampaignFailed             EventType = "campaign.failed"              // dispatcher or sweeper: permanent failure with a reason
	CampaignEvidenceApproved   EventType = "campaign.evidence_approved"   // webhook (flow v2): the registry verified the opt-in evidence
	CampaignEvidenceRejected   EventType = "campaign.evidence_rejected"   // webhook (flow v2): the registry did not verify it
)

// Number events.
const (
	NumberRegister     EventType = "number.register"     // follow-up: register one number; creates the record
	NumberSubmitted    EventType = "number.submitted"    // dispatcher: the registration request was accepted
	NumberRegistered   EventType = "number.registered"   // webhook: registration done
	NumberFailed       EventType = "number.failed"       // webhook, dispatcher or sweeper: registration failed
	NumberDeregister   EventType = "number.deregister"   // follow-up: the campaign was deleted
	NumberDeregistered EventType = "number.deregistered" // webhook: deregistration done
)

// Commands for the downstreams, sent to their outbound queues.
const (
	CmdSubmitBrand      EventType = "registry.submit_brand"
	CmdRevetBrand       EventType = "registry.revet_brand"
	CmdDeleteBrand      EventType = "registry.delete_brand"
	CmdSubmitCampaign   EventType = "registry.submit_campaign"
	CmdDeleteCampaign   EventType = "registry.delete_campaign"
	CmdCarrierSubmit    EventType = "carrier.submit_campaign"
	CmdRegisterNumber   EventType = "numbers.register"
	CmdDeregisterNumber EventType = "numbers.deregister"
	CmdSubmitEvidence   EventType = "registry.submit_evidence" // flow v2: the campaign's opt-in evidence
	CmdDelegateEvidence EventType = "temporal.evidence_review" // flow v2, delegated: the bridge starts the step's workflow
)

// Events lists every event type of a kind, on any flow, in a fixed order:
// the columns of the newest flow's matrix.
func Events(k Kind) []EventType { return tableOf(newest, k).events }

var eventsByKind = map[Kind][]EventType{
	KindBrand: {BrandRegister, BrandSubmitted, BrandVerified, BrandUnverified, BrandRevetRequested,
		BrandVetted, BrandVetFailed, BrandScoreUpdated, BrandSuspended, BrandUnsuspended,
		BrandDeleteRequested, BrandDeleted, BrandFailed},
	KindCampaign: {CampaignRegister, CampaignSubmit, CampaignRegistryAccepted, CampaignRegistryRejected,
		CampaignReviewApproved, CampaignReviewRejected, CampaignCarrierReview, CampaignCarrierApproved,
		CampaignCarrierRejected, CampaignCarrierSuspended, CampaignCarrierUnsuspended,
		CampaignNumbersRequested, CampaignNumberSettled, CampaignResubmit, CampaignExpired,
		CampaignDeleteRequested, CampaignFailed},
	KindNumber: {NumberRegister, NumberSubmitted, NumberRegistered, NumberFailed, NumberDeregister,
		NumberDeregistered},
}

// Payloads. Fields are the ones the registry and carriers need; ids of other
// records are this system's ids.
type (
	// BrandRegistration is the payload of brand.register and registry.submit_brand.
	BrandRegistration struct {
		LegalName  string `json:"legal_name"`
		EIN        string `json:"ein"`
		Email      string `json:"email"`
		EntityType string `json:"entity_type"` // PRIVATE_PROFIT, PUBLIC_PROFIT, NON_PROFIT, SOLE_PROPRIETOR
	}
	// CampaignRegistration is the payload of campaign.register and registry.submit_campaign.
	CampaignRegistration struct {
		BrandID        string   `json:"brand_id"`
		UseCase        string   `json:"use_case"`
		Description    string   `json:"description"`
		SampleMessages []string `json:"sample_messages"`
		Numbers        []string `json:"numbers"` // E.164
	}
	// Resubmission is the optional payload of campaign.resubmit: the edited fields.
	Resubmission struct {
		Description    string   `json:"description,omitempty"`
		SampleMessages []string `json:"sample_messages,omitempty"`
	}
	// Evidence is the payload of registry.submit_evidence: how the campaign's
	// subscribers opt in, as the registry reviews it (flow v2).
	Evidence struct {
		UseCase        string   `json:"use_case"`
		Description    string   `json:"description"`
		SampleMessages []string `json:"sample_messages"`
	}
	// DelegatedEvidence is the payload of temporal.evidence_review: the
	// campaign whose opt-in evidence a workflow reviews, and the evidence.
	DelegatedEvidence struct {
		CampaignID string   `json:"campaign_id"`
		Evidence   Evidence `json:"evidence"`
	}
	// NumberRegistration is the payload of number.register and the numbers commands.
	NumberRegistration struct {
		CampaignID string `json:"campaign_id"`
		Number     string `json:"number"` // E.164
	}
	// Receipt is the payload of the dispatcher's *.submitted and registry_accepted events.
	Receipt struct {
		ExternalID string `json:"external_id,omitempty"`
	}
	// Identity is the payload of brand.verified: VERIFIED or SELF_DECLARED.
	Identity struct {
		Status string `json:"status"`
	}
	// Score is the payload of brand.score_updated.
	Score struct {
		Score int `json:"score"`
	}
	// Reason is the payload of rejections, failures and suspensions.
	Reason struct {
		Code        int    `json:"code,omitempty"`
		Description string `json:"description,omitempty"`
	}
	// CarrierUpdate is the payload of the campaign.carrier_* events and of
	// carrier.submit_campaign.
	CarrierUpdate struct {
		Carrier     Carrier `json:"carrier"`
		Code        int     `json:"code,omitempty"`
		Description string  `json:"description,omitempty"`
	}
	// NumberSettled is the payload of campaign.number_settled.
	NumberSettled struct {
		Number string       `json:"number"`
		Status NumberStatus `json:"status"`
		Code   int          `json:"code,omitempty"`
	}
	// Empty is the payload of events that carry nothing.
	Empty struct{}
)

var (
	e164 = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)
	ein  = regexp.MustCompile(`^[0-9]{2}-?[0-9]{7}$`)
)

func (p BrandRegistration) validate() error {
	var errs []error
	if p.LegalName == "" {
		errs = append(errs, errors.New("legal_name is empty"))
	}
	if p.EntityType != "SOLE_PROPRIETOR" && !ein.MatchString(p.EIN) {
		errs = append(errs, fmt.Errorf("ein %q is not NN-NNNNNNN", p.EIN))
	}
	switch p.EntityType {
	case "PRIVATE_PROFIT", "PUBLIC_PROFIT", "NON_PROFIT", "SOLE_PROPRIETOR":
	default:
		errs = append(errs, fmt.Errorf("entity_type %q is not one of PRIVATE_PROFIT, PUBLIC_PROFIT, NON_PROFIT, SOLE_PROPRIETOR", p.EntityType))
	}
	return errors.Join(errs...)
}

// MaxNumbers is the most phone numbers one campaign registers.
const MaxNumbers = 50

func (p CampaignRegistration) validate() error {
	var errs []error
	if p.BrandID == "" {
		errs = append(errs, errors.New("brand_id is empty"))
	}
	if p.UseCase == "" {
		errs = append(errs, errors.New("use_case is empty"))
	}
	if len(p.SampleMessages) == 0 {
		errs = append(errs, errors.New("sample_messages is empty"))
	}
	// The cap also bounds the condition expressions of a campaign's writes
	// (infra/dynamo: noteOpen, unnoted) under DynamoDB's 4 KB; a test there
	// builds them at the cap.
	if len(p.Numbers) == 0 || len(p.Numbers) > MaxNumbers {
		errs = append(errs, fmt.Errorf("numbers: %d given, want 1 to %d", len(p.Numbers), MaxNumbers))
	}
	seen := map[string]bool{}
	for _, n := range p.Numbers {
		if !e164.MatchString(n) {
			errs = append(errs, fmt.Errorf("number %q is not E.164", n))
		}
		if seen[n] {
			errs = append(errs, fmt.Errorf("number %q is listed twice", n))
		}
		seen[n] = true
	}
	return errors.Join(errs...)
}

func (p NumberRegistration) validate() error {
	var errs []error
	if p.CampaignID == "" {
		errs = append(errs, errors.New("campaign_id is empty"))
	}
	if !e164.MatchString(p.Number) {
		errs = append(errs, fmt.Errorf("number %q is not E.164", p.Number))
	}
	return errors.Join(errs...)
}

func (p Identity) validate() error {
	if p.Status != "VERIFIED" && p.Status != "SELF_DECLARED" {
		return fmt.Errorf("status %q is not VERIFIED or SELF_DECLARED", p.Status)
	}
	return nil
}

func (p CarrierUpdate) validate() error {
	if _, ok := carrierIndex[p.Carrier]; !ok {
		return fmt.Errorf("carrier %q is not one of att, tmobile, verizon", p.Carrier)
	}
	return nil
}

func (p NumberSettled) validate() error {
	var errs []error
	if !e164.MatchString(p.Number) {
		errs = append(errs, fmt.Errorf("number %q is not E.164", p.Number))
	}
	if p.Status != NumberRegisteredStatus && p.Status != NumberFailedStatus {
		errs = append(errs, fmt.Errorf("status %q is not REGISTERED or FAILED", p.Status))
	}
	return errors.Join(errs...)
}

func (p Evidence) validate() error {
	if len(p.SampleMessages) == 0 {
		return errors.New("sample_messages is empty")
	}
	return nil
}

func (p DelegatedEvidence) validate() error {
	if p.CampaignID == "" {
		return errors.New("campaign_id is empty")
	}
	return p.Evidence.validate()
}

func (Resubmission) validate() error { return nil }
func (Receipt) validate() error      { return nil }
func (Score) validate() error        { return nil }
func (Reason) validate() error       { return nil }
func (Empty) validate() error        { return nil }

type validator interface{ validate() error }

// DecodePayload decodes a payload strictly (unknown fields are errors). An
// empty payload decodes to the zero value.
func DecodePayload[T any](raw json.RawMessage) (T, error) {
	var v T
	if len(bytes.TrimSpace(raw)) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return v, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return v, err
	}
	return v, nil
}

// check decodes a payload of type T and validates it, and returns the names
// of its fields that T does not know (for a newer build's payload).
func check[T validator](raw json.RawMessage) (unknown []string, err error) {
	var v T
	if trimmed := bytes.TrimSpace(raw); len(trimmed) > 0 && !bytes.Equal(trimmed, []byte("null")) {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(raw, &fields); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, err
		}
		unknown = unknownFields(fields, reflect.TypeFor[T](), "payload.")
	}
	return unknown, v.validate()
}

// payloadValidators knows every event and command type and checks its
// payload, returning the payload fields it does not know.
var payloadValidators = map[EventType]func(json.RawMessage) ([]string, error){
	BrandRegister: check[BrandRegistration], BrandSubmitted: check[Receipt],
	BrandVerified: check[Identity], BrandUnverified: check[Reason], BrandRevetRequested: check[Empty],
	BrandVetted: check[Empty], BrandVetFailed: check[Reason], BrandScoreUpdated: check[Score],
	BrandSuspended: check[Reason], BrandUnsuspended: check[Empty], BrandDeleteRequested: check[Empty],
	BrandDeleted: check[Empty], BrandFailed: check[Reason],

	CampaignRegister: check[CampaignRegistration], CampaignSubmit: check[Empty],
	CampaignRegistryAccepted: check[Receipt], CampaignRegistryRejected: check[Reason],
	CampaignReviewApproved: check[Empty], CampaignReviewRejected: check[Reason],
	CampaignCarrierReview: check[CarrierUpdate], CampaignCarrierApproved: check[CarrierUpdate],
	CampaignCarrierRejected: check[CarrierUpdate], CampaignCarrierSuspended: check[CarrierUpdate],
	CampaignCarrierUnsuspended: check[CarrierUpdate], CampaignNumbersRequested: check[Empty],
	CampaignNumberSettled: check[NumberSettled], CampaignResubmit: check[Resubmission],
	CampaignExpired: check[Empty], CampaignDeleteRequested: check[Empty], CampaignFailed: check[Reason],
	CampaignEvidenceApproved: check[Empty], CampaignEvidenceRejected: check[Reason],

	NumberRegister: check[NumberRegistration], NumberSubmitted: check[Receipt],
	NumberRegistered: check[Empty], NumberFailed: check[Reason], NumberDeregister: check[Empty],
	NumberDeregistered: check[Empty],

	CmdSubmitBrand: check[BrandRegistration], CmdRevetBrand: check[Empty], CmdDeleteBrand: check[Empty],
	CmdSubmitCampaign: check[CampaignRegistration], CmdDeleteCampaign: check[Empty],
	CmdCarrierSubmit: check[CarrierUpdate], CmdRegisterNumber: check[NumberRegistration],
	CmdDeregisterNumber: check[NumberRegistration], CmdSubmitEvidence: check[Evidence],
	CmdDelegateEvidence: check[DelegatedEvidence],
}
