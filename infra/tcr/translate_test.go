package tcr_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tendlc/tendlc/infra/tcr"
	"github.com/tendlc/tendlc/statemachine"
)

var (
	webhookTime   = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	translateTime = time.Date(2026, 1, 2, 3, 9, 0, 0, time.UTC)
)

// wantEventID is the documented derivation, written out independently.
func wantEventID(webhookEventID string, typ statemachine.EventType) string {
	sum := sha256.Sum256([]byte(webhookEventID + "|" + string(typ)))
	return hex.EncodeToString(sum[:16])
}

func TestTranslate(t *testing.T) {
	brand := func(typ tcr.EventType, status string) tcr.WebhookEvent {
		return tcr.WebhookEvent{EventType: typ, EventID: "wh-1", BrandID: "brand-1", BrandIdentityStatus: status, Timestamp: webhookTime}
	}
	campaign := func(typ tcr.EventType) tcr.WebhookEvent {
		return tcr.WebhookEvent{EventType: typ, EventID: "wh-1", CampaignID: "camp-1", Timestamp: webhookTime}
	}
	carrier := func(typ tcr.EventType, c statemachine.Carrier) tcr.WebhookEvent {
		e := campaign(typ)
		e.MNOID, e.MNOName = c.MNOID(), tcr.MNOName(c)
		return e
	}
	number := func(typ tcr.EventType, status string) tcr.WebhookEvent {
		return tcr.WebhookEvent{EventType: typ, EventID: "wh-1", CampaignID: "camp-1", Number: "+15551230001", NumberStatus: status, Timestamp: webhookTime}
	}
	withReason := func(e tcr.WebhookEvent, code int, desc string) tcr.WebhookEvent {
		e.Code, e.Description = code, desc
		return e
	}
	withScore := func(e tcr.WebhookEvent, score int) tcr.WebhookEvent { e.BrandScore = score; return e }

	tests := []struct {
		name        string
		in          tcr.WebhookEvent
		wantType    statemachine.EventType
		wantEntity  string
		wantPayload string
	}{
		{"identity verified", brand(tcr.EventBrandIdentityStatusUpdate, tcr.IdentityVerified),
			statemachine.BrandVerified, "brand-1", `{"status":"VERIFIED"}`},
		{"identity self declared", brand(tcr.EventBrandIdentityStatusUpdate, tcr.IdentitySelfDeclared),
			statemachine.BrandVerified, "brand-1", `{"status":"SELF_DECLARED"}`},
		{"identity unverified", withReason(brand(tcr.EventBrandIdentityStatusUpdate, tcr.IdentityUnverified), statemachine.CodeInvalidEIN, "EIN does not match"),
			statemachine.BrandUnverified, "brand-1", `{"code":30795,"description":"EIN does not match"}`},
		{"score update", withScore(brand(tcr.EventBrandScoreUpdate, ""), 87),
			statemachine.BrandScoreUpdated, "brand-1", `{"score":87}`},
		{"revet vetted verified", brand(tcr.EventBrandRevet, tcr.IdentityVettedVerified),
			statemachine.BrandVetted, "brand-1", `{}`},
		{"revet unverified", withReason(brand(tcr.EventBrandRevet, tcr.IdentityUnverified), statemachine.CodePartnerRejection, "vetting partner rejected"),
			statemachine.BrandVetFailed, "brand-1", `{"code":30902,"description":"vetting partner rejected"}`},
		{"brand delete", brand(tcr.EventBrandDelete, ""),
			statemachine.BrandDeleted, "brand-1", `{}`},
		{"campaign add", campaign(tcr.EventCampaignAdd),
			statemachine.CampaignRegistryAccepted, "camp-1", `{}`},
		{"share accept", campaign(tcr.EventCampaignShareAccept),
			statemachine.CampaignReviewApproved, "camp-1", `{}`},
		{"share delete", withReason(campaign(tcr.EventCampaignShareDelete), statemachine.CodeSampleMismatch, "sample messages do not match the use case"),
			statemachine.CampaignReviewRejected, "camp-1", `{"code":30893,"description":"sample messages do not match the use case"}`},
		{"evidence approved", campaign(tcr.EventCampaignEvidenceApproved),
			statemachine.CampaignEvidenceApproved, "camp-1", `{}`},
		{"evidence rejected", withReason(campaign(tcr.EventCampaignEvidenceRejected), statemachine.CodeOptInUnverified, "opt-in not verified"),
			statemachine.CampaignEvidenceRejected, "camp-1", `{"code":30909,"description":"opt-in not verified"}`},
		{"campaign expired", campaign(tcr.EventCampaignExpired),
			statemachine.CampaignExpired, "camp-1", `{}`},
		{"carrier review", carrier(tcr.EventMNOReview, statemachine.CarrierATT),
			statemachine.CampaignCarrierReview, "camp-1", `{"carrier":"att"}`},
		{"carrier approved", carrier(tcr.EventMNOApproved, statemachine.CarrierTMobile),
			statemachine.CampaignCarrierApproved, "camp-1", `{"carrier":"tmobile"}`},
		{"carrier rejected", withReason(carrier(tcr.EventMNORejected, statemachine.CarrierVerizon), statemachine.CodeCarrierRejection, "carrier rejected the campaign"),
			statemachine.CampaignCarrierRejected, "camp-1", `{"carrier":"verizon","code":30899,"description":"carrier rejected the campaign"}`},
		{"carrier suspended", withReason(carrier(tcr.EventMNOSuspended, statemachine.CarrierATT), statemachine.CodeCarrierRejection, "spam complaints"),
			statemachine.CampaignCarrierSuspended, "camp-1", `{"carrier":"att","code":30899,"description":"spam complaints"}`},
		{"carrier unsuspended", carrier(tcr.EventMNOUnsuspended, statemachine.CarrierTMobile),
			statemachine.CampaignCarrierUnsuspended, "camp-1", `{"carrier":"tmobile"}`},
		{"number registered", number(tcr.EventNumberRegistrationUpdate, tcr.NumberRegistered),
			statemachine.NumberRegistered, "+15551230001", `{}`},
		{"number failed", withReason(number(tcr.EventNumberRegistrationUpdate, tcr.NumberFailed), statemachine.CodeTimeout, "number registration timed out"),
			statemachine.NumberFailed, "+15551230001", `{"code":30901,"description":"number registration timed out"}`},
		{"number deregistered", number(tcr.EventNumberDeregistrationUpdate, tcr.NumberDeregistered),
			statemachine.NumberDeregistered, "+15551230001", `{}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			envs, err := tcr.Translate(tt.in)
			if err != nil {
				t.Fatalf("Translate: %v", err)
			}
			if got, want := len(envs), 1; got != want {
				t.Fatalf("Translate returned %d envelopes, want %d", got, want)
			}
			env := envs[0]
			if got, want := env.Type, tt.wantType; got != want {
				t.Errorf("Type = %s, want %s", got, want)
			}
			if got, want := env.EntityID, tt.wantEntity; got != want {
				t.Errorf("EntityID = %q, want %q", got, want)
			}
			if got, want := string(env.Payload), tt.wantPayload; got != want {
				t.Errorf("Payload = %s, want %s", got, want)
			}
			if got, want := env.EventID, wantEventID("wh-1", tt.wantType); got != want {
				t.Errorf("EventID = %s, want %s", got, want)
			}
			if got, want := env.Actor, "webhook"; got != want {
				t.Errorf("Actor = %q, want %q", got, want)
			}
			if got, want := env.OccurredAt, webhookTime; !got.Equal(want) {
				t.Errorf("OccurredAt = %v, want %v", got, want)
			}
			if got, want := env.SchemaVersion, statemachine.SchemaVersion; got != want {
				t.Errorf("SchemaVersion = %d, want %d", got, want)
			}
			if env.CorrelationID != "" {
				t.Errorf("CorrelationID = %q, want empty", env.CorrelationID)
			}
			b, err := env.Encode()
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if _, err := statemachine.DecodeEnvelope(b); err != nil {
				t.Errorf("DecodeEnvelope of the encoded envelope: %v", err)
			}
		})
	}
}

func TestTranslateCoversEveryEventType(t *testing.T) {
	// Every known webhook type either translates or is informational; a type
	// added to the package without a mapping fails here.
	samples := map[tcr.EventType]tcr.WebhookEvent{}
	for _, typ := range []tcr.EventType{tcr.EventBrandIdentityStatusUpdate, tcr.EventBrandScoreUpdate, tcr.EventBrandRevet, tcr.EventBrandDelete} {
		status := map[tcr.EventType]string{tcr.EventBrandIdentityStatusUpdate: tcr.IdentityVerified, tcr.EventBrandRevet: tcr.IdentityVettedVerified}[typ]
		samples[typ] = tcr.WebhookEvent{EventType: typ, EventID: "e", BrandID: "b", BrandIdentityStatus: status, Timestamp: webhookTime}
	}
	for _, typ := range []tcr.EventType{tcr.EventCampaignAdd, tcr.EventCampaignShareAdd, tcr.EventCampaignShareAccept, tcr.EventCampaignShareDelete, tcr.EventCampaignResubmission, tcr.EventCampaignExpired,
		tcr.EventCampaignEvidenceApproved, tcr.EventCampaignEvidenceRejected} {
		samples[typ] = tcr.WebhookEvent{EventType: typ, EventID: "e", CampaignID: "c", Timestamp: webhookTime}
	}
	for _, typ := range []tcr.EventType{tcr.EventMNOReview, tcr.EventMNOApproved, tcr.EventMNORejected, tcr.EventMNOSuspended, tcr.EventMNOUnsuspended} {
		samples[typ] = tcr.WebhookEvent{EventType: typ, EventID: "e", CampaignID: "c", MNOID: 10035, Timestamp: webhookTime}
	}
	samples[tcr.EventNumberRegistrationUpdate] = tcr.WebhookEvent{EventType: tcr.EventNumberRegistrationUpdate, EventID: "e", Number: "+15551230001", NumberStatus: tcr.NumberRegistered, Timestamp: webhookTime}
	samples[tcr.EventNumberDeregistrationUpdate] = tcr.WebhookEvent{EventType: tcr.EventNumberDeregistrationUpdate, EventID: "e", Number: "+15551230001", NumberStatus: tcr.NumberDeregistered, Timestamp: webhookTime}

	informational := map[tcr.EventType]bool{tcr.EventCampaignShareAdd: true, tcr.EventCampaignResubmission: true}
	seen := map[statemachine.EventType]tcr.EventType{}
	for typ, e := range samples {
		envs, err := tcr.Translate(e)
		if err != nil {
			t.Errorf("%s: Translate: %v", typ, err)
			continue
		}
		if got, want := len(envs), 1; informational[typ] {
			if got != 0 {
				t.Errorf("%s: %d envelopes, want none (informational)", typ, got)
			}
			continue
		} else if got != want {
			t.Errorf("%s: %d envelopes, want %d", typ, got, want)
			continue
		}
		if other, dup := seen[envs[0].Type]; dup {
			t.Errorf("%s and %s both translate to %s", typ, other, envs[0].Type)
		}
		seen[envs[0].Type] = typ
	}
	if got, want := len(samples), 19; got != want {
		t.Errorf("%d sample types, want %d (one per known type)", got, want)
	}
	for typ := range samples {
		if !typ.Known() {
			t.Errorf("sample type %s is not Known", typ)
		}
	}
}

func TestTranslateEventID(t *testing.T) {
	accept := tcr.WebhookEvent{EventType: tcr.EventCampaignShareAccept, EventID: "wh-7", CampaignID: "camp-1", Timestamp: webhookTime}
	first, err := tcr.Translate(accept)
	if err != nil {
		t.Fatal(err)
	}
	again, err := tcr.Translate(accept) // a duplicate, delivered later
	if err != nil {
		t.Fatal(err)
	}
	if got, want := again[0].EventID, first[0].EventID; got != want {
		t.Errorf("duplicate webhook: EventID = %s, want %s (the same)", got, want)
	}
	other := accept
	other.EventID = "wh-8"
	second, err := tcr.Translate(other)
	if err != nil {
		t.Fatal(err)
	}
	if second[0].EventID == first[0].EventID {
		t.Errorf("webhooks wh-7 and wh-8 share EventID %s", first[0].EventID)
	}
	if got, want := len(first[0].EventID), 32; got != want {
		t.Errorf("len(EventID) = %d, want %d hex digits", got, want)
	}
}

func TestTranslateInformational(t *testing.T) {
	for _, typ := range []tcr.EventType{tcr.EventCampaignShareAdd, tcr.EventCampaignResubmission} {
		t.Run(string(typ), func(t *testing.T) {
			envs, err := tcr.Translate(tcr.WebhookEvent{EventType: typ, EventID: "e", CampaignID: "c", Timestamp: webhookTime})
			if err != nil {
				t.Fatalf("Translate: %v, want nil", err)
			}
			if len(envs) != 0 {
				t.Fatalf("Translate = %+v, want no envelopes", envs)
			}
		})
	}
}

// A webhook without a timestamp is refused, not dated now: its time is the
// registry's word for when the event happened, and guessing it would order
// a late re-delivery after newer events.
func TestTranslateZeroTimestamp(t *testing.T) {
	_, err := tcr.Translate(tcr.WebhookEvent{EventType: tcr.EventCampaignExpired, EventID: "e", CampaignID: "c"})
	if !errors.Is(err, tcr.ErrInvalidEvent) || !strings.Contains(err.Error(), "timestamp is empty") {
		t.Errorf("Translate without a timestamp: err = %v, want ErrInvalidEvent naming the timestamp", err)
	}
}

func TestTranslateErrors(t *testing.T) {
	tests := []struct {
		name string
		in   tcr.WebhookEvent
		want error
	}{
		{"no event id", tcr.WebhookEvent{EventType: tcr.EventCampaignAdd, CampaignID: "c", Timestamp: webhookTime}, tcr.ErrInvalidEvent},
		{"brand event without brand", tcr.WebhookEvent{EventType: tcr.EventBrandDelete, EventID: "e", CampaignID: "c", Timestamp: webhookTime}, tcr.ErrInvalidEvent},
		{"campaign event without campaign", tcr.WebhookEvent{EventType: tcr.EventCampaignShareDelete, EventID: "e", BrandID: "b", Timestamp: webhookTime}, tcr.ErrInvalidEvent},
		{"informational event without campaign", tcr.WebhookEvent{EventType: tcr.EventCampaignShareAdd, EventID: "e", Timestamp: webhookTime}, tcr.ErrInvalidEvent},
		{"carrier event with unknown mno", tcr.WebhookEvent{EventType: tcr.EventMNOApproved, EventID: "e", CampaignID: "c", MNOID: 10001, Timestamp: webhookTime}, tcr.ErrInvalidEvent},
		{"number event without number", tcr.WebhookEvent{EventType: tcr.EventNumberRegistrationUpdate, EventID: "e", NumberStatus: tcr.NumberRegistered, Timestamp: webhookTime}, tcr.ErrInvalidEvent},
		{"revet with identity status", tcr.WebhookEvent{EventType: tcr.EventBrandRevet, EventID: "e", BrandID: "b", BrandIdentityStatus: tcr.IdentityVerified, Timestamp: webhookTime}, tcr.ErrInvalidEvent},
		{"unknown type", tcr.WebhookEvent{EventType: "BRAND_FEEDBACK", EventID: "e", BrandID: "b", Timestamp: webhookTime}, tcr.ErrUnknownEventType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			envs, err := tcr.Translate(tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Translate: %v, want %v", err, tt.want)
			}
			if envs != nil {
				t.Errorf("Translate returned %+v with its error, want nil", envs)
			}
		})
	}
}

// A webhook receiver turns a verified webhook into the event for the events
// queue; a duplicate of the webhook gets the same event id.
func ExampleTranslate() {
	body := []byte(`{"eventType":"MNO_CAMPAIGN_OPERATION_APPROVED","eventId":"9f2c","campaignId":"camp-42","mnoId":10035,"mnoName":"T-Mobile","timestamp":"2026-01-02T03:04:05Z"}`)
	e, err := tcr.DecodeWebhookEvent(body)
	if err != nil {
		fmt.Println("reject:", err)
		return
	}
	envs, err := tcr.Translate(e)
	if err != nil {
		fmt.Println("reject:", err)
		return
	}
	for _, env := range envs {
		fmt.Println(env.Type, env.EntityID, string(env.Payload), env.Actor, len(env.EventID))
	}
	// Output:
	// campaign.carrier_approved camp-42 {"carrier":"tmobile"} webhook 32
}
