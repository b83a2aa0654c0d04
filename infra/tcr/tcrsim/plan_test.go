package tcrsim

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/tendlc/tendlc/infra/tcr"
)

func TestEventIDIsDerivedFromTheRequest(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	base := request{endpoint: "POST /registry/brands/{id}", id: "b1", key: "k1", body: []byte(`{"a":1}`), now: t0}
	with := func(change func(*request)) request {
		r := base
		change(&r)
		return r
	}
	keyless := with(func(r *request) { r.key = "" })
	baseID := eventID(base, StepRegistry, 0)
	tests := []struct {
		name     string
		r        request
		step     Step
		position int
		wantSame bool
	}{
		{name: "same request later", r: with(func(r *request) { r.now = t0.Add(time.Hour) }), step: StepRegistry, wantSame: true},
		{name: "same key, another body", r: with(func(r *request) { r.body = []byte(`{"a":2}`) }), step: StepRegistry, wantSame: true},
		{name: "another key", r: with(func(r *request) { r.key = "k2" }), step: StepRegistry},
		{name: "no key", r: keyless, step: StepRegistry},
		{name: "another record", r: with(func(r *request) { r.id = "b2" }), step: StepRegistry},
		{name: "another endpoint", r: with(func(r *request) { r.endpoint = "DELETE /registry/brands/{id}" }), step: StepRegistry},
		{name: "another step", r: base, step: StepRevet},
		{name: "next position", r: base, step: StepRegistry, position: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := eventID(tt.r, tt.step, tt.position)
			if len(got) != 32 {
				t.Errorf("event id %q has %d digits, want 32", got, len(got))
			}
			if same := got == baseID; same != tt.wantSame {
				t.Errorf("event id %s vs %s: same = %v, want %v", got, baseID, same, tt.wantSame)
			}
		})
	}
	t.Run("no key: the body tells requests apart", func(t *testing.T) {
		edited := keyless
		edited.body = []byte(`{"a":2}`)
		if eventID(keyless, StepRegistry, 0) == eventID(edited, StepRegistry, 0) {
			t.Error("keyless requests with different bodies share an event id")
		}
	})
}

// Two simulators with different seeds give the same request's webhooks the
// same event ids: nothing random goes into them.
func TestEventIDsDoNotDependOnTheSeed(t *testing.T) {
	ids := func(seed uint64) []string {
		var out []string
		synctest.Test(t, func(t *testing.T) {
			h := start(t, Config{Seed: seed, Latencies: fixedLatencies()})
			if _, err := h.tcr.SubmitCampaign(t.Context(), "c1", tcr.Meta{IdempotencyKey: "cmd-1"}, twoFA); err != nil {
				t.Fatalf("SubmitCampaign: %v", err)
			}
			settle(time.Minute)
			for _, e := range h.receiver.events(t) {
				out = append(out, e.EventID)
			}
		})
		return out
	}
	a, b := ids(1), ids(2)
	if len(a) != 2 || len(b) != 2 || a[0] != b[0] || a[1] != b[1] || a[0] == a[1] {
		t.Errorf("event ids with seed 1 = %v, seed 2 = %v: want two distinct ids, equal across seeds", a, b)
	}
}
