package tcr_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/tendlc/tendlc/infra/tcr"
	"github.com/tendlc/tendlc/statemachine"
)

func TestWebhookEventJSON(t *testing.T) {
	e := tcr.WebhookEvent{
		EventType:   tcr.EventMNORejected,
		EventID:     "e1",
		CampaignID:  "c1",
		MNOID:       statemachine.CarrierATT.MNOID(),
		MNOName:     tcr.MNOName(statemachine.CarrierATT),
		Code:        statemachine.CodeCarrierRejection,
		Description: "carrier rejected the campaign",
		Timestamp:   time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"eventType":"MNO_CAMPAIGN_OPERATION_REJECTED","eventId":"e1","campaignId":"c1","mnoId":10017,"mnoName":"AT\u0026T","code":30899,"description":"carrier rejected the campaign","timestamp":"2026-01-02T03:04:05Z"}`
	if got := string(b); got != want {
		t.Fatalf("Marshal =\n%s\nwant\n%s", got, want)
	}
	got, err := tcr.DecodeWebhookEvent(b)
	if err != nil {
		t.Fatalf("DecodeWebhookEvent: %v", err)
	}
	if got != e {
		t.Errorf("round trip = %+v, want %+v", got, e)
	}
}

func TestDecodeWebhookEvent(t *testing.T) {
	tests := []struct {
		name string
		body string
		want error
	}{
		{name: "brand verified", body: `{"eventType":"BRAND_IDENTITY_STATUS_UPDATE","eventId":"e","brandId":"b1","brandIdentityStatus":"VERIFIED","timestamp":"2026-01-02T03:04:05Z"}`},
		{name: "brand revet unverified", body: `{"eventType":"BRAND_REVET","eventId":"e","brandId":"b1","brandIdentityStatus":"UNVERIFIED","timestamp":"2026-01-02T03:04:05Z"}`},
		{name: "number registered", body: `{"eventType":"NUMBER_REGISTRATION_UPDATE","eventId":"e","campaignId":"c1","number":"+15551230001","numberStatus":"REGISTERED","timestamp":"2026-01-02T03:04:05Z"}`},
		{name: "unknown fields ignored", body: `{"eventType":"CAMPAIGN_ADD","eventId":"e","campaignId":"c1","newField":1,"timestamp":"2026-01-02T03:04:05Z"}`},
		{name: "unknown event type", body: `{"eventType":"BRAND_FEEDBACK","eventId":"e","brandId":"b1","timestamp":"2026-01-02T03:04:05Z"}`, want: tcr.ErrUnknownEventType},
		{name: "malformed JSON", body: `{"eventType":`, want: tcr.ErrInvalidEvent},
		{name: "no event id", body: `{"eventType":"CAMPAIGN_ADD","campaignId":"c1","timestamp":"2026-01-02T03:04:05Z"}`, want: tcr.ErrInvalidEvent},
		{name: "no timestamp", body: `{"eventType":"CAMPAIGN_ADD","eventId":"e","campaignId":"c1"}`, want: tcr.ErrInvalidEvent},
		{name: "brand event without brand", body: `{"eventType":"BRAND_DELETE","eventId":"e","timestamp":"2026-01-02T03:04:05Z"}`, want: tcr.ErrInvalidEvent},
		{name: "campaign event without campaign", body: `{"eventType":"CAMPAIGN_SHARE_ACCEPT","eventId":"e","timestamp":"2026-01-02T03:04:05Z"}`, want: tcr.ErrInvalidEvent},
		{name: "carrier event with unknown mno", body: `{"eventType":"MNO_CAMPAIGN_OPERATION_APPROVED","eventId":"e","campaignId":"c1","mnoId":1,"timestamp":"2026-01-02T03:04:05Z"}`, want: tcr.ErrInvalidEvent},
		{name: "number event without number", body: `{"eventType":"NUMBER_DEREGISTRATION_UPDATE","eventId":"e","numberStatus":"DEREGISTERED","timestamp":"2026-01-02T03:04:05Z"}`, want: tcr.ErrInvalidEvent},
		{name: "identity status not allowed", body: `{"eventType":"BRAND_IDENTITY_STATUS_UPDATE","eventId":"e","brandId":"b1","brandIdentityStatus":"VETTED_VERIFIED","timestamp":"2026-01-02T03:04:05Z"}`, want: tcr.ErrInvalidEvent},
		{name: "number status not allowed", body: `{"eventType":"NUMBER_REGISTRATION_UPDATE","eventId":"e","number":"+15551230001","numberStatus":"DEREGISTERED","timestamp":"2026-01-02T03:04:05Z"}`, want: tcr.ErrInvalidEvent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tcr.DecodeWebhookEvent([]byte(tt.body))
			if tt.want == nil && err != nil {
				t.Fatalf("DecodeWebhookEvent: %v, want nil", err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("DecodeWebhookEvent: %v, want %v", err, tt.want)
			}
		})
	}
}

func TestEventTypeKnown(t *testing.T) {
	for _, et := range []tcr.EventType{tcr.EventBrandScoreUpdate, tcr.EventCampaignExpired, tcr.EventMNOUnsuspended, tcr.EventNumberDeregistrationUpdate} {
		if !et.Known() {
			t.Errorf("%s.Known() = false, want true", et)
		}
	}
	if tcr.EventType("BRAND_FEEDBACK").Known() {
		t.Error("BRAND_FEEDBACK.Known() = true, want false")
	}
}
