package main

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tendlc/tendlc/infra/deploytest"
	"github.com/tendlc/tendlc/infra/tcr/tcrhook"
	"github.com/tendlc/tendlc/infra/tcr/tcrsim"
	"github.com/tendlc/tendlc/statemachine"
)

// simulated serves carriersim's simulator, its webhooks posted to the
// webhook shim's handler, which sends them to d's events queue. Every step
// answers within 50 ms; rejections are as given.
func simulated(tb testing.TB, d deploytest.Deployment, rejections map[tcrsim.Rejection]float64) string {
	tb.Helper()
	secret := []byte("flow-test-secret-of-at-least-32-bytes!")
	hook, err := tcrhook.NewHandler(tcrhook.HandlerConfig{Secret: tcrhook.StaticSecret(secret), Sink: d.Producer(tb)})
	if err != nil {
		tb.Fatal(err)
	}
	hooks := httptest.NewServer(hook)
	tb.Cleanup(hooks.Close)
	fast := map[tcrsim.Step]tcrsim.Latency{}
	for _, s := range tcrsim.Steps() {
		fast[s] = tcrsim.Latency{Min: 10 * time.Millisecond, Max: 50 * time.Millisecond}
	}
	sim, err := tcrsim.New(tcrsim.Config{WebhookURL: hooks.URL + "/webhooks", Secret: secret, Seed: 18,
		RateLimits: map[tcrsim.Group]int{}, Latencies: fast, Rejections: rejections})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(sim.Close)
	srv := httptest.NewServer(sim.Handler())
	tb.Cleanup(srv.Close)
	return srv.URL
}

// TestFlowV2GoesThroughTheEvidenceReview runs regd --flow v2 against the
// simulator: a campaign goes through the registry's review of its opt-in
// evidence to ACTIVE, on flow v2 for life; with the evidence rejected it
// ends REJECTED 30909 and no carrier hears of it.
func TestFlowV2GoesThroughTheEvidenceReview(t *testing.T) {
	tests := []struct {
		name       string
		rejections map[tcrsim.Rejection]float64
		end        statemachine.State
		states     string
		code       int
	}{
		{name: "approved", end: statemachine.Active,
			states: "PENDING TCR_PENDING IN_REVIEW EVIDENCE_REVIEW CARRIER_REVIEW APPROVED NUMBERS_PENDING ACTIVE"},
		{name: "rejected", rejections: map[tcrsim.Rejection]float64{tcrsim.RejectEvidence: 1}, end: statemachine.Rejected,
			states: "PENDING TCR_PENDING IN_REVIEW EVIDENCE_REVIEW REJECTED", code: statemachine.CodeOptInUnverified},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := deploytest.New(t)
			url := simulated(t, d, tt.rejections)
			startRegd(t, d, func(m *Main) {
				m.Config.Flow = statemachine.FlowV2
				m.Config.DownstreamURL = url
				m.Config.Rates = map[string]float64{"registry": 50, "att": 50, "tmobile": 50, "verizon": 50, "numbers": 50}
			})
			numbers := []string{"+12025550121", "+12025550122"}
			if err := d.Producer(t).Send(t.Context(), registrations("b1", "c1", numbers)...); err != nil {
				t.Fatal(err)
			}
			c := waitFor(t, d, statemachine.KindCampaign, "c1", 90*time.Second, inState(tt.end))
			if c.Flow != statemachine.FlowV2 {
				t.Errorf("campaign flow %v, want v2", c.Flow)
			}
			var states []string
			for _, step := range statePath(t, d, statemachine.KindCampaign, "c1") {
				_, to, _ := strings.Cut(step, ">")
				if len(states) == 0 || states[len(states)-1] != to {
					states = append(states, to)
				}
			}
			if got := strings.Join(states, " "); got != tt.states {
				t.Errorf("campaign states %q, want %q", got, tt.states)
			}
			if tt.code != 0 && (c.Reason == nil || c.Reason.Code != tt.code) {
				t.Errorf("reason %+v, want code %d", c.Reason, tt.code)
			}
			if tt.end == statemachine.Rejected && len(c.Carriers) != 0 {
				t.Errorf("carriers %v, want none asked after the evidence was rejected", c.Carriers)
			}
		})
	}
}
