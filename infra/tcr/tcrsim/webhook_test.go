package tcrsim

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tendlc/tendlc/infra/tcr"
	"github.com/tendlc/tendlc/statemachine"
)

func TestWebhooksAreSigned(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := start(t, Config{Latencies: fixedLatencies()})
		if _, err := h.tcr.SubmitCampaign(t.Context(), "c1", tcr.Meta{}, twoFA); err != nil {
			t.Fatalf("SubmitCampaign: %v", err)
		}
		settle(time.Minute)
		got := h.receiver.deliveries(t) // fails the test on any signature tcr.Verify rejects
		if len(got) != 2 {
			t.Fatalf("receiver got %d webhooks, want 2", len(got))
		}
		url := h.receiver.url
		for _, d := range got {
			checks := []struct {
				name   string
				secret []byte
				url    string
				want   error
			}{
				{name: "right secret and URL", secret: testSecret, url: url},
				{name: "another secret", secret: []byte("other"), url: url, want: tcr.ErrBadSignature},
				{name: "another URL", secret: testSecret, url: url + "&x=1", want: tcr.ErrBadSignature},
			}
			for _, c := range checks {
				err := tcr.Verify(c.secret, c.url, d.body, d.signature, time.Now(), time.Minute)
				if !errors.Is(err, c.want) {
					t.Errorf("%s, %s: Verify = %v, want %v", d.event.EventType, c.name, err, c.want)
				}
			}
		}
	})
}

func TestDropAndDuplicateKnobs(t *testing.T) {
	const n = 40
	tests := []struct {
		name            string
		drop, duplicate float64
		check           func(t *testing.T, w WebhookStats)
	}{
		{name: "drop all", drop: 1, check: func(t *testing.T, w WebhookStats) {
			if w.Dropped != n || w.Sent != 0 {
				t.Errorf("dropped, sent = %d, %d, want %d, 0", w.Dropped, w.Sent, n)
			}
		}},
		{name: "duplicate all", duplicate: 1, check: func(t *testing.T, w WebhookStats) {
			if w.Duplicated != n || w.Sent != 2*n {
				t.Errorf("duplicated, sent = %d, %d, want %d, %d", w.Duplicated, w.Sent, n, 2*n)
			}
		}},
		{name: "half and half", drop: 0.5, duplicate: 0.5, check: func(t *testing.T, w WebhookStats) {
			if w.Dropped == 0 || w.Dropped == n || w.Duplicated == 0 || w.Duplicated == n-w.Dropped {
				t.Errorf("dropped %d, duplicated %d of %d: want some of each, not all", w.Dropped, w.Duplicated, n)
			}
		}},
		{name: "off", check: func(t *testing.T, w WebhookStats) {
			if w.Dropped != 0 || w.Duplicated != 0 || w.Sent != n {
				t.Errorf("dropped, duplicated, sent = %d, %d, %d, want 0, 0, %d", w.Dropped, w.Duplicated, w.Sent, n)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := start(t, Config{Drop: tt.drop, Duplicate: tt.duplicate, RateLimits: map[Group]int{GroupNumbers: 0}})
				for i := range n {
					id := fmt.Sprintf("n%d", i)
					if _, err := h.tcr.RegisterNumber(t.Context(), id, tcr.Meta{}, number1); err != nil {
						t.Fatalf("RegisterNumber %s: %v", id, err)
					}
				}
				settle(time.Minute)
				w := h.counters().Webhooks
				tt.check(t, w)

				// What the receiver saw agrees with the counters: one copy of
				// every event not dropped, a second of every duplicated one.
				copies := map[string]int{}
				for _, e := range h.receiver.events(t) {
					copies[e.EventID]++
				}
				twice := 0
				for _, c := range copies {
					if c == 2 {
						twice++
					}
				}
				if got, want := int64(len(copies)), w.Emitted-w.Dropped; got != want {
					t.Errorf("distinct events received = %d, want emitted - dropped = %d", got, want)
				}
				if got, want := int64(twice), w.Duplicated; got != want {
					t.Errorf("events received twice = %d, want duplicated = %d", got, want)
				}
				if got, want := w.Emitted-w.Dropped+w.Duplicated, w.Sent+w.Failed; got != want {
					t.Errorf("emitted - dropped + duplicated = %d, want sent + failed = %d", got, want)
				}
			})
		})
	}
}

func TestReorder(t *testing.T) {
	const campaigns = 10
	tests := []struct {
		name          string
		reorder       float64
		wantOvertaken bool
	}{
		{name: "off: review always first", reorder: 0},
		{name: "on: some approvals overtake their review", reorder: 1, wantOvertaken: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := start(t, Config{Latencies: fixedLatencies(), Reorder: tt.reorder, ReorderDelay: 5 * time.Second,
					RateLimits: map[Group]int{GroupATT: 0}})
				for i := range campaigns {
					if _, err := h.tcr.SubmitToCarrier(t.Context(), fmt.Sprintf("c%d", i), tcr.Meta{}, statemachine.CarrierUpdate{Carrier: statemachine.CarrierATT}); err != nil {
						t.Fatalf("SubmitToCarrier: %v", err)
					}
				}
				settle(time.Minute)
				reviewed := map[string]bool{}
				overtaken := 0
				for _, e := range h.receiver.events(t) {
					switch e.EventType {
					case tcr.EventMNOReview:
						reviewed[e.CampaignID] = true
					case tcr.EventMNOApproved:
						if !reviewed[e.CampaignID] {
							overtaken++
						}
					}
				}
				if got := overtaken > 0; got != tt.wantOvertaken {
					t.Errorf("%d of %d approvals arrived before their review; want some: %v", overtaken, campaigns, tt.wantOvertaken)
				}
				if got, want := len(reviewed), campaigns; got != want {
					t.Errorf("reviews received = %d, want %d", got, want)
				}
				if got, want := h.counters().Webhooks.Reordered, int64(tt.reorder*2*campaigns); got != want {
					t.Errorf("reordered = %d, want %d", got, want)
				}
			})
		})
	}
}

func TestDeliveryRetries(t *testing.T) {
	tests := []struct {
		name         string
		status       func(n int) int
		wantAttempts []time.Duration // since the request
		wantSent     int64
		wantRetried  int64
		wantFailed   int64
	}{
		{
			name: "accepted on the third attempt",
			status: func(n int) int {
				if n <= 2 {
					return http.StatusServiceUnavailable
				}
				return http.StatusOK
			},
			wantAttempts: []time.Duration{time.Second, 1250 * time.Millisecond, 1750 * time.Millisecond},
			wantSent:     1, wantRetried: 2,
		},
		{
			name:   "given up after the retry window",
			status: func(int) int { return http.StatusInternalServerError },
			// backoff 250ms, 500ms, 1s; the next (2s) would end past the 2s window
			wantAttempts: []time.Duration{time.Second, 1250 * time.Millisecond, 1750 * time.Millisecond, 2750 * time.Millisecond},
			wantRetried:  3, wantFailed: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				h := start(t, Config{Latencies: fixedLatencies(), RetryFor: 2 * time.Second, RetryBackoff: 250 * time.Millisecond})
				h.receiver.answer(tt.status)
				begin := time.Now()
				if _, err := h.tcr.DeleteBrand(t.Context(), "b1", tcr.Meta{}); err != nil {
					t.Fatalf("DeleteBrand: %v", err)
				}
				settle(time.Minute)
				got := h.receiver.deliveries(t)
				if len(got) != len(tt.wantAttempts) {
					t.Fatalf("receiver got %d attempts, want %d", len(got), len(tt.wantAttempts))
				}
				for i, d := range got {
					if at := d.at.Sub(begin); at != tt.wantAttempts[i] {
						t.Errorf("attempt %d at +%s, want +%s", i+1, at, tt.wantAttempts[i])
					}
					if d.event.EventID != got[0].event.EventID {
						t.Errorf("attempt %d has event id %s, want %s", i+1, d.event.EventID, got[0].event.EventID)
					}
				}
				w := h.counters().Webhooks
				if w.Sent != tt.wantSent || w.Retried != tt.wantRetried || w.Failed != tt.wantFailed {
					t.Errorf("sent, retried, failed = %d, %d, %d, want %d, %d, %d", w.Sent, w.Retried, w.Failed, tt.wantSent, tt.wantRetried, tt.wantFailed)
				}
			})
		})
	}
}

// Shutting down abandons webhooks not yet due, and Run returns cleanly.
func TestShutdownAbandonsPendingWebhooks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := start(t, Config{Latencies: fixedLatencies()})
		if _, err := h.tcr.RevetBrand(t.Context(), "b1", tcr.Meta{}); err != nil {
			t.Fatalf("RevetBrand: %v", err)
		}
		settle(time.Second) // the BRAND_REVET is due at 3s
		h.stop()
		settle(time.Minute)
		if got := len(h.receiver.events(t)); got != 0 {
			t.Errorf("receiver got %d webhooks after shutdown, want 0", got)
		}
	})
}
