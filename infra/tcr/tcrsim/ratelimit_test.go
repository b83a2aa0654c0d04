package tcrsim

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tendlc/tendlc/infra/tcr"
	"github.com/tendlc/tendlc/statemachine"
)

func TestLimiterSlidingWindow(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	l := newLimiter(2)
	steps := []struct {
		at       time.Duration
		wantOK   bool
		wantWait time.Duration
	}{
		{at: 0, wantOK: true},
		{at: 500 * time.Millisecond, wantOK: true},
		{at: 900 * time.Millisecond, wantWait: 100 * time.Millisecond},
		{at: 999 * time.Millisecond, wantWait: time.Millisecond},
		{at: time.Second, wantOK: true}, // the request at 0 left the window
		{at: 1200 * time.Millisecond, wantWait: 300 * time.Millisecond},
		{at: 1500 * time.Millisecond, wantOK: true},
	}
	for _, s := range steps {
		wait, ok := l.allow(t0.Add(s.at))
		if ok != s.wantOK || wait != s.wantWait {
			t.Errorf("allow at +%s = (%s, %v), want (%s, %v)", s.at, wait, ok, s.wantWait, s.wantOK)
		}
	}
	accepted, received := l.peaks()
	if got, want := accepted, 2; got != want {
		t.Errorf("peak accepted = %d, want %d", got, want)
	}
	if got, want := received, 5; got != want { // 0.5, 0.9, 0.999, 1.0 and 1.2 lie in one window
		t.Errorf("peak received = %d, want %d", got, want)
	}
}

func TestRateLimit(t *testing.T) {
	tests := []struct {
		name  string
		group Group
		call  func(ctx context.Context, c *tcr.Client, id string) error
	}{
		{name: "registry", group: GroupRegistry, call: func(ctx context.Context, c *tcr.Client, id string) error {
			_, err := c.SubmitBrand(ctx, id, tcr.Meta{}, acme)
			return err
		}},
		{name: "verizon", group: GroupVerizon, call: func(ctx context.Context, c *tcr.Client, id string) error {
			_, err := c.SubmitToCarrier(ctx, id, tcr.Meta{}, statemachine.CarrierUpdate{Carrier: statemachine.CarrierVerizon})
			return err
		}},
		{name: "numbers", group: GroupNumbers, call: func(ctx context.Context, c *tcr.Client, id string) error {
			_, err := c.DeregisterNumber(ctx, id, tcr.Meta{}, number1)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := start(t, Config{})
				for _, id := range []string{"r1", "r2"} {
					if err := tt.call(t.Context(), h.tcr, id); err != nil {
						t.Fatalf("request %s within the limit: %v", id, err)
					}
				}
				err := tt.call(t.Context(), h.tcr, "r3")
				herr, ok := errors.AsType[*tcr.HTTPError](err)
				if !ok || herr.Status != 429 || herr.RetryAfter != time.Second || !herr.Retryable() {
					t.Fatalf("third request in one second: %v, want 429 with Retry-After 1s", err)
				}
				// Another group has its own limit.
				if _, err := h.tcr.SubmitToCarrier(t.Context(), "c1", tcr.Meta{}, statemachine.CarrierUpdate{Carrier: statemachine.CarrierATT}); tt.group != GroupATT && err != nil {
					t.Errorf("request to att: %v", err)
				}
				time.Sleep(herr.RetryAfter)
				if err := tt.call(t.Context(), h.tcr, "r3"); err != nil {
					t.Fatalf("request after Retry-After: %v", err)
				}

				got := h.counters().Groups[tt.group]
				want := GroupStats{RequestStats: RequestStats{Requests: 4, RateLimited: 1}, MaxAcceptedPerSecond: 2, MaxReceivedPerSecond: 3}
				if got != want {
					t.Errorf("counters of %s = %+v, want %+v", tt.group, got, want)
				}
			})
		})
	}
}

func TestRateLimitOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := start(t, Config{RateLimits: map[Group]int{GroupRegistry: 0}})
		for range 10 {
			if _, err := h.tcr.DeleteCampaign(t.Context(), "c1", tcr.Meta{}); err != nil {
				t.Fatalf("DeleteCampaign: %v", err)
			}
		}
		if got, want := h.counters().Groups[GroupRegistry].MaxAcceptedPerSecond, 10; got != want {
			t.Errorf("max accepted per second = %d, want %d", got, want)
		}
	})
}

func TestInjectedServerErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := start(t, Config{ServerErrors: map[Group]float64{GroupNumbers: 1}})
		_, err := h.tcr.RegisterNumber(t.Context(), "n1", tcr.Meta{}, number1)
		if herr, ok := errors.AsType[*tcr.HTTPError](err); !ok || herr.Status != 503 || !herr.Retryable() {
			t.Fatalf("RegisterNumber: %v, want a retryable 503", err)
		}
		if _, err := h.tcr.DeleteCampaign(t.Context(), "c1", tcr.Meta{}); err != nil {
			t.Errorf("registry, no injected errors: %v", err)
		}
		settle(time.Minute)
		c := h.counters()
		if got, want := c.Groups[GroupNumbers].ServerErrors, int64(1); got != want {
			t.Errorf("numbers server_errors = %d, want %d", got, want)
		}
		if got := len(h.receiver.events(t)); got != 0 {
			t.Errorf("receiver got %d webhooks for a 503, want 0", got)
		}
	})
}
