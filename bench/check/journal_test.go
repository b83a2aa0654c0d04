package check

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tendlc/tendlc/infra/tcr"
	"github.com/tendlc/tendlc/infra/tcr/tcrsim"
	"github.com/tendlc/tendlc/statemachine"
)

// contractJournal is GET /journal as carriersim's contract gives it.
const contractJournal = `{
  "requests": [
    {"at": "2026-03-01T12:00:00.123456789Z", "endpoint": "POST /registry/brands/{id}", "group": "registry",
     "record_id": "brand-0001", "key": "k1", "outcome": "decided", "status": 400, "code": 30795},
    {"at": "2026-03-01T12:00:01Z", "endpoint": "GET /carriers/att/campaigns/{id}", "group": "att",
     "record_id": "campaign-00001", "key": "", "outcome": "not_found", "status": 404, "code": 0},
    {"at": "2026-03-01T12:00:02Z", "endpoint": "POST /numbers/{id}", "group": "numbers",
     "record_id": "+12020000001", "key": "k2", "outcome": "resubmitted", "status": 202, "code": 0}
  ],
  "webhooks": [
    {"at": "2026-03-01T12:00:03Z", "event": {"eventType": "MNO_CAMPAIGN_OPERATION_REJECTED", "eventId": "e1",
     "campaignId": "campaign-00001", "mnoId": 10017, "mnoName": "AT&T", "code": 30899, "timestamp": "2026-03-01T12:00:02.5Z"},
     "delivery": "dropped", "status": 0}
  ],
  "rates": {"registry": 20, "att": 20, "tmobile": 20, "verizon": 20, "numbers": 20}
}`

func TestJournalFetchDecodesTheContract(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/journal" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(contractJournal))
	}))
	defer srv.Close()
	j, err := fetchJournal(t.Context(), srv.Client(), srv.URL+"/")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(j.Requests), 3; got != want {
		t.Fatalf("%d requests, want %d", got, want)
	}
	r := j.Requests[0]
	if r.At != time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC) || r.Group != "registry" || r.RecordID != "brand-0001" ||
		r.Key != "k1" || r.Outcome != tcrsim.OutcomeDecided || r.Status != 400 || r.Code != 30795 {
		t.Errorf("request 0 = %+v", r)
	}
	w := j.Webhooks[0]
	if w.Delivery != tcrsim.DeliveryDropped || w.Event.EventType != tcr.EventMNORejected || w.Event.MNOID != 10017 || w.Event.Code != 30899 {
		t.Errorf("webhook 0 = %+v", w)
	}
	if j.Rates["att"] != 20 {
		t.Errorf("rates %v", j.Rates)
	}
}

func TestJournalFetchFailsOnAnotherAnswer(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	if _, err := fetchJournal(t.Context(), srv.Client(), srv.URL); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("fetchJournal = %v, want an error naming the 404", err)
	}
}

func TestJournalRequestClassifies(t *testing.T) {
	tests := []struct {
		endpoint         string
		outcome          tcrsim.RequestOutcome
		kind             statemachine.Kind
		changes, decided bool
	}{
		{"POST /registry/brands/{id}", tcrsim.OutcomeDecided, statemachine.KindBrand, true, true},
		{"POST /registry/brands/{id}/revet", tcrsim.OutcomeResubmitted, statemachine.KindBrand, true, true},
		{"DELETE /registry/campaigns/{id}", tcrsim.OutcomeLost, statemachine.KindCampaign, true, false},
		{"POST /carriers/verizon/campaigns/{id}", tcrsim.OutcomeRepeated, statemachine.KindCampaign, true, false},
		{"POST /numbers/{id}", tcrsim.OutcomeRateLimited, statemachine.KindNumber, true, false},
		{"GET /numbers/{id}", tcrsim.OutcomeFound, statemachine.KindNumber, false, false},
		{"GET /counters", tcrsim.OutcomeFound, "", false, false},
	}
	for _, tt := range tests {
		r := tcrsim.JournalRequest{Endpoint: tt.endpoint, Outcome: tt.outcome}
		if requestKind(r) != tt.kind || changesState(r) != tt.changes || decided(r) != tt.decided {
			t.Errorf("%s %s: kind %q, changes state %v, decided %v; want %q, %v, %v",
				tt.endpoint, tt.outcome, requestKind(r), changesState(r), decided(r), tt.kind, tt.changes, tt.decided)
		}
	}
}

func TestJournalWebhookIsAboutItsRecord(t *testing.T) {
	tests := []struct {
		event tcr.WebhookEvent
		kind  statemachine.Kind
		id    string
	}{
		{tcr.WebhookEvent{EventType: tcr.EventBrandIdentityStatusUpdate, BrandID: "b1"}, statemachine.KindBrand, "b1"},
		{tcr.WebhookEvent{EventType: tcr.EventCampaignAdd, BrandID: "b1", CampaignID: "c1"}, statemachine.KindCampaign, "c1"},
		{tcr.WebhookEvent{EventType: tcr.EventNumberRegistrationUpdate, CampaignID: "c1", Number: "+12020000001"}, statemachine.KindNumber, "+12020000001"},
	}
	for _, tt := range tests {
		if kind, id := about(tt.event); kind != tt.kind || id != tt.id {
			t.Errorf("%s is about %s %s, want %s %s", tt.event.EventType, kind, id, tt.kind, tt.id)
		}
	}
}
