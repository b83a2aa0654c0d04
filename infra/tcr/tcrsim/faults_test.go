package tcrsim

import (
	"encoding/json"
	"maps"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tendlc/tendlc/infra/tcr"
	"github.com/tendlc/tendlc/statemachine"
)

func TestTargetedDrop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := start(t, Config{Latencies: fixedLatencies()})
		status, _, body := h.do(http.MethodPost, "/admin/faults", "",
			`{"drop":[{"event_type":"MNO_CAMPAIGN_OPERATION_APPROVED","campaign_id":"c1","mno_id":10017,"count":1}]}`)
		if status != http.StatusOK {
			t.Fatalf("POST /admin/faults: %d %s", status, body)
		}
		submit := func(campaign string, c statemachine.Carrier, key string) {
			t.Helper()
			if _, err := h.tcr.SubmitToCarrier(t.Context(), campaign, tcr.Meta{IdempotencyKey: key}, statemachine.CarrierUpdate{Carrier: c}); err != nil {
				t.Fatalf("SubmitToCarrier %s %s: %v", campaign, c, err)
			}
		}
		submit("c1", statemachine.CarrierATT, "k1")
		submit("c2", statemachine.CarrierATT, "k2")
		submit("c1", statemachine.CarrierTMobile, "k3")
		settle(time.Minute)

		approvals := func() map[string]int {
			got := map[string]int{}
			for _, e := range h.receiver.events(t) {
				if e.EventType == tcr.EventMNOApproved {
					got[e.CampaignID+"/"+e.MNOName]++
				}
			}
			return got
		}
		if got, want := approvals(), map[string]int{"c2/AT&T": 1, "c1/T-Mobile": 1}; !maps.Equal(got, want) {
			t.Errorf("approvals = %v, want %v", got, want)
		}
		w := h.counters().WebhooksByEventType[tcr.EventMNOApproved]
		if w.Dropped != 1 || w.DroppedByFault != 1 || w.Sent != 2 {
			t.Errorf("approval counters = %+v, want dropped 1 by fault, sent 2", w)
		}
		if _, _, body := h.do(http.MethodGet, "/admin/faults", "", ""); strings.TrimSpace(body) != `{"drop":[]}` {
			t.Errorf("GET /admin/faults = %s, want the rule used up", body)
		}

		// The rule is used up: a re-drive of c1 at AT&T gets its approval through.
		submit("c1", statemachine.CarrierATT, "k1")
		settle(time.Minute)
		if got, want := approvals()["c1/AT&T"], 1; got != want {
			t.Errorf("c1 approvals from AT&T after the re-drive = %d, want %d", got, want)
		}
	})
}

func TestFaultsAdmin(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantBody   string // the rules after the request, or the error
	}{
		{name: "count defaults to one", body: `{"drop":[{"event_type":"BRAND_REVET"}]}`, wantStatus: 200,
			wantBody: `{"drop":[{"event_type":"BRAND_REVET","count":1}]}`},
		{name: "every selector", body: `{"drop":[{"event_type":"NUMBER_REGISTRATION_UPDATE","brand_id":"b","campaign_id":"c","mno_id":10035,"number":"n","count":3}]}`, wantStatus: 200,
			wantBody: `{"drop":[{"event_type":"NUMBER_REGISTRATION_UPDATE","brand_id":"b","campaign_id":"c","mno_id":10035,"number":"n","count":3}]}`},
		{name: "misspelt selector", body: `{"drop":[{"campaignId":"c1"}]}`, wantStatus: 400, wantBody: "unknown field"},
		{name: "unknown event type", body: `{"drop":[{"event_type":"CAMPAIGN_APPROVED"}]}`, wantStatus: 400, wantBody: "unknown event_type"},
		{name: "negative count", body: `{"drop":[{"brand_id":"b1","count":-1}]}`, wantStatus: 400, wantBody: "count -1 is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := start(t, Config{})
				status, _, body := h.do(http.MethodPost, "/admin/faults", "", tt.body)
				if status != tt.wantStatus || !strings.Contains(body, tt.wantBody) {
					t.Errorf("POST /admin/faults = %d %s, want %d with %s", status, body, tt.wantStatus, tt.wantBody)
				}
				if status, _, _ := h.do(http.MethodDelete, "/admin/faults", "", ""); status != http.StatusNoContent {
					t.Errorf("DELETE /admin/faults = %d, want 204", status)
				}
				_, _, body = h.do(http.MethodGet, "/admin/faults", "", "")
				var set faultSet
				if err := json.Unmarshal([]byte(body), &set); err != nil || len(set.Drop) != 0 {
					t.Errorf("GET /admin/faults after DELETE = %s, want no rules", body)
				}
			})
		})
	}
}
