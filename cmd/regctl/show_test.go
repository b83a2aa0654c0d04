package main

import (
	"strings"
	"testing"
	"time"

	"github.com/tendlc/tendlc/infra/dynamo"
	"github.com/tendlc/tendlc/statemachine"
)

// seedCampaign writes campaign c1 through its history up to CARRIER_REVIEW,
// with fixed times, and one of its numbers.
func seedCampaign(tb testing.TB, store *dynamo.Store) {
	tb.Helper()
	at := func(s string) time.Time {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			tb.Fatal(err)
		}
		return t
	}
	created := at("2026-02-27T09:00:00Z")
	rec := statemachine.Record{
		Kind: statemachine.KindCampaign, ID: "c1", ParentID: "b1", State: statemachine.Pending,
		CreatedAt: created, StateEnteredAt: created, UpdatedAt: created, CorrelationID: "corr-c1", Data: campaignData,
		Numbers: map[string]statemachine.NumberStatus{"+12025550102": statemachine.NumberPendingStatus, "+12025550101": statemachine.NumberPendingStatus},
	}
	var steps []step
	change := func(when string, state statemachine.State, event statemachine.EventType, actor string, edit func(*statemachine.Record)) {
		t := at(when)
		if rec.State != state {
			rec.StateEnteredAt = t
		}
		rec.State, rec.UpdatedAt, rec.LastMessageID = state, t, "evt-c1-"+string(event)
		if edit != nil {
			edit(&rec)
		}
		steps = append(steps, step{rec: rec, audit: statemachine.AuditEntry{
			Event: event, MessageID: rec.LastMessageID, At: t, Actor: actor, CorrelationID: "corr-c1",
		}})
	}
	change("2026-02-27T09:00:00Z", statemachine.Pending, statemachine.CampaignRegister, "producer", nil)
	change("2026-02-27T09:00:02Z", statemachine.TCRPending, statemachine.CampaignSubmit, "regd", nil)
	change("2026-02-27T09:01:10Z", statemachine.InReview, statemachine.CampaignRegistryAccepted, "dispatcher",
		func(r *statemachine.Record) { r.ExternalID = "CX4F2A1" })
	change("2026-02-28T15:30:00Z", statemachine.CarrierReview, statemachine.CampaignReviewApproved, "operator:alice",
		func(r *statemachine.Record) {
			r.Carriers = map[statemachine.Carrier]statemachine.CarrierStatus{
				statemachine.CarrierATT: statemachine.CarrierPending, statemachine.CarrierTMobile: statemachine.CarrierPending,
				statemachine.CarrierVerizon: statemachine.CarrierPending,
			}
		})
	change("2026-03-01T08:00:00Z", statemachine.CarrierReview, statemachine.CampaignCarrierApproved, "webhook",
		func(r *statemachine.Record) { r.Carriers[statemachine.CarrierATT] = statemachine.CarrierApproved })
	change("2026-03-01T09:12:00Z", statemachine.CarrierReview, statemachine.CampaignCarrierReview, "webhook",
		func(r *statemachine.Record) { r.Carriers[statemachine.CarrierTMobile] = statemachine.CarrierInReview })
	c1 := seed(tb, store, steps...)
	// Verizon's review, as the dispatcher writes it today: a note, on the
	// version before it.
	review := statemachine.Note{Map: statemachine.NoteCarriers, Key: string(statemachine.CarrierVerizon),
		From: []string{string(statemachine.CarrierPending)}, Value: string(statemachine.CarrierInReview)}
	if err := store.Note(tb.Context(), c1, review, statemachine.AuditEntry{From: statemachine.CarrierReview, To: statemachine.CarrierReview,
		Event: statemachine.CampaignCarrierReview, MessageID: "evt-c1-verizon-review", At: at("2026-03-01T09:30:00Z"),
		Actor: "webhook", CorrelationID: "corr-c1"}); err != nil {
		tb.Fatal(err)
	}

	registering := waitingRecord(statemachine.KindNumber, "+12025550101", statemachine.Registering, at("2026-03-01T10:00:00Z"))
	failed := registering
	failed.rec.State, failed.rec.Reason = statemachine.Failed, &statemachine.TimeoutReason
	failed.rec.StateEnteredAt, failed.rec.UpdatedAt = at("2026-03-02T10:00:05Z"), at("2026-03-02T10:00:05Z")
	failed.audit = statemachine.AuditEntry{
		Event: statemachine.NumberFailed, MessageID: "evt-sweeper-1", At: failed.rec.StateEnteredAt, Actor: statemachine.SweeperActor,
		CorrelationID: failed.rec.CorrelationID, Reason: failed.rec.Reason,
	}
	seed(tb, store, registering, failed)
}

func TestShowGolden(t *testing.T) {
	s, db, _ := deployment(t)
	seedCampaign(t, newStore(t, db, s))
	tests := []struct {
		golden string
		args   []string
	}{
		{"show-campaign.txt", []string{"show", "c1"}},
		{"show-campaign.json", []string{"show", "c1", "-o", "json"}},
		{"show-number.txt", []string{"show", "--kind", "number", "+12025550101"}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			r := run(t, nil, fixedEnv, withPrefix(s, tt.args...)...)
			if got, want := r.code, exitOK; got != want {
				t.Fatalf("exit code %d, want %d; stderr: %s", got, want, r.stderr)
			}
			golden(t, tt.golden, []byte(r.stdout))
		})
	}
}

func TestShowFindsTheKind(t *testing.T) {
	s, db, _ := deployment(t)
	seedCampaign(t, newStore(t, db, s))
	tests := []struct {
		name string
		args []string
		code int
		kind statemachine.Kind // of the record shown
	}{
		{"campaign inferred", []string{"show", "c1", "-o", "json"}, exitOK, statemachine.KindCampaign},
		{"number inferred", []string{"show", "-o", "json", "+12025550101"}, exitOK, statemachine.KindNumber},
		{"wrong kind", []string{"show", "c1", "--kind", "brand"}, exitFailure, ""},
		{"absent", []string{"show", "c404"}, exitFailure, ""},
		{"no id", []string{"show"}, exitUsage, ""},
		{"two ids", []string{"show", "c1", "c2"}, exitUsage, ""},
		{"unknown kind", []string{"show", "c1", "--kind", "person"}, exitUsage, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, nil, fixedEnv, withPrefix(s, tt.args...)...)
			if got, want := r.code, tt.code; got != want {
				t.Fatalf("exit code %d, want %d; stderr: %s", got, want, r.stderr)
			}
			if tt.code != exitOK {
				if r.stdout != "" || r.stderr == "" {
					t.Errorf("stdout %q, stderr %q: want the error on stderr only", r.stdout, r.stderr)
				}
				return
			}
			var v recordView
			decodeJSON(t, r.stdout, &v)
			if got, want := v.Kind, tt.kind; got != want {
				t.Errorf("showed a %s, want a %s", got, want)
			}
		})
	}
	if r := run(t, nil, fixedEnv, withPrefix(s, "show", "c404")...); !strings.Contains(r.stderr, `no campaign, brand or number "c404"`) {
		t.Errorf("stderr %q, want it to say which kinds it tried", r.stderr)
	}
}
