package dynamo

import (
	"testing"
	"time"

	"github.com/tendlc/tendlc/statemachine"
)

// withCommand returns r waiting on command id to downstream to, sent at t0.
func withCommand(r statemachine.Record, to statemachine.Destination, id string) statemachine.Record {
	r.Commands = map[statemachine.Destination]statemachine.CommandRef{to: {EventID: id, SentAt: t0}}
	return r
}

func TestMarksRecordWhatBecameOfACommand(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	const att = statemachine.ToATT
	waiting := create(t, f.store, withCommand(record(statemachine.KindCampaign, "c1", "b1", statemachine.CarrierReview), att, "cmd-1"))
	done := create(t, f.store, withCommand(record(statemachine.KindCampaign, "c2", "b1", statemachine.Active), att, "cmd-2"))
	failedAt, acceptedAt := t0.Add(time.Minute), t0.Add(time.Hour)

	steps := []struct {
		name          string
		mark          func() error
		id            string
		wantAttempted time.Time
		wantAccepted  time.Time
		wantSince     time.Time
		wantVersion   int64 // the marks make no new version
	}{
		{"a failed call marks the command attempted",
			func() error {
				return f.store.MarkAttempted(ctx, statemachine.KindCampaign, "c1", att, "cmd-1", failedAt)
			},
			"c1", failedAt, time.Time{}, t0, waiting.Version},
		{"only the first failure is written",
			func() error {
				return f.store.MarkAttempted(ctx, statemachine.KindCampaign, "c1", att, "cmd-1", failedAt.Add(time.Second))
			},
			"c1", failedAt, time.Time{}, t0, waiting.Version},
		{"another command's mark is not this one's",
			func() error {
				return f.store.MarkAccepted(ctx, statemachine.KindCampaign, "c1", att, "cmd-0", acceptedAt)
			},
			"c1", failedAt, time.Time{}, t0, waiting.Version},
		{"the acceptance is recorded and restarts the wait",
			func() error {
				return f.store.MarkAccepted(ctx, statemachine.KindCampaign, "c1", att, "cmd-1", acceptedAt)
			},
			"c1", failedAt, acceptedAt, acceptedAt, waiting.Version},
		{"a record that is not watched is left alone",
			func() error {
				return f.store.MarkAccepted(ctx, statemachine.KindCampaign, "c2", att, "cmd-2", acceptedAt)
			},
			"c2", time.Time{}, time.Time{}, t0, done.Version},
		{"an absent record is not created",
			func() error {
				return f.store.MarkAttempted(ctx, statemachine.KindCampaign, "absent", att, "cmd-9", failedAt)
			},
			"", time.Time{}, time.Time{}, time.Time{}, 0},
	}
	for _, tt := range steps {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.mark(); err != nil {
				t.Fatal(err)
			}
			if tt.id == "" {
				if _, err := f.store.Get(ctx, statemachine.KindCampaign, "absent"); err == nil {
					t.Error("a mark created an absent record")
				}
				return
			}
			got, err := f.store.Get(ctx, statemachine.KindCampaign, tt.id)
			if err != nil {
				t.Fatal(err)
			}
			ref := got.Commands[att]
			if !ref.AttemptedAt.Equal(tt.wantAttempted) || !ref.AcceptedAt.Equal(tt.wantAccepted) || ref.EventID == "" {
				t.Errorf("command %+v, want attempted %v, accepted %v", ref, tt.wantAttempted, tt.wantAccepted)
			}
			if !got.WaitSince.Equal(tt.wantSince) || got.Version != tt.wantVersion {
				t.Errorf("wait since %v, version %d; want %v, %d", got.WaitSince, got.Version, tt.wantSince, tt.wantVersion)
			}
		})
	}
}

// TestTransitionKeepsMarksSetSinceItsRead: a transition decided on a read
// from before a mark neither conflicts with the mark (which makes no new
// version) nor writes the command back as it read it; one that sends a new
// command to the same downstream replaces it.
func TestTransitionKeepsMarksSetSinceItsRead(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	const att, tmo = statemachine.ToATT, statemachine.ToTMobile
	rec := withCommand(record(statemachine.KindCampaign, "c1", "b1", statemachine.CarrierReview), att, "cmd-att")
	rec.Commands[tmo] = statemachine.CommandRef{EventID: "cmd-tmo", SentAt: t0}
	read := create(t, f.store, rec)
	acceptedAt := t0.Add(time.Hour)
	for _, to := range []statemachine.Destination{att, tmo} {
		if err := f.store.MarkAccepted(ctx, statemachine.KindCampaign, "c1", to, "cmd-"+string(to), acceptedAt); err != nil {
			t.Fatal(err)
		}
	}

	next := read
	next.Commands = map[statemachine.Destination]statemachine.CommandRef{
		att: read.Commands[att],
		tmo: {EventID: "cmd-tmo-2", SentAt: acceptedAt.Add(time.Minute)},
	}
	next.Carriers = map[statemachine.Carrier]statemachine.CarrierStatus{statemachine.CarrierATT: statemachine.CarrierInReview}
	if _, err := f.store.Transition(ctx, &read, next, statemachine.AuditEntry{Event: statemachine.CampaignCarrierReview}); err != nil {
		t.Fatalf("Transition from a read before the marks = %v, want it written", err)
	}
	got, err := f.store.Get(ctx, statemachine.KindCampaign, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if ref := got.Commands[att]; !ref.AcceptedAt.Equal(acceptedAt) || ref.EventID != "cmd-att" {
		t.Errorf("command to att = %+v, want cmd-att with its acceptance %v kept", ref, acceptedAt)
	}
	if ref := got.Commands[tmo]; ref.EventID != "cmd-tmo-2" || !ref.AcceptedAt.IsZero() {
		t.Errorf("command to tmobile = %+v, want the new cmd-tmo-2, not yet accepted", ref)
	}
	if !got.WaitSince.Equal(acceptedAt) || got.Version != read.Version+1 || got.Carriers[statemachine.CarrierATT] != statemachine.CarrierInReview {
		t.Errorf("wait since %v, version %d, carriers %v; want the mark's %v, %d, att reviewing", got.WaitSince, got.Version, got.Carriers, acceptedAt, read.Version+1)
	}
}
