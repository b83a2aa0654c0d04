package dynamo

import (
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/tendlc/tendlc/statemachine"
)

func TestRecordRedriveCountsOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	read := create(t, f.store, record(statemachine.KindBrand, "b1", "", statemachine.Submitted))
	at := t0.Add(25 * time.Hour)

	first, err := f.store.RecordRedrive(ctx, read, counts(1, 0), at)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := first.Redrives, 1; got != want {
		t.Errorf("redrives = %d, want %d", got, want)
	}
	if got, want := first.Version, read.Version+1; got != want {
		t.Errorf("version = %d, want %d", got, want)
	}
	if !first.UpdatedAt.Equal(at) || !first.WaitSince.Equal(at) || !first.StateEnteredAt.Equal(read.StateEnteredAt) {
		t.Errorf("updated at %v, wait since %v, entered %v; want %v, %v and the unchanged %v",
			first.UpdatedAt, first.WaitSince, first.StateEnteredAt, at, at, read.StateEnteredAt)
	}
	stored, err := f.store.Get(ctx, statemachine.KindBrand, "b1")
	if err != nil {
		t.Fatal(err)
	}
	if stored.Redrives != 1 || stored.Version != first.Version {
		t.Errorf("stored redrives %d version %d, want what RecordRedrive returned (%d, %d)", stored.Redrives, stored.Version, 1, first.Version)
	}

	// A second sweeper that read the record before the first re-drive loses.
	if _, err := f.store.RecordRedrive(ctx, read, counts(1, 0), at); !errors.Is(err, statemachine.ErrConflict) {
		t.Errorf("re-drive from a stale read: err = %v, want a conflict", err)
	}
	// The dispatcher that read it before the re-drive conflicts and re-reads.
	next := read
	next.State = statemachine.Verified
	if _, err := f.store.Transition(ctx, &read, next, statemachine.AuditEntry{To: statemachine.Verified}); !errors.Is(err, statemachine.ErrConflict) {
		t.Errorf("transition from the read before the re-drive: err = %v, want a conflict", err)
	}
	second, err := f.store.RecordRedrive(ctx, first, counts(1, 1), at.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := second.Checks, 1; got != want || second.Redrives != 1 {
		t.Errorf("checks = %d, redrives %d, want %d and 1", got, second.Redrives, want)
	}
	// A sweeper that read the record before the check loses too: the
	// condition is the version read.
	if _, err := f.store.RecordRedrive(ctx, first, counts(2, 0), at.Add(time.Hour)); !errors.Is(err, statemachine.ErrConflict) {
		t.Errorf("re-drive from a read before the check: err = %v, want a conflict", err)
	}
	// A re-drive that counts nothing still restarts the wait, and only one
	// sweeper makes it.
	waited, err := f.store.RecordRedrive(ctx, second, counts(1, 1), at.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !waited.WaitSince.Equal(at.Add(2 * time.Hour)) {
		t.Errorf("wait since %v, want %v", waited.WaitSince, at.Add(2*time.Hour))
	}
	if _, err := f.store.RecordRedrive(ctx, second, counts(1, 1), at.Add(2*time.Hour)); !errors.Is(err, statemachine.ErrConflict) {
		t.Errorf("the same uncounted re-drive twice: err = %v, want a conflict", err)
	}
	if got := f.meter.Snapshot().ByOperation[opRecordRedrive]; got.Requests != 6 {
		t.Errorf("metered %d RecordRedrive requests, want 6", got.Requests)
	}
}

func TestRecordRedriveConflicts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	read := create(t, f.store, record(statemachine.KindNumber, "+12025550100", "c1", statemachine.Registering))

	moved := read
	moved.State = statemachine.Registered
	moved = move(t, f.store, &read, moved)
	reentered := create(t, f.store, record(statemachine.KindBrand, "b2", "", statemachine.Submitted))
	sameState := reentered
	sameState.StateEnteredAt = reentered.StateEnteredAt.Add(time.Hour)
	move(t, f.store, &reentered, sameState)

	tests := []struct {
		name string
		rec  statemachine.Record
	}{
		{"the record moved on", read},
		{"the record entered its state again", reentered},
		{"the record does not exist", record(statemachine.KindBrand, "nope", "", statemachine.Submitted)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.store.RecordRedrive(ctx, tt.rec, counts(1, 0), t0)
			var conflict *statemachine.ConflictError
			if !errors.As(err, &conflict) {
				t.Fatalf("err = %v, want a *statemachine.ConflictError", err)
			}
			if conflict.ID != tt.rec.ID || conflict.ExpectedState != tt.rec.State {
				t.Errorf("conflict names %s in %s, want %s in %s", conflict.ID, conflict.ExpectedState, tt.rec.ID, tt.rec.State)
			}
		})
	}
	if _, err := f.store.Get(ctx, statemachine.KindBrand, "nope"); !errors.Is(err, statemachine.ErrNotFound) {
		t.Errorf("a re-drive of an absent record created it: Get err = %v", err)
	}
	if got, err := f.store.Get(ctx, statemachine.KindNumber, "+12025550100"); err != nil || got.Redrives != 0 || got.Version != moved.Version {
		t.Errorf("the moved record was changed: %+v, %v", got, err)
	}
}

func TestRecordRedriveHasOneWinner(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	read := create(t, f.store, record(statemachine.KindCampaign, "c1", "b1", statemachine.CarrierReview))
	const sweepers = 8
	var wins, conflicts atomic.Int32
	var wg sync.WaitGroup
	for range sweepers {
		wg.Go(func() {
			_, err := f.store.RecordRedrive(t.Context(), read, counts(1, 0), t0)
			switch {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, statemachine.ErrConflict):
				conflicts.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got, want := wins.Load(), int32(1); got != want {
		t.Errorf("%d sweepers re-drove the record, want %d (%d conflicted)", got, want, conflicts.Load())
	}
}

func TestRecordRedriveWrapsOtherErrors(t *testing.T) {
	boom := errors.New("boom")
	s, err := New(&fakeAPI{update: func(*dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error) { return nil, boom }},
		Config{Table: "records"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.RecordRedrive(t.Context(), record(statemachine.KindBrand, "b1", "", statemachine.Submitted), counts(1, 0), t0)
	if !errors.Is(err, boom) || errors.Is(err, statemachine.ErrConflict) {
		t.Errorf("err = %v, want boom and no conflict", err)
	}
}

// counts is a plan that sets the counters and sends no command.
func counts(redrives, checks int) statemachine.RedrivePlan {
	return statemachine.RedrivePlan{Redrives: redrives, Checks: checks}
}

func TestRecordRedriveWritesTheCommandsItSends(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	read := create(t, f.store, withCommand(record(statemachine.KindCampaign, "c1", "b1", statemachine.CarrierReview),
		statemachine.ToATT, "cmd-att"))
	at := t0.Add(time.Hour)
	// A mark after the sweeper's read makes no new version: the re-drive
	// goes through and keeps it.
	failedAt := t0.Add(time.Minute)
	if err := f.store.MarkAttempted(t.Context(), statemachine.KindCampaign, "c1", statemachine.ToATT, "cmd-att", failedAt); err != nil {
		t.Fatal(err)
	}
	resent := statemachine.CommandRef{EventID: "cmd-verizon-2", SentAt: at}
	got, err := f.store.RecordRedrive(t.Context(), read, statemachine.RedrivePlan{Redrives: 1,
		Commands: map[statemachine.Destination]statemachine.CommandRef{statemachine.ToVerizon: resent}}, at)
	if err != nil {
		t.Fatal(err)
	}
	if c := got.Commands[statemachine.ToVerizon]; c.EventID != resent.EventID || !c.SentAt.Equal(at) {
		t.Errorf("verizon command %+v, want %+v", c, resent)
	}
	if c := got.Commands[statemachine.ToATT]; c.EventID != "cmd-att" || !c.AttemptedAt.Equal(failedAt) {
		t.Errorf("the command not sent again became %+v, want it kept with its mark", c)
	}

	t.Run("a record without commands gets the map", func(t *testing.T) {
		bare := create(t, f.store, record(statemachine.KindCampaign, "c2", "b1", statemachine.CarrierReview))
		got, err := f.store.RecordRedrive(t.Context(), bare, statemachine.RedrivePlan{Redrives: 1,
			Commands: map[statemachine.Destination]statemachine.CommandRef{statemachine.ToVerizon: resent}}, at)
		if err != nil {
			t.Fatal(err)
		}
		if c := got.Commands[statemachine.ToVerizon]; len(got.Commands) != 1 || c.EventID != resent.EventID {
			t.Errorf("commands %+v, want only %+v", got.Commands, resent)
		}
	})
}

// TestRecordRedriveConflictsWithWhatChangedWithoutAVersion: a re-drive
// planned on a read from before a mark on a command it re-sends, a restarted
// wait or the clear of an entry it replays is not counted: the next sweep
// plans on what the record holds.
func TestRecordRedriveConflictsWithWhatChangedWithoutAVersion(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	at := t0.Add(time.Hour)
	resend := func(to statemachine.Destination, id string) statemachine.RedrivePlan {
		return statemachine.RedrivePlan{Redrives: 1, Commands: map[statemachine.Destination]statemachine.CommandRef{to: {EventID: id, SentAt: at}}}
	}
	tests := []struct {
		name   string
		change func(id string) error
		plan   statemachine.RedrivePlan
	}{
		{"a failed call on the command it re-sends", func(id string) error {
			return f.store.MarkAttempted(ctx, statemachine.KindCampaign, id, statemachine.ToATT, "cmd-att", t0.Add(time.Minute))
		}, resend(statemachine.ToATT, "cmd-att")},
		{"an acceptance, which restarts the wait", func(id string) error {
			return f.store.MarkAccepted(ctx, statemachine.KindCampaign, id, statemachine.ToATT, "cmd-att", t0.Add(time.Minute))
		}, counts(1, 0)},
		{"the clear of an entry it replays", func(id string) error {
			return f.store.ClearOutbox(ctx, statemachine.KindCampaign, id, "e1")
		}, statemachine.RedrivePlan{Redrives: 1, Replayed: []string{"e1"}}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := "c" + strconv.Itoa(i)
			rec := withCommand(record(statemachine.KindCampaign, id, "b1", statemachine.CarrierReview), statemachine.ToATT, "cmd-att")
			rec.Outbox = map[string][]statemachine.Outgoing{"e1": {{To: statemachine.ToATT, Envelope: statemachine.Envelope{
				Type: statemachine.CmdCarrierSubmit, SchemaVersion: 1, EventID: "cmd-att", EntityID: id, OccurredAt: t0}}}}
			read := create(t, f.store, rec)
			if err := tt.change(id); err != nil {
				t.Fatal(err)
			}
			if _, err := f.store.RecordRedrive(ctx, read, tt.plan, at); !errors.Is(err, statemachine.ErrConflict) {
				t.Errorf("RecordRedrive after %s = %v, want a conflict", tt.name, err)
			}
		})
	}
}
