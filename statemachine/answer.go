package statemachine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// Accepted returns the event that records a downstream's synchronous
// acceptance of command cmd, and false for commands whose acceptance changes
// nothing (the answer comes later by webhook, or there is nothing to record).
// externalID is the downstream's id for the record, when it sent one.
func Accepted(cmd Envelope, externalID string, actor string, now time.Time) (Envelope, bool) {
	switch cmd.Type {
	case CmdSubmitBrand:
		return answerOf(cmd, BrandSubmitted, Receipt{ExternalID: externalID}, actor, now), true
	case CmdSubmitCampaign:
		return answerOf(cmd, CampaignRegistryAccepted, Receipt{ExternalID: externalID}, actor, now), true
	case CmdRegisterNumber:
		return answerOf(cmd, NumberSubmitted, Receipt{ExternalID: externalID}, actor, now), true
	}
	return Envelope{}, false
}

// commandKinds is the kind of record each command acts for.
var commandKinds = map[EventType]Kind{
	CmdSubmitBrand: KindBrand, CmdRevetBrand: KindBrand, CmdDeleteBrand: KindBrand,
	CmdSubmitCampaign: KindCampaign, CmdDeleteCampaign: KindCampaign, CmdCarrierSubmit: KindCampaign,
	CmdSubmitEvidence: KindCampaign, CmdDelegateEvidence: KindCampaign,
	CmdRegisterNumber: KindNumber, CmdDeregisterNumber: KindNumber,
}

// CommandKind returns the kind of record command t acts for (its envelope's
// entity is a record of that kind), or "" when t is not a command.
func CommandKind(t EventType) Kind { return commandKinds[t] }

// Refused returns the event that records a downstream's permanent refusal of
// command cmd with a reason code, and false for commands whose refusal
// changes nothing on a record (deletions: the sweeper and operators see the
// record stay where it is).
func Refused(cmd Envelope, code int, description string, actor string, now time.Time) (Envelope, bool) {
	r := Reason{Code: code, Description: description}
	switch cmd.Type {
	case CmdSubmitBrand:
		return answerOf(cmd, BrandFailed, r, actor, now), true
	case CmdRevetBrand:
		return answerOf(cmd, BrandVetFailed, r, actor, now), true
	case CmdSubmitCampaign:
		return answerOf(cmd, CampaignRegistryRejected, r, actor, now), true
	case CmdSubmitEvidence:
		return answerOf(cmd, CampaignEvidenceRejected, r, actor, now), true
	case CmdCarrierSubmit:
		u, err := DecodePayload[CarrierUpdate](cmd.Payload)
		if err != nil {
			return Envelope{}, false
		}
		u.Code, u.Description = code, description
		return answerOf(cmd, CampaignCarrierRejected, u, actor, now), true
	case CmdRegisterNumber:
		return answerOf(cmd, NumberFailed, r, actor, now), true
	}
	return Envelope{}, false
}

// answerOf builds the answer event of cmd. Its id derives from the command's
// and the answer's type, so a repeated call's answer is a recognisable
// duplicate.
func answerOf(cmd Envelope, t EventType, p any, actor string, now time.Time) Envelope {
	body, _ := json.Marshal(p) // payload types always encode
	sum := sha256.Sum256([]byte(cmd.EventID + "|answer|" + string(t)))
	return Envelope{
		Type:          t,
		SchemaVersion: SchemaVersion,
		EventID:       hex.EncodeToString(sum[:16]),
		EntityID:      cmd.EntityID,
		OccurredAt:    now.UTC(),
		CorrelationID: cmd.CorrelationID,
		Actor:         actor,
		Payload:       body,
	}
}
