package sweeper

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/tendlc/tendlc/statemachine"
)

func TestRedriveRecordsWhateverTheirWait(t *testing.T) {
	recent := waiting(statemachine.KindBrand, "b-1h", statemachine.Submitted, time.Hour)
	verified := waiting(statemachine.KindBrand, "b-verified", statemachine.Verified, 90*time.Hour)
	number := waiting(statemachine.KindNumber, "+12025550101", statemachine.Registering, 5*time.Minute)
	approved := waiting(statemachine.KindCampaign, "c1", statemachine.Approved, time.Minute) // a transitional state
	tests := []struct {
		name         string
		dryRun       bool
		want         Report
		wantSent     []string
		wantRedrives int       // re-drives stored on b-1h afterwards
		wantWait     time.Time // b-1h's WaitSince afterwards
	}{
		{name: "re-drive", want: Report{Started: t0, Stuck: 3, Redriven: 3}, wantRedrives: 1, wantWait: t0,
			wantSent: []string{"registry:registry.submit_brand:b-1h", "numbers:numbers.register:+12025550101",
				"events:campaign.numbers_requested:c1"}},
		{name: "dry run", dryRun: true, want: Report{DryRun: true, Started: t0, Stuck: 3, Redriven: 3}, wantRedrives: 0,
			wantWait: recent.WaitSince},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, newMemStore(recent, verified, number, approved), func(c *Config) { c.DryRun = tt.dryRun })
			rep, err := f.sweeper.Redrive(t.Context(), []statemachine.Record{recent, verified, number, approved})

			if !errors.Is(err, statemachine.ErrNotWaiting) {
				t.Errorf("Redrive error = %v, want ErrNotWaiting for b-verified", err)
			}
			if !reportsEqual(rep, tt.want) {
				t.Errorf("report %+v, want %+v", rep, tt.want)
			}
			if got := f.sender.messages(); !slices.Equal(got, tt.wantSent) {
				t.Errorf("sent %v, want %v", got, tt.wantSent)
			}
			got := f.store.get(t, statemachine.KindBrand, "b-1h")
			if got.Redrives != tt.wantRedrives || !got.WaitSince.Equal(tt.wantWait) {
				t.Errorf("b-1h re-drives %d, wait since %v; want %d, %v", got.Redrives, got.WaitSince, tt.wantRedrives, tt.wantWait)
			}
			if got := f.store.get(t, statemachine.KindBrand, "b-verified"); got.Redrives != 0 || got.Version != verified.Version {
				t.Errorf("b-verified was touched: re-drives %d, version %d", got.Redrives, got.Version)
			}
			if got, want := len(rep.Planned), map[bool]int{true: 3, false: 0}[tt.dryRun]; got != want {
				t.Errorf("%d planned re-drives, want %d", got, want)
			}
			if got, want := len(f.downstream.lookups()), 2; got != want {
				t.Errorf("downstream asked %d times, want %d (the brand and the number)", got, want)
			}
			if acquired, _, _ := f.lease.counts(); acquired != 0 {
				t.Errorf("lease acquired %d times, want none: the conditional count arbitrates", acquired)
			}
		})
	}
}

func TestRedriveRecordsLeavesABacklogAlone(t *testing.T) {
	rec := waiting(statemachine.KindBrand, "b1", statemachine.Pending, time.Hour)
	store := newMemStore(rec)
	f := newFixture(t, store, nil)
	f.queues.busy = map[statemachine.Destination]bool{statemachine.ToRegistry: true}

	rep, err := f.sweeper.Redrive(t.Context(), []statemachine.Record{rec})
	if err != nil {
		t.Fatalf("Redrive: %v", err)
	}
	if want := (Report{Started: t0, Stuck: 1, Backlog: 1}); !reportsEqual(rep, want) {
		t.Errorf("report %+v, want %+v", rep, want)
	}
	if got := f.sender.messages(); len(got) != 0 {
		t.Errorf("sent %v, want nothing: the submit may still be queued", got)
	}
	if got := store.writeCount(); got != 0 {
		t.Errorf("%d writes, want none", got)
	}
}

func TestRedriveRecordsSkipsARecordThatMovedOn(t *testing.T) {
	read := waiting(statemachine.KindBrand, "b1", statemachine.Submitted, 2*time.Hour)
	moved := read
	moved.State, moved.Version = statemachine.Verified, read.Version+1
	f := newFixture(t, newMemStore(moved), nil)

	rep, err := f.sweeper.Redrive(t.Context(), []statemachine.Record{read})
	if err != nil {
		t.Fatalf("Redrive: %v", err)
	}
	if rep.Skipped != 1 || rep.Redriven != 0 {
		t.Errorf("report %+v, want b1 skipped", rep)
	}
	if got := f.sender.messages(); len(got) != 0 {
		t.Errorf("sent %v, want nothing", got)
	}
}

func TestRedriveRecordsStopsWhenTheContextEnds(t *testing.T) {
	f := newFixture(t, newMemStore(), nil)
	ctx, cancel := context.WithCancelCause(t.Context())
	stop := errors.New("operator interrupted")
	cancel(stop)

	rep, err := f.sweeper.Redrive(ctx, []statemachine.Record{waiting(statemachine.KindBrand, "b1", statemachine.Submitted, time.Hour)})
	if !errors.Is(err, stop) {
		t.Errorf("Redrive error = %v, want the context's cause", err)
	}
	if rep.Stuck != 0 || len(f.sender.messages()) != 0 {
		t.Errorf("report %+v, sent %v: want nothing done", rep, f.sender.messages())
	}
}
