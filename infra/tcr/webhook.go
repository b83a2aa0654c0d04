package tcr

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tendlc/tendlc/statemachine"
)

// EventType is the eventType of a webhook.
type EventType string

// Registry event types. The semantics this system gives them:
// CAMPAIGN_ADD: the registry accepted the campaign; CAMPAIGN_SHARE_ACCEPT: the
// manual reviewer approved it; CAMPAIGN_SHARE_DELETE: the reviewer rejected it
// (Code and Description say why).
const (
	EventBrandIdentityStatusUpdate EventType = "BRAND_IDENTITY_STATUS_UPDATE" // BrandIdentityStatus: VERIFIED, SELF_DECLARED or UNVERIFIED
	EventBrandScoreUpdate          EventType = "BRAND_SCORE_UPDATE"           // BrandScore
	EventBrandRevet                EventType = "BRAND_REVET"                  // BrandIdentityStatus: VETTED_VERIFIED or UNVERIFIED
	EventBrandDelete               EventType = "BRAND_DELETE"
	EventCampaignAdd               EventType = "CAMPAIGN_ADD"
	EventCampaignShareAdd          EventType = "CAMPAIGN_SHARE_ADD"
	EventCampaignShareAccept       EventType = "CAMPAIGN_SHARE_ACCEPT"
	EventCampaignShareDelete       EventType = "CAMPAIGN_SHARE_DELETE"
	EventCampaignResubmission      EventType = "CAMPAIGN_RESUBMISSION"
	EventCampaignExpired           EventType = "CAMPAIGN_EXPIRED"
)

// Opt-in evidence event types (flow v2): the registry's review of the
// evidence a campaign's opt-in is real. A rejection carries Code and
// Description.
const (
	EventCampaignEvidenceApproved EventType = "CAMPAIGN_EVIDENCE_APPROVED"
	EventCampaignEvidenceRejected EventType = "CAMPAIGN_EVIDENCE_REJECTED"
)

// Carrier event types: one carrier's review of a campaign, with MNOID and
// MNOName. A rejection carries Code and Description.
const (
	EventMNOApproved    EventType = "MNO_CAMPAIGN_OPERATION_APPROVED"
	EventMNORejected    EventType = "MNO_CAMPAIGN_OPERATION_REJECTED"
	EventMNOReview      EventType = "MNO_CAMPAIGN_OPERATION_REVIEW"
	EventMNOSuspended   EventType = "MNO_CAMPAIGN_OPERATION_SUSPENDED"
	EventMNOUnsuspended EventType = "MNO_CAMPAIGN_OPERATION_UNSUSPENDED"
)

// Number event types, CPaaS style: the outcome of one number's registration
// (NumberStatus REGISTERED or FAILED) or deregistration (DEREGISTERED).
const (
	EventNumberRegistrationUpdate   EventType = "NUMBER_REGISTRATION_UPDATE"
	EventNumberDeregistrationUpdate EventType = "NUMBER_DEREGISTRATION_UPDATE"
)

// Brand identity statuses, the values of WebhookEvent.BrandIdentityStatus.
const (
	IdentityVerified       = "VERIFIED"
	IdentitySelfDeclared   = "SELF_DECLARED"
	IdentityUnverified     = "UNVERIFIED"
	IdentityVettedVerified = "VETTED_VERIFIED"
)

// Number statuses, the values of WebhookEvent.NumberStatus.
const (
	NumberRegistered   = "REGISTERED"
	NumberFailed       = "FAILED"
	NumberDeregistered = "DEREGISTERED"
)

// eventSubject says which record an event type is about, and so which fields
// it must carry.
type eventSubject int

const (
	aboutBrand eventSubject = iota + 1
	aboutCampaign
	aboutCarrier
	aboutNumber
)

var eventSubjects = map[EventType]eventSubject{
	EventBrandIdentityStatusUpdate: aboutBrand, EventBrandScoreUpdate: aboutBrand,
	EventBrandRevet: aboutBrand, EventBrandDelete: aboutBrand,
	EventCampaignAdd: aboutCampaign, EventCampaignShareAdd: aboutCampaign,
	EventCampaignShareAccept: aboutCampaign, EventCampaignShareDelete: aboutCampaign,
	EventCampaignResubmission: aboutCampaign, EventCampaignExpired: aboutCampaign,
	EventCampaignEvidenceApproved: aboutCampaign, EventCampaignEvidenceRejected: aboutCampaign,
	EventMNOApproved: aboutCarrier, EventMNORejected: aboutCarrier, EventMNOReview: aboutCarrier,
	EventMNOSuspended: aboutCarrier, EventMNOUnsuspended: aboutCarrier,
	EventNumberRegistrationUpdate: aboutNumber, EventNumberDeregistrationUpdate: aboutNumber,
}

// Known reports whether t is one of the event types above.
func (t EventType) Known() bool {
	_, ok := eventSubjects[t]
	return ok
}

// WebhookEvent is one webhook as the downstreams post it: flat JSON, registry
// style. Which fields are set depends on EventType.
//
// EventID identifies the logical event: it is the same on every re-delivery and
// duplicate of it, so receivers deduplicate on it.
type WebhookEvent struct {
	EventType           EventType `json:"eventType"`
	EventID             string    `json:"eventId"`
	BrandID             string    `json:"brandId,omitempty"`    // this system's brand id
	CampaignID          string    `json:"campaignId,omitempty"` // this system's campaign id
	MNOID               int       `json:"mnoId,omitempty"`      // 10017 AT&T, 10035 T-Mobile, 10038 Verizon
	MNOName             string    `json:"mnoName,omitempty"`
	BrandIdentityStatus string    `json:"brandIdentityStatus,omitempty"`
	BrandScore          int       `json:"brandScore,omitempty"`
	Number              string    `json:"number,omitempty"` // this system's number id, as the request path gave it
	NumberStatus        string    `json:"numberStatus,omitempty"`
	Code                int       `json:"code,omitempty"` // CPaaS reason code of a rejection or failure
	Description         string    `json:"description,omitempty"`
	Timestamp           time.Time `json:"timestamp"` // when the event happened; RFC 3339
}

// Errors of [DecodeWebhookEvent] and [WebhookEvent.Validate].
var (
	// ErrInvalidEvent: the body is not a webhook event of its type (malformed
	// JSON, missing or invalid fields). Redelivering it will not help.
	ErrInvalidEvent = errors.New("invalid webhook event")
	// ErrUnknownEventType: the event type is not one this package knows.
	// Registries add event types; receivers usually acknowledge and ignore it.
	ErrUnknownEventType = errors.New("unknown webhook event type")
)

// DecodeWebhookEvent parses and validates a webhook body. Unknown fields are
// ignored: registries add fields without notice.
// It returns errors wrapping ErrInvalidEvent or ErrUnknownEventType.
func DecodeWebhookEvent(body []byte) (WebhookEvent, error) {
	var e WebhookEvent
	if err := json.Unmarshal(body, &e); err != nil {
		return WebhookEvent{}, fmt.Errorf("%w: %v", ErrInvalidEvent, err)
	}
	if err := e.Validate(); err != nil {
		return WebhookEvent{}, err
	}
	return e, nil
}

// Validate checks that e carries the fields its type needs, collecting every
// problem. It returns errors wrapping ErrInvalidEvent or ErrUnknownEventType.
func (e WebhookEvent) Validate() error {
	subject, ok := eventSubjects[e.EventType]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownEventType, e.EventType)
	}
	var errs []error
	missing := func(field string) { errs = append(errs, fmt.Errorf("%w: %s is empty", ErrInvalidEvent, field)) }
	if e.EventID == "" {
		missing("eventId")
	}
	if e.Timestamp.IsZero() {
		missing("timestamp")
	}
	switch subject {
	case aboutBrand:
		if e.BrandID == "" {
			missing("brandId")
		}
	case aboutCampaign:
		if e.CampaignID == "" {
			missing("campaignId")
		}
	case aboutCarrier:
		if e.CampaignID == "" {
			missing("campaignId")
		}
		if _, err := statemachine.CarrierByMNOID(e.MNOID); err != nil {
			errs = append(errs, fmt.Errorf("%w: %v", ErrInvalidEvent, err))
		}
	case aboutNumber:
		if e.Number == "" {
			missing("number")
		}
	}
	if want := allowedStatuses[e.EventType]; want != nil {
		if got := e.statusField(); !want[got] {
			errs = append(errs, fmt.Errorf("%w: %s status %q is not allowed", ErrInvalidEvent, e.EventType, got))
		}
	}
	return errors.Join(errs...)
}

// allowedStatuses lists, for the event types that carry a status, the values
// it may take.
var allowedStatuses = map[EventType]map[string]bool{
	EventBrandIdentityStatusUpdate:  {IdentityVerified: true, IdentitySelfDeclared: true, IdentityUnverified: true},
	EventBrandRevet:                 {IdentityVettedVerified: true, IdentityUnverified: true},
	EventNumberRegistrationUpdate:   {NumberRegistered: true, NumberFailed: true},
	EventNumberDeregistrationUpdate: {NumberDeregistered: true},
}

// statusField returns the status an event type carries: the brand identity
// status of brand events, the number status of number events.
func (e WebhookEvent) statusField() string {
	if eventSubjects[e.EventType] == aboutNumber {
		return e.NumberStatus
	}
	return e.BrandIdentityStatus
}

var mnoNames = map[statemachine.Carrier]string{
	statemachine.CarrierATT:     "AT&T",
	statemachine.CarrierTMobile: "T-Mobile",
	statemachine.CarrierVerizon: "Verizon Wireless",
}

// MNOName returns the name the registry gives a carrier in mnoName, or "" for
// an unknown carrier.
func MNOName(c statemachine.Carrier) string { return mnoNames[c] }
