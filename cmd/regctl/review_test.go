package main

import (
	"strings"
	"testing"
	"time"

	"github.com/tendlc/tendlc/statemachine"
)

func TestReviewSendsTheVerdict(t *testing.T) {
	s, db, q := deployment(t)
	store := newStore(t, db, s)
	seed(t, store, waitingRecord(statemachine.KindCampaign, "c-review", statemachine.InReview, asOf.Add(-48*time.Hour)))
	seed(t, store, waitingRecord(statemachine.KindCampaign, "c-early", statemachine.TCRPending, asOf))
	seed(t, store, waitingRecord(statemachine.KindCampaign, "c-active", statemachine.Active, asOf))
	events := queueURL(t, q, s, string(statemachine.ToEvents))

	tests := []struct {
		name    string
		args    []string
		code    int
		want    statemachine.EventType // sent, "" for nothing
		payload string
		stderr  string
	}{
		{name: "reject", args: []string{"review", "reject", "c-review", "--reason", "sample messages do not match", "--code", "30893"},
			code: exitOK, want: statemachine.CampaignReviewRejected, payload: `{"code":30893,"description":"sample messages do not match"}`},
		{name: "approve", args: []string{"review", "approve", "c-review"}, code: exitOK, want: statemachine.CampaignReviewApproved},
		{name: "approve early", args: []string{"review", "approve", "c-early"}, code: exitOK, want: statemachine.CampaignReviewApproved},
		{name: "approve too late", args: []string{"review", "approve", "c-active"}, code: exitFailure,
			stderr: "campaign c-active is in ACTIVE, where regd would ignore campaign.review_approved (stale or duplicate): nothing sent"},
		{name: "absent", args: []string{"review", "approve", "c-404"}, code: exitFailure, stderr: `no campaign "c-404"`},
		{name: "reject without reason", args: []string{"review", "reject", "c-review"}, code: exitUsage, stderr: "--reason is required"},
		{name: "no campaign", args: []string{"review", "approve"}, code: exitUsage, stderr: "want one campaign id"},
		{name: "approve takes no reason", args: []string{"review", "approve", "c-review", "--reason", "fine"}, code: exitUsage,
			stderr: "flag provided but not defined: -reason"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, nil, fixedEnv, withPrefix(s, tt.args...)...)
			if got, want := r.code, tt.code; got != want {
				t.Fatalf("exit code %d, want %d; stderr: %s", got, want, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("stderr %q, want %q", r.stderr, tt.stderr)
			}
			if tt.want == "" {
				if visible, _, _ := depth(t, q, events); visible != "0" {
					t.Errorf("%s messages on the events queue, want none", visible)
				}
				return
			}
			e := envelopes(t, receive(t, q, events, 1))[0]
			id := tt.args[2]
			if e.Type != tt.want || e.EntityID != id || e.Actor != "operator:alice" || e.CorrelationID != "corr-"+id ||
				!recent(e.OccurredAt) {
				t.Errorf("sent %s for %s by %s (correlation %s, at %v), want %s for %s by operator:alice (corr-%s, now)",
					e.Type, e.EntityID, e.Actor, e.CorrelationID, e.OccurredAt, tt.want, id, id)
			}
			if string(e.Payload) != tt.payload {
				t.Errorf("payload %s, want %q", e.Payload, tt.payload)
			}
			if !strings.Contains(r.stdout, e.EventID) {
				t.Errorf("output does not name event %s:\n%s", e.EventID, r.stdout)
			}
		})
	}
}
