package legacy

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tendlc/tendlc/infra/tcr"
)

func TestBenchWebhooksAreValidAndCoverEveryType(t *testing.T) {
	events := benchWebhooks(2*len(webhookMix), "run-")
	seen := map[tcr.EventType]bool{}
	ids := map[string]bool{}
	for _, e := range events {
		if err := e.Validate(); err != nil {
			t.Errorf("%s %s: %v", e.EventType, e.EventID, err)
		}
		seen[e.EventType] = true
		ids[e.EventID] = true
	}
	if got, want := len(seen), 17; got != want {
		t.Errorf("%d event types in the load, want %d (every known type)", got, want)
	}
	if got, want := len(ids), len(events); got != want {
		t.Errorf("%d distinct event ids for %d webhooks, want one each", got, want)
	}
}

func TestExpectedEventsCountsOnlyAcceptedWebhooks(t *testing.T) {
	events := benchWebhooks(len(webhookMix), "run-")
	results := make([]webhookResult, len(events))
	accepted := 0
	for i, e := range events {
		results[i].status = http.StatusAccepted
		if e.EventType == tcr.EventCampaignShareAdd || e.EventType == tcr.EventCampaignResubmission {
			results[i].status = http.StatusOK
			continue
		}
		if i%2 == 0 {
			results[i].status = http.StatusServiceUnavailable
			continue
		}
		accepted++
	}
	want, err := expectedEvents(events, results)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(want); got != accepted {
		t.Errorf("%d expected events, want %d (one per 202)", got, accepted)
	}
}

func TestWebhookReportFailsOnMissingEvents(t *testing.T) {
	b := &WebhookBench{Senders: 2}
	results := []webhookResult{{status: http.StatusAccepted}, {status: http.StatusAccepted}, {status: http.StatusOK}}
	tests := []struct {
		name    string
		found   map[string]int
		wantErr string // "" for none
	}{
		{"all there", map[string]int{"a": 1, "b": 1}, ""},
		{"duplicates are fine", map[string]int{"a": 2, "b": 1}, ""},
		{"one missing", map[string]int{"a": 1}, "1 accepted webhooks are not on the queue"},
		{"one unexpected", map[string]int{"a": 1, "b": 1, "c": 1}, "1 events on the queue belong to no accepted webhook"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			received := 0
			for _, n := range tt.found {
				received += n
			}
			err := b.report(&out, results, time.Second, map[string]bool{"a": true, "b": true}, tt.found, received)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("report: %v, want nil", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("report: %v, want an error containing %q", err, tt.wantErr)
			}
			if !strings.Contains(out.String(), "p99 ms") {
				t.Errorf("report lacks the latency table:\n%s", out.String())
			}
		})
	}
}
