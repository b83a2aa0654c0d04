package tcrsim

import (
	"fmt"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tendlc/tendlc/infra/tcr"
)

// A lost request is answered as usual, then forgotten.
func TestLostRequest(t *testing.T) {
	tests := []struct {
		name       string
		config     Config
		method     string
		path, body string
		endpoint   string // its pattern
		lookup     string
		wantStatus int
		wantFound  bool // the look-up's 200 rather than 404
		wantLost   int64
	}{
		{name: "accepted number registration", config: Config{Lose: map[Group]float64{GroupNumbers: 1}},
			method: http.MethodPost, path: "/numbers/n1", body: `{"campaign_id":"c1"}`, endpoint: "POST /numbers/{id}", lookup: "/numbers/n1",
			wantStatus: http.StatusAccepted, wantLost: 1},
		{name: "accepted brand deletion", config: Config{Lose: map[Group]float64{GroupRegistry: 1}},
			method: http.MethodDelete, path: "/registry/brands/b1", endpoint: "DELETE /registry/brands/{id}", lookup: "/registry/brands/b1",
			wantStatus: http.StatusNoContent, wantLost: 1},
		{name: "another group's rate does not apply", config: Config{Lose: map[Group]float64{GroupRegistry: 1, GroupATT: 0}},
			method: http.MethodPost, path: "/carriers/att/campaigns/c1", body: `{"carrier":"att"}`, endpoint: "POST /carriers/att/campaigns/{id}", lookup: "/carriers/att/campaigns/c1",
			wantStatus: http.StatusAccepted, wantFound: true},
		{name: "a refusal is never lost", config: Config{Lose: map[Group]float64{GroupRegistry: 1}, Rejections: map[Rejection]float64{RejectInvalidEIN: 1}},
			method: http.MethodPost, path: "/registry/brands/b1", body: `{"legal_name":"Acme","entity_type":"PRIVATE_PROFIT"}`, endpoint: "POST /registry/brands/{id}", lookup: "/registry/brands/b1",
			wantStatus: http.StatusBadRequest, wantFound: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				tt.config.Latencies = fixedLatencies()
				h := start(t, tt.config)
				status, _, body := h.do(tt.method, tt.path, "k1", tt.body)
				if status != tt.wantStatus {
					t.Fatalf("%s %s = %d %s, want %d", tt.method, tt.path, status, body, tt.wantStatus)
				}
				settle(time.Minute)
				wantLookup := http.StatusNotFound
				if tt.wantFound {
					wantLookup = http.StatusOK
				}
				if got, _ := h.lookup(tt.lookup); got != wantLookup {
					t.Errorf("GET %s = %d, want %d", tt.lookup, got, wantLookup)
				}
				c := h.counters()
				if got := c.Endpoints[tt.endpoint].Lost; got != tt.wantLost {
					t.Errorf("lost = %d, want %d", got, tt.wantLost)
				}
				if tt.wantLost > 0 && (c.Webhooks.Emitted != 0 || len(h.receiver.events(t)) != 0) {
					t.Errorf("a lost request caused webhooks: %+v", c.Webhooks)
				}
			})
		})
	}
}

// The same answer a kept request gets: a caller cannot tell a lost request.
func TestLostRequestIsAnsweredAsUsual(t *testing.T) {
	answers := map[bool]string{}
	for _, lose := range []float64{0, 1} {
		synctest.Test(t, func(t *testing.T) {
			h := start(t, Config{Lose: map[Group]float64{GroupNumbers: lose}})
			status, header, body := h.do(http.MethodPost, "/numbers/n1", "k1", `{"campaign_id":"c1"}`)
			answers[lose == 1] = fmt.Sprint(status, " ", header.Get("Content-Type"), " ", body)
		})
	}
	if answers[true] != answers[false] {
		t.Errorf("lost request answered %q, kept one %q", answers[true], answers[false])
	}
}

// A reconciling caller re-sends under a new key only what a look-up does not
// find. Every record is kept once and every other request lost; a re-send is
// a resubmission, counted as one when it is kept and as lost when it is lost
// again, so that there are no more resubmissions than requests lost.
func TestResubmissionsAfterLostRequests(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const records = 40
		h := start(t, Config{Latencies: fixedLatencies(), Lose: map[Group]float64{GroupNumbers: 0.5},
			RateLimits: map[Group]int{GroupNumbers: 0}})
		register := func(id string, round int) {
			t.Helper()
			if _, err := h.tcr.RegisterNumber(t.Context(), id, tcr.Meta{IdempotencyKey: fmt.Sprintf("%s-try-%d", id, round)}, number1); err != nil {
				t.Fatalf("RegisterNumber %s: %v", id, err)
			}
		}
		pending := map[string]bool{}
		for i := range records {
			id := fmt.Sprintf("n%d", i)
			register(id, 0)
			pending[id] = true
		}
		resent, firstLost := int64(0), int64(0)
		for round := 1; len(pending) > 0; round++ {
			if round > 30 {
				t.Fatalf("%d records still not found after 30 rounds", len(pending))
			}
			settle(time.Minute)
			for id := range pending {
				switch status, events := h.lookup("/numbers/" + id); status {
				case http.StatusOK:
					if len(events) != 1 {
						t.Errorf("GET /numbers/%s lists %d events, want 1", id, len(events))
					}
					delete(pending, id)
				case http.StatusNotFound:
					register(id, round)
					resent++
					if round == 1 {
						firstLost++
					}
				default:
					t.Fatalf("GET /numbers/%s = %d", id, status)
				}
			}
		}
		ep := h.counters().Endpoints["POST /numbers/{id}"]
		if ep.Lost == 0 || ep.Lost == records {
			t.Errorf("lost %d of %d first tries: want some, not all", ep.Lost, records)
		}
		if ep.Requests != records+resent || ep.Resubmitted != firstLost || ep.Lost != resent || ep.Resubmitted > ep.Lost {
			t.Errorf("requests, resubmitted, lost = %d, %d, %d; want %d, %d (first tries lost), %d (re-sent)",
				ep.Requests, ep.Resubmitted, ep.Lost, records+resent, firstLost, resent)
		}
		if got, want := len(h.receiver.events(t)), records; got != want {
			t.Errorf("receiver got %d webhooks, want one per record: %d", got, want)
		}
	})
}
