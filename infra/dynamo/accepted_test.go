package dynamo

import (
	"testing"
	"time"

	"github.com/tendlc/tendlc/statemachine"
)

func TestMarkAcceptedRestartsTheWaitOfAWatchedRecord(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	waiting := create(t, f.store, record(statemachine.KindCampaign, "c1", "b1", statemachine.CarrierReview))
	done := create(t, f.store, record(statemachine.KindCampaign, "c2", "b1", statemachine.Active))
	at := t0.Add(time.Hour)

	tests := []struct {
		name        string
		rec         statemachine.Record
		at          time.Time
		wantSince   time.Time
		wantVersion int64
	}{
		{"a waiting record's wait starts at the acceptance", waiting, at, at, waiting.Version + 1},
		{"an earlier acceptance does not move it back", waiting, t0.Add(time.Minute), at, waiting.Version + 1},
		{"a record that is not watched is left alone", done, at, t0, done.Version},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := f.store.MarkAccepted(ctx, tt.rec.Kind, tt.rec.ID, tt.at); err != nil {
				t.Fatal(err)
			}
			got, err := f.store.Get(ctx, tt.rec.Kind, tt.rec.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !got.WaitSince.Equal(tt.wantSince) || got.Version != tt.wantVersion {
				t.Errorf("wait since %v, version %d; want %v, %d", got.WaitSince, got.Version, tt.wantSince, tt.wantVersion)
			}
		})
	}
	if err := f.store.MarkAccepted(ctx, statemachine.KindCampaign, "absent", at); err != nil {
		t.Errorf("an absent record: err = %v, want nil", err)
	}
	if _, err := f.store.Get(ctx, statemachine.KindCampaign, "absent"); err == nil {
		t.Error("MarkAccepted created an absent record")
	}
}
