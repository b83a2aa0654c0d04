package tcrsim

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tendlc/tendlc/infra/tcr"
)

// The JSON shape of GET /counters is a contract with the benchmarks.
func TestCountersJSONShape(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := start(t, Config{Latencies: fixedLatencies()})
		if _, err := h.tcr.SubmitBrand(t.Context(), "b1", tcr.Meta{}, acme); err != nil {
			t.Fatalf("SubmitBrand: %v", err)
		}
		settle(time.Minute)
		status, header, body := h.do(http.MethodGet, "/counters", "", "")
		if status != http.StatusOK || header.Get("Content-Type") != "application/json" {
			t.Fatalf("GET /counters = %d %s", status, header.Get("Content-Type"))
		}
		var doc map[string]map[string]any
		if err := json.Unmarshal([]byte(body), &doc); err != nil {
			t.Fatalf("decode: %v\n%s", err, body)
		}
		keys := func(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }
		requestFields := []string{"lost", "rate_limited", "repeated", "requests", "resubmitted", "server_errors"}
		groupFields := slices.Sorted(slices.Values(append([]string{"max_accepted_per_second", "max_received_per_second"}, requestFields...)))
		webhookFields := []string{"dropped", "dropped_by_fault", "duplicated", "emitted", "failed", "reordered", "replayed", "retried", "sent"}

		if got, want := slices.Sorted(maps.Keys(doc)), []string{"endpoints", "groups", "webhooks", "webhooks_by_event_type"}; !slices.Equal(got, want) {
			t.Errorf("top-level keys = %v, want %v", got, want)
		}
		if got, want := keys(doc["groups"]), []string{"att", "numbers", "registry", "tmobile", "verizon"}; !slices.Equal(got, want) {
			t.Errorf("groups = %v, want %v", got, want)
		}
		for g, v := range doc["groups"] {
			if got := keys(v.(map[string]any)); !slices.Equal(got, groupFields) {
				t.Errorf("groups.%s fields = %v, want %v", g, got, groupFields)
			}
		}
		wantEndpoints := []string{
			"DELETE /numbers/{id}", "DELETE /registry/brands/{id}", "DELETE /registry/campaigns/{id}",
			"GET /carriers/att/campaigns/{id}", "GET /carriers/tmobile/campaigns/{id}", "GET /carriers/verizon/campaigns/{id}",
			"GET /numbers/{id}", "GET /registry/brands/{id}", "GET /registry/campaigns/{id}", "GET /registry/campaigns/{id}/evidence",
			"POST /carriers/att/campaigns/{id}", "POST /carriers/tmobile/campaigns/{id}", "POST /carriers/verizon/campaigns/{id}",
			"POST /numbers/{id}", "POST /registry/brands/{id}", "POST /registry/brands/{id}/revet", "POST /registry/campaigns/{id}",
			"POST /registry/campaigns/{id}/evidence",
		}
		if got := keys(doc["endpoints"]); !slices.Equal(got, wantEndpoints) {
			t.Errorf("endpoints = %v, want %v", got, wantEndpoints)
		}
		for ep, v := range doc["endpoints"] {
			if got := keys(v.(map[string]any)); !slices.Equal(got, requestFields) {
				t.Errorf("endpoints[%q] fields = %v, want %v", ep, got, requestFields)
			}
		}
		if got := keys(doc["webhooks"]); !slices.Equal(got, webhookFields) {
			t.Errorf("webhooks fields = %v, want %v", got, webhookFields)
		}
		if got, want := keys(doc["webhooks_by_event_type"]), []string{"BRAND_IDENTITY_STATUS_UPDATE"}; !slices.Equal(got, want) {
			t.Errorf("webhooks_by_event_type = %v, want %v", got, want)
		}

		c := h.counters()
		if got, want := c.Groups[GroupRegistry].Requests, int64(1); got != want {
			t.Errorf("registry requests = %d, want %d", got, want)
		}
		if got, want := c.WebhooksByEventType[tcr.EventBrandIdentityStatusUpdate], (WebhookStats{Emitted: 1, Sent: 1}); got != want {
			t.Errorf("identity webhooks = %+v, want %+v", got, want)
		}
	})
}

func TestHealthz(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := start(t, Config{})
		if status, _, body := h.do(http.MethodGet, "/healthz", "", ""); status != http.StatusOK {
			t.Errorf("GET /healthz = %d %s, want 200", status, body)
		}
	})
}
