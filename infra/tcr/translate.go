package tcr

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/tendlc/tendlc/statemachine"
)

// WebhookActor is the Actor of the envelopes [Translate] makes.
const WebhookActor = "webhook"

// Translate maps a webhook to the internal events it stands for: one
// envelope, or none for the informational event types (CAMPAIGN_SHARE_ADD,
// and CAMPAIGN_RESUBMISSION, which this system's own resubmission caused).
//
// The envelope's EventID is derived from the webhook's eventId and the
// internal event type, so every duplicate of a webhook yields the same id and
// the events queue recognises it. Its EntityID is the brand, campaign or
// number the webhook is about; OccurredAt is the webhook's timestamp, which
// is required: a webhook without one is invalid, never dated now, since a
// late re-delivery dated now would sort after newer events.
// It carries no CorrelationID: the record keeps its own.
//
// Translate validates ev first ([WebhookEvent.Validate]) and returns its
// errors, wrapping ErrInvalidEvent or ErrUnknownEventType.
func Translate(ev WebhookEvent) ([]statemachine.Envelope, error) {
	if err := ev.Validate(); err != nil {
		return nil, err
	}
	typ, entity, payload := internalEvent(ev)
	if typ == "" {
		return nil, nil
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("encode %s payload: %w", typ, err)
	}
	env := statemachine.Envelope{
		Type:          typ,
		SchemaVersion: statemachine.SchemaVersion,
		EventID:       eventID(ev.EventID, typ),
		EntityID:      entity,
		OccurredAt:    ev.Timestamp.UTC(),
		Actor:         WebhookActor,
		Payload:       raw,
	}
	if err := env.Validate(); err != nil {
		return nil, fmt.Errorf("translate %s %s: %w", ev.EventType, ev.EventID, err)
	}
	return []statemachine.Envelope{env}, nil
}

// internalEvent returns the internal event type, entity id and payload of a
// valid webhook, or an empty type for an informational one.
func internalEvent(ev WebhookEvent) (statemachine.EventType, string, any) {
	reason := statemachine.Reason{Code: ev.Code, Description: ev.Description}
	switch ev.EventType {
	case EventBrandIdentityStatusUpdate:
		if ev.BrandIdentityStatus == IdentityUnverified {
			return statemachine.BrandUnverified, ev.BrandID, reason
		}
		return statemachine.BrandVerified, ev.BrandID, statemachine.Identity{Status: ev.BrandIdentityStatus}
	case EventBrandScoreUpdate:
		return statemachine.BrandScoreUpdated, ev.BrandID, statemachine.Score{Score: ev.BrandScore}
	case EventBrandRevet:
		if ev.BrandIdentityStatus == IdentityUnverified {
			return statemachine.BrandVetFailed, ev.BrandID, reason
		}
		return statemachine.BrandVetted, ev.BrandID, statemachine.Empty{}
	case EventBrandDelete:
		return statemachine.BrandDeleted, ev.BrandID, statemachine.Empty{}
	case EventCampaignAdd:
		return statemachine.CampaignRegistryAccepted, ev.CampaignID, statemachine.Receipt{}
	case EventCampaignShareAccept:
		return statemachine.CampaignReviewApproved, ev.CampaignID, statemachine.Empty{}
	case EventCampaignShareDelete:
		return statemachine.CampaignReviewRejected, ev.CampaignID, reason
	case EventCampaignEvidenceApproved:
		return statemachine.CampaignEvidenceApproved, ev.CampaignID, statemachine.Empty{}
	case EventCampaignEvidenceRejected:
		return statemachine.CampaignEvidenceRejected, ev.CampaignID, reason
	case EventCampaignExpired:
		return statemachine.CampaignExpired, ev.CampaignID, statemachine.Empty{}
	case EventMNOReview, EventMNOApproved, EventMNORejected, EventMNOSuspended, EventMNOUnsuspended:
		carrier, _ := statemachine.CarrierByMNOID(ev.MNOID) // Validate checked it
		update := statemachine.CarrierUpdate{Carrier: carrier, Code: ev.Code, Description: ev.Description}
		return carrierEvents[ev.EventType], ev.CampaignID, update
	case EventNumberRegistrationUpdate:
		if ev.NumberStatus == NumberFailed {
			return statemachine.NumberFailed, ev.Number, reason
		}
		return statemachine.NumberRegistered, ev.Number, statemachine.Empty{}
	case EventNumberDeregistrationUpdate:
		return statemachine.NumberDeregistered, ev.Number, statemachine.Empty{}
	default:
		// EventCampaignShareAdd and EventCampaignResubmission, informational:
		// Validate lets no other type through.
		return "", "", nil
	}
}

var carrierEvents = map[EventType]statemachine.EventType{
	EventMNOReview:      statemachine.CampaignCarrierReview,
	EventMNOApproved:    statemachine.CampaignCarrierApproved,
	EventMNORejected:    statemachine.CampaignCarrierRejected,
	EventMNOSuspended:   statemachine.CampaignCarrierSuspended,
	EventMNOUnsuspended: statemachine.CampaignCarrierUnsuspended,
}

// eventID is the hex form of the first 16 bytes of
// sha256(webhookEventID + "|" + internal type).
func eventID(webhookEventID string, typ statemachine.EventType) string {
	sum := sha256.Sum256([]byte(webhookEventID + "|" + string(typ)))
	return hex.EncodeToString(sum[:16])
}
