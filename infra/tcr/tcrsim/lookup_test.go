package tcrsim

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tendlc/tendlc/infra/tcr"
	"github.com/tendlc/tendlc/statemachine"
)

// lookup sends a status look-up and decodes a 200 answer's events.
func (h *harness) lookup(path string) (int, []tcr.WebhookEvent) {
	h.t.Helper()
	status, header, body := h.do(http.MethodGet, path, "", "")
	if got := header.Get("Content-Type"); got != "application/json" {
		h.t.Errorf("GET %s: Content-Type %q, want application/json", path, got)
	}
	if status != http.StatusOK {
		return status, nil
	}
	var doc struct {
		Events *[]tcr.WebhookEvent `json:"events"`
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil || doc.Events == nil {
		h.t.Fatalf("GET %s: %s: want {\"events\":[...]} (%v)", path, body, err)
	}
	return status, *doc.Events
}

// A look-up lists what the webhooks said, with the same event ids, oldest
// first, and nothing of another record or downstream.
func TestLookupListsTheWebhooksDecisions(t *testing.T) {
	type call func(ctx context.Context, c *tcr.Client) (tcr.Result, error)
	carrier := func(campaign string, c statemachine.Carrier) call {
		return func(ctx context.Context, cl *tcr.Client) (tcr.Result, error) {
			return cl.SubmitToCarrier(ctx, campaign, tcr.Meta{}, statemachine.CarrierUpdate{Carrier: c})
		}
	}
	tests := []struct {
		name      string
		calls     []call
		path      string
		about     func(e tcr.WebhookEvent) bool // the received webhooks the look-up lists
		wantTypes []tcr.EventType
	}{
		{
			name: "brand: identity, then delete overtakes the slower revet",
			calls: []call{
				func(ctx context.Context, c *tcr.Client) (tcr.Result, error) {
					return c.SubmitBrand(ctx, "b1", tcr.Meta{}, acme)
				},
				func(ctx context.Context, c *tcr.Client) (tcr.Result, error) {
					return c.RevetBrand(ctx, "b1", tcr.Meta{})
				},
				func(ctx context.Context, c *tcr.Client) (tcr.Result, error) {
					return c.DeleteBrand(ctx, "b1", tcr.Meta{})
				},
				func(ctx context.Context, c *tcr.Client) (tcr.Result, error) {
					return c.SubmitBrand(ctx, "b2", tcr.Meta{}, acme)
				},
			},
			path:      "/registry/brands/b1",
			about:     func(e tcr.WebhookEvent) bool { return e.BrandID == "b1" },
			wantTypes: []tcr.EventType{tcr.EventBrandIdentityStatusUpdate, tcr.EventBrandDelete, tcr.EventBrandRevet},
		},
		{
			name: "campaign: registry and reviewer",
			calls: []call{
				func(ctx context.Context, c *tcr.Client) (tcr.Result, error) {
					return c.SubmitCampaign(ctx, "c1", tcr.Meta{}, twoFA)
				},
				carrier("c1", statemachine.CarrierATT),
			},
			path:      "/registry/campaigns/c1",
			about:     func(e tcr.WebhookEvent) bool { return e.CampaignID == "c1" && e.MNOID == 0 },
			wantTypes: []tcr.EventType{tcr.EventCampaignAdd, tcr.EventCampaignShareAccept},
		},
		{
			name: "campaign: the evidence review apart",
			calls: []call{
				func(ctx context.Context, c *tcr.Client) (tcr.Result, error) {
					return c.SubmitCampaign(ctx, "c1", tcr.Meta{}, twoFA)
				},
				func(ctx context.Context, c *tcr.Client) (tcr.Result, error) {
					return c.SubmitEvidence(ctx, "c1", tcr.Meta{}, statemachine.Evidence{UseCase: twoFA.UseCase, SampleMessages: twoFA.SampleMessages})
				},
			},
			path: "/registry/campaigns/c1/evidence",
			about: func(e tcr.WebhookEvent) bool {
				return e.EventType == tcr.EventCampaignEvidenceApproved || e.EventType == tcr.EventCampaignEvidenceRejected
			},
			wantTypes: []tcr.EventType{tcr.EventCampaignEvidenceApproved},
		},
		{
			name:  "campaign at one carrier",
			calls: []call{carrier("c1", statemachine.CarrierATT), carrier("c1", statemachine.CarrierVerizon), carrier("c2", statemachine.CarrierVerizon)},
			path:  "/carriers/verizon/campaigns/c1",
			about: func(e tcr.WebhookEvent) bool {
				return e.CampaignID == "c1" && e.MNOID == statemachine.CarrierVerizon.MNOID()
			},
			wantTypes: []tcr.EventType{tcr.EventMNOReview, tcr.EventMNOApproved},
		},
		{
			name: "number: registered, then deregistered",
			calls: []call{
				func(ctx context.Context, c *tcr.Client) (tcr.Result, error) {
					return c.RegisterNumber(ctx, "n1", tcr.Meta{}, number1)
				},
				func(ctx context.Context, c *tcr.Client) (tcr.Result, error) {
					return c.DeregisterNumber(ctx, "n1", tcr.Meta{}, number1)
				},
			},
			path:      "/numbers/n1",
			about:     func(e tcr.WebhookEvent) bool { return e.Number == "n1" },
			wantTypes: []tcr.EventType{tcr.EventNumberRegistrationUpdate, tcr.EventNumberDeregistrationUpdate},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := start(t, Config{Latencies: fixedLatencies(), RateLimits: map[Group]int{GroupRegistry: 0, GroupATT: 0, GroupVerizon: 0, GroupNumbers: 0}})
				for _, c := range tt.calls {
					if _, err := c(t.Context(), h.tcr); err != nil {
						t.Fatalf("call: %v", err)
					}
					settle(1500 * time.Millisecond) // no two decisions at one time: the receiver's order is theirs
				}
				settle(time.Minute)
				var want []tcr.WebhookEvent
				for _, e := range h.receiver.events(t) {
					if tt.about(e) {
						want = append(want, e)
					}
				}
				slices.SortStableFunc(want, func(a, b tcr.WebhookEvent) int { return a.Timestamp.Compare(b.Timestamp) })
				status, got := h.lookup(tt.path)
				if status != http.StatusOK {
					t.Fatalf("GET %s = %d, want 200", tt.path, status)
				}
				if !slices.EqualFunc(got, want, func(a, b tcr.WebhookEvent) bool { return a == b }) {
					t.Errorf("GET %s events =\n%+v\nwant the webhooks\n%+v", tt.path, got, want)
				}
				var types []tcr.EventType
				for _, e := range got {
					types = append(types, e.EventType)
				}
				if !slices.Equal(types, tt.wantTypes) {
					t.Errorf("event types = %v, want %v", types, tt.wantTypes)
				}
			})
		})
	}
}

// A webhook lost to a targeted fault or the drop knob is recoverable: the
// look-up lists its event, under the id the webhook carries.
func TestLookupRecoversDroppedWebhook(t *testing.T) {
	t.Run("targeted fault", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := start(t, Config{Latencies: fixedLatencies()})
			if status, _, body := h.do(http.MethodPost, "/admin/faults", "", `{"drop":[{"event_type":"CAMPAIGN_SHARE_ACCEPT","campaign_id":"c1"}]}`); status != http.StatusOK {
				t.Fatalf("POST /admin/faults: %d %s", status, body)
			}
			meta := tcr.Meta{IdempotencyKey: "cmd-1"}
			if _, err := h.tcr.SubmitCampaign(t.Context(), "c1", meta, twoFA); err != nil {
				t.Fatalf("SubmitCampaign: %v", err)
			}
			settle(time.Minute)
			if got := h.receiver.events(t); len(got) != 1 || got[0].EventType != tcr.EventCampaignAdd {
				t.Fatalf("receiver got %+v, want CAMPAIGN_ADD only (the verdict dropped)", got)
			}
			_, listed := h.lookup("/registry/campaigns/c1")
			if len(listed) != 2 || listed[1].EventType != tcr.EventCampaignShareAccept {
				t.Fatalf("look-up lists %+v, want CAMPAIGN_ADD and the dropped CAMPAIGN_SHARE_ACCEPT", listed)
			}

			// A repeat sends the verdict again: the event the look-up listed.
			if _, err := h.tcr.SubmitCampaign(t.Context(), "c1", meta, twoFA); err != nil {
				t.Fatalf("SubmitCampaign again: %v", err)
			}
			settle(time.Minute)
			got := h.receiver.events(t)
			if len(got) != 3 || got[2] != listed[1] {
				t.Fatalf("receiver got %+v, want the look-up's %+v last", got, listed[1])
			}
			if w := h.counters().Webhooks; w.DroppedByFault != 1 {
				t.Errorf("dropped_by_fault = %d, want 1", w.DroppedByFault)
			}
		})
	})
	t.Run("drop knob", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			h := start(t, Config{Latencies: fixedLatencies(), Drop: 1})
			if _, err := h.tcr.RegisterNumber(t.Context(), "n1", tcr.Meta{IdempotencyKey: "cmd-1"}, number1); err != nil {
				t.Fatalf("RegisterNumber: %v", err)
			}
			settle(time.Minute)
			_, listed := h.lookup("/numbers/n1")
			if len(listed) != 1 || listed[0].NumberStatus != tcr.NumberRegistered {
				t.Fatalf("look-up lists %+v, want the dropped REGISTERED", listed)
			}
			r := request{endpoint: "POST /numbers/{id}", id: "n1", key: "cmd-1"}
			if got, want := listed[0].EventID, eventID(r, StepNumbers, 0); got != want {
				t.Errorf("event id = %s, want %s", got, want)
			}
			if w := h.counters().Webhooks; w.Dropped != 1 || w.Sent != 0 {
				t.Errorf("dropped, sent = %d, %d, want 1, 0", w.Dropped, w.Sent)
			}
		})
	})
}

// The downstream has not decided what is not due yet.
func TestLookupListsOnlyDueDecisions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := start(t, Config{Latencies: fixedLatencies()}) // CAMPAIGN_ADD at 1s, the verdict at 3s
		if _, err := h.tcr.SubmitCampaign(t.Context(), "c1", tcr.Meta{}, twoFA); err != nil {
			t.Fatalf("SubmitCampaign: %v", err)
		}
		steps := []struct {
			wait      time.Duration
			wantTypes []tcr.EventType
		}{
			{wait: 0, wantTypes: []tcr.EventType{}},
			{wait: time.Second, wantTypes: []tcr.EventType{tcr.EventCampaignAdd}},
			{wait: 1999 * time.Millisecond, wantTypes: []tcr.EventType{tcr.EventCampaignAdd}},
			{wait: time.Millisecond, wantTypes: []tcr.EventType{tcr.EventCampaignAdd, tcr.EventCampaignShareAccept}},
		}
		var elapsed time.Duration
		for _, s := range steps {
			settle(s.wait)
			elapsed += s.wait
			status, events := h.lookup("/registry/campaigns/c1")
			types := []tcr.EventType{}
			for _, e := range events {
				types = append(types, e.EventType)
			}
			if status != http.StatusOK || !slices.Equal(types, s.wantTypes) {
				t.Errorf("at +%s: look-up = %d %v, want 200 %v", elapsed, status, types, s.wantTypes)
			}
		}
	})
}

// 404: no request for the record reached that downstream.
func TestLookupNotFound(t *testing.T) {
	tests := []struct {
		name   string
		config Config
		before func(h *harness) // requests that leave nothing at the looked-up endpoint
		path   string
	}{
		{name: "unknown record", path: "/registry/brands/b9", before: func(h *harness) {
			h.do(http.MethodPost, "/registry/brands/b1", "k1", `{"legal_name":"Acme","entity_type":"PRIVATE_PROFIT"}`)
		}},
		{name: "the same id is a brand, not a campaign", path: "/registry/campaigns/b1", before: func(h *harness) {
			h.do(http.MethodPost, "/registry/brands/b1", "k1", `{"legal_name":"Acme","entity_type":"PRIVATE_PROFIT"}`)
		}},
		{name: "another carrier has it", path: "/carriers/tmobile/campaigns/c1", before: func(h *harness) {
			h.do(http.MethodPost, "/carriers/att/campaigns/c1", "k1", `{"carrier":"att"}`)
		}},
		{name: "a malformed request is not remembered", path: "/numbers/n1", before: func(h *harness) {
			h.do(http.MethodPost, "/numbers/n1", "k1", `{"number":"+15551230001"}`)
		}},
		{name: "a rate-limited request is not remembered", path: "/numbers/n1", config: Config{RateLimits: map[Group]int{GroupNumbers: 1}},
			before: func(h *harness) {
				h.do(http.MethodPost, "/numbers/n0", "k0", `{"campaign_id":"c1"}`)
				if status, _, _ := h.do(http.MethodPost, "/numbers/n1", "k1", `{"campaign_id":"c1"}`); status != http.StatusTooManyRequests {
					h.t.Fatalf("second request in a second = %d, want 429", status)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := start(t, tt.config)
				tt.before(h)
				settle(time.Minute)
				status, _, body := h.do(http.MethodGet, tt.path, "", "")
				var msg errorBody
				if err := json.Unmarshal([]byte(body), &msg); status != http.StatusNotFound || err != nil || !strings.Contains(msg.Message, "no request") {
					t.Errorf("GET %s = %d %s, want 404 with a message", tt.path, status, body)
				}
			})
		})
	}
}

// A refusal answered at once is a request the downstream has: found, with
// nothing to come.
func TestLookupOfARefusal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := start(t, Config{Rejections: map[Rejection]float64{RejectInvalidEIN: 1}})
		if status, _, _ := h.do(http.MethodPost, "/registry/brands/b1", "k1", `{"legal_name":"Acme","entity_type":"PRIVATE_PROFIT"}`); status != http.StatusBadRequest {
			t.Fatalf("POST = %d, want 400 (invalid EIN)", status)
		}
		settle(time.Minute)
		if status, _, body := h.do(http.MethodGet, "/registry/brands/b1", "", ""); status != http.StatusOK || strings.TrimSpace(body) != `{"events":[]}` {
			t.Errorf("GET = %d %s, want 200 {\"events\":[]}", status, body)
		}
	})
}

// A look-up passes through its group's rate limit and injected errors, is
// counted under its own pattern, and is never taken for a repeat.
func TestLookupSharesTheGroupsHandling(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := start(t, Config{ServerErrors: map[Group]float64{GroupATT: 1}})
		if _, err := h.tcr.SubmitBrand(t.Context(), "b1", tcr.Meta{IdempotencyKey: "k1"}, acme); err != nil {
			t.Fatalf("SubmitBrand: %v", err)
		}
		if status, _, body := h.do(http.MethodGet, "/registry/brands/b1", "k1", ""); status != http.StatusOK {
			t.Fatalf("look-up within the limit = %d %s, want 200", status, body)
		}
		status, header, _ := h.do(http.MethodGet, "/registry/brands/b1", "k1", "")
		if status != http.StatusTooManyRequests || header.Get("Retry-After") != "1" {
			t.Errorf("third registry request in a second = %d, Retry-After %q, want 429 after 1", status, header.Get("Retry-After"))
		}
		if status, _, _ := h.do(http.MethodGet, "/carriers/att/campaigns/c1", "", ""); status != http.StatusServiceUnavailable {
			t.Errorf("look-up at att = %d, want the injected 503", status)
		}

		c := h.counters()
		checks := []struct {
			name      string
			got, want RequestStats
		}{
			{"GET /registry/brands/{id}", c.Endpoints["GET /registry/brands/{id}"], RequestStats{Requests: 2, RateLimited: 1}},
			{"POST /registry/brands/{id}", c.Endpoints["POST /registry/brands/{id}"], RequestStats{Requests: 1}},
			{"GET /carriers/att/campaigns/{id}", c.Endpoints["GET /carriers/att/campaigns/{id}"], RequestStats{Requests: 1, ServerErrors: 1}},
			{"registry group", c.Groups[GroupRegistry].RequestStats, RequestStats{Requests: 3, RateLimited: 1}},
		}
		for _, ch := range checks {
			if ch.got != ch.want {
				t.Errorf("%s counters = %+v, want %+v", ch.name, ch.got, ch.want)
			}
		}
		if got, want := c.Groups[GroupRegistry].MaxAcceptedPerSecond, 2; got != want {
			t.Errorf("registry max accepted per second = %d, want %d", got, want)
		}
	})
}

// tcr.Client.Lookup against the simulator: the observation holds the events
// the webhooks translate to, under the same ids; a lost request is not found.
func TestClientLookupAgainstTheSimulator(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := start(t, Config{Latencies: fixedLatencies(), Lose: map[Group]float64{GroupNumbers: 1}})
		if _, err := h.tcr.SubmitToCarrier(t.Context(), "c1", tcr.Meta{IdempotencyKey: "cmd-1"}, statemachine.CarrierUpdate{Carrier: statemachine.CarrierTMobile}); err != nil {
			t.Fatalf("SubmitToCarrier: %v", err)
		}
		if _, err := h.tcr.RegisterNumber(t.Context(), "n1", tcr.Meta{IdempotencyKey: "cmd-2"}, number1); err != nil {
			t.Fatalf("RegisterNumber: %v", err)
		}
		settle(time.Minute)

		obs, err := h.tcr.Lookup(t.Context(), statemachine.Lookup{To: statemachine.ToTMobile, Kind: statemachine.KindCampaign, ID: "c1"})
		if err != nil || !obs.Found {
			t.Fatalf("Lookup at T-Mobile = %+v, %v; want found", obs, err)
		}
		var want []string
		for _, e := range h.receiver.events(t) {
			envs, err := tcr.Translate(e)
			if err != nil {
				t.Fatalf("Translate: %v", err)
			}
			for _, env := range envs {
				want = append(want, string(env.Type)+" "+env.EventID)
			}
		}
		var got []string
		for _, env := range obs.Events {
			got = append(got, string(env.Type)+" "+env.EventID)
		}
		if len(got) != 2 || !slices.Equal(got, want) {
			t.Errorf("observed %v, want the webhooks' %v", got, want)
		}

		obs, err = h.tcr.Lookup(t.Context(), statemachine.Lookup{To: statemachine.ToNumbers, Kind: statemachine.KindNumber, ID: "n1"})
		if err != nil || obs.Found {
			t.Errorf("Lookup of the lost number = %+v, %v; want not found, no error", obs, err)
		}
	})
}
