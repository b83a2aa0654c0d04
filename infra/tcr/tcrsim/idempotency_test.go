package tcrsim

import (
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tendlc/tendlc/infra/tcr"
)

func TestRepeatedRequests(t *testing.T) {
	const first = `{"legal_name":"Acme","ein":"12-3456789","entity_type":"PRIVATE_PROFIT"}`
	const edited = `{"legal_name":"Acme Inc","ein":"12-3456789","entity_type":"PRIVATE_PROFIT"}`
	tests := []struct {
		name             string
		key, againKey    string
		againBody        string
		wait             time.Duration // between the two requests
		wantRepeated     int64
		wantResubmitted  int64
		wantDeliveries   int
		wantDistinctIDs  int
		wantReplayed     int64
		rejectInvalidEIN bool
	}{
		{name: "same key: first answer, webhook sent again", key: "k1", againKey: "k1", againBody: edited, wait: time.Minute,
			wantRepeated: 1, wantDeliveries: 2, wantDistinctIDs: 1, wantReplayed: 1},
		{name: "no key, same request: first answer, webhook sent again", againBody: first, wait: time.Minute,
			wantRepeated: 1, wantDeliveries: 2, wantDistinctIDs: 1, wantReplayed: 1},
		{name: "repeat before the webhook is due: not sent twice", key: "k1", againKey: "k1", againBody: first, wait: 100 * time.Millisecond,
			wantRepeated: 1, wantDeliveries: 1, wantDistinctIDs: 1},
		{name: "new key: decided anew", key: "k1", againKey: "k2", againBody: first, wait: time.Minute,
			wantResubmitted: 1, wantDeliveries: 2, wantDistinctIDs: 2},
		{name: "no key, edited body: decided anew", againBody: edited, wait: time.Minute,
			wantResubmitted: 1, wantDeliveries: 2, wantDistinctIDs: 2},
		{name: "a refusal is repeated as given", key: "k1", againKey: "k1", againBody: first, wait: time.Minute,
			rejectInvalidEIN: true, wantRepeated: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cfg := Config{Latencies: fixedLatencies()}
				if tt.rejectInvalidEIN {
					cfg.Rejections = map[Rejection]float64{RejectInvalidEIN: 1}
				}
				h := start(t, cfg)
				status1, _, body1 := h.do(http.MethodPost, "/registry/brands/b1", tt.key, first)
				settle(tt.wait)
				status2, _, body2 := h.do(http.MethodPost, "/registry/brands/b1", tt.againKey, tt.againBody)
				settle(time.Minute)

				if tt.wantRepeated > 0 && (status2 != status1 || body2 != body1) {
					t.Errorf("repeat answered %d %s, want the first answer %d %s", status2, body2, status1, body1)
				}
				ep := h.counters().Endpoints["POST /registry/brands/{id}"]
				if ep.Repeated != tt.wantRepeated || ep.Resubmitted != tt.wantResubmitted {
					t.Errorf("repeated, resubmitted = %d, %d, want %d, %d", ep.Repeated, ep.Resubmitted, tt.wantRepeated, tt.wantResubmitted)
				}
				events := h.receiver.events(t)
				ids := map[string]bool{}
				for _, e := range events {
					ids[e.EventID] = true
				}
				if len(events) != tt.wantDeliveries || len(ids) != tt.wantDistinctIDs {
					t.Errorf("receiver got %d webhooks with %d distinct ids, want %d with %d", len(events), len(ids), tt.wantDeliveries, tt.wantDistinctIDs)
				}
				if got := h.counters().Webhooks.Replayed; got != tt.wantReplayed {
					t.Errorf("replayed = %d, want %d", got, tt.wantReplayed)
				}
			})
		})
	}
}

// A re-drive recovers a dropped webhook: the repeated request sends it again.
func TestRepeatRecoversDroppedWebhook(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := start(t, Config{Latencies: fixedLatencies()})
		if status, _, body := h.do(http.MethodPost, "/admin/faults", "", `{"drop":[{"event_type":"NUMBER_REGISTRATION_UPDATE","number":"n1"}]}`); status != http.StatusOK {
			t.Fatalf("POST /admin/faults: %d %s", status, body)
		}
		meta := tcr.Meta{IdempotencyKey: "cmd-1"}
		if _, err := h.tcr.RegisterNumber(t.Context(), "n1", meta, number1); err != nil {
			t.Fatalf("RegisterNumber: %v", err)
		}
		settle(time.Minute)
		if got := len(h.receiver.events(t)); got != 0 {
			t.Fatalf("receiver got %d webhooks, want 0 (dropped)", got)
		}
		if _, err := h.tcr.RegisterNumber(t.Context(), "n1", meta, number1); err != nil {
			t.Fatalf("RegisterNumber again: %v", err)
		}
		settle(time.Minute)
		events := h.receiver.events(t)
		if len(events) != 1 || events[0].NumberStatus != tcr.NumberRegistered || events[0].Number != "n1" {
			t.Fatalf("receiver got %+v, want one REGISTERED for n1", events)
		}
		w := h.counters().Webhooks
		if w.Emitted != 2 || w.DroppedByFault != 1 || w.Replayed != 1 || w.Sent != 1 {
			t.Errorf("webhook counters = %+v, want emitted 2, dropped_by_fault 1, replayed 1, sent 1", w)
		}
	})
}

// What the memory says of a request after others for the same record.
func TestMemoryRecall(t *testing.T) {
	req := func(key, body string) request {
		return request{endpoint: "POST /numbers/{id}", id: "n1", key: key, body: []byte(body)}
	}
	type step struct {
		r    request
		lose bool // lost rather than remembered
	}
	tests := []struct {
		name             string
		before           []step
		r                request
		wantRepeat       bool
		wantResubmission bool
	}{
		{name: "first request", r: req("k1", "a")},
		{name: "same key", before: []step{{r: req("k1", "a")}}, r: req("k1", "b"), wantRepeat: true},
		{name: "no key, same body", before: []step{{r: req("", "a")}}, r: req("", "a"), wantRepeat: true},
		{name: "no key, body of a keyed request", before: []step{{r: req("k1", "a")}}, r: req("", "a"), wantRepeat: true},
		{name: "another key", before: []step{{r: req("k1", "a")}}, r: req("k2", "a"), wantResubmission: true},
		{name: "no key, another body", before: []step{{r: req("", "a")}}, r: req("", "b"), wantResubmission: true},
		{name: "another record", before: []step{{r: request{endpoint: "POST /numbers/{id}", id: "n2", key: "k1"}}}, r: req("k2", "a")},
		{name: "same key as a lost one: decided anew, not a resubmission", before: []step{{r: req("k1", "a"), lose: true}}, r: req("k1", "a")},
		{name: "no key, same body as a lost one", before: []step{{r: req("", "a"), lose: true}}, r: req("", "a")},
		{name: "another key than a lost one", before: []step{{r: req("k1", "a"), lose: true}}, r: req("k2", "a"), wantResubmission: true},
		{name: "same key as a lost one after a kept one", before: []step{{r: req("k1", "a")}, {r: req("k2", "a"), lose: true}}, r: req("k2", "a"), wantResubmission: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newMemory()
			for _, s := range tt.before {
				if s.lose {
					m.lose(s.r)
				} else {
					m.remember(s.r, &submission{})
				}
			}
			prev, resubmission := m.recall(tt.r)
			if got := prev != nil; got != tt.wantRepeat {
				t.Errorf("repeat = %v, want %v", got, tt.wantRepeat)
			}
			if resubmission != tt.wantResubmission {
				t.Errorf("resubmission = %v, want %v", resubmission, tt.wantResubmission)
			}
		})
	}
}
