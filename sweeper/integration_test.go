package sweeper

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tendlc/tendlc/infra/deploytest"
	"github.com/tendlc/tendlc/infra/dynamo"
	"github.com/tendlc/tendlc/statemachine"
)

// The DynamoDB adapter satisfies the sweeper's ports; the check lives in a
// test because the sweeper itself does not import infra/dynamo.
var (
	_ Store   = (*dynamo.Store)(nil)
	_ Lease   = (*dynamo.Lease)(nil)
	_ Limiter = (*dynamo.Limiter)(nil)
)

func newStore(tb testing.TB, api dynamo.API, tableName string) *dynamo.Store {
	tb.Helper()
	s, err := dynamo.New(api, dynamo.Config{Table: tableName})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// seed writes recs through the store, as the dispatcher would, and returns
// them as written (version 1).
func seed(tb testing.TB, s *dynamo.Store, recs []statemachine.Record) []statemachine.Record {
	tb.Helper()
	written := make([]statemachine.Record, 0, len(recs))
	for _, r := range recs {
		w, err := s.Transition(tb.Context(), nil, r, statemachine.AuditEntry{To: r.State, Event: "test.seed", At: r.UpdatedAt})
		if err != nil {
			tb.Fatal(err)
		}
		written = append(written, w)
	}
	return written
}

// eventually polls check until it returns nil, failing tb with its last error
// after a deadline: the waiting index is eventually consistent.
func eventually(tb testing.TB, check func() error) {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatal(err)
		}
		select {
		case <-tb.Context().Done():
			tb.Fatal(tb.Context().Err())
		case <-tick.C:
		}
	}
}

// racingStore makes its sweeper wait, before its first re-drive, until
// the other sweeper has found its records too: both decide from the same
// reads, and only the conditional writes keep them apart.
type racingStore struct {
	*dynamo.Store
	once  sync.Once
	found func()
}

func (s *racingStore) RecordRedrive(ctx context.Context, rec statemachine.Record, plan statemachine.RedrivePlan, at time.Time) (statemachine.Record, error) {
	s.once.Do(s.found)
	return s.Store.RecordRedrive(ctx, rec, plan, at)
}

// lostEverywhere configures cfg with downstreams that have no record of
// anything and empty queues: every stuck record that waits on a downstream
// gets its command re-sent.
func lostEverywhere(cfg Config) Config {
	cfg.Downstream, cfg.Limiter, cfg.Queues = &downstream{}, &limiter{}, &queues{}
	return cfg
}

// stuckRecords returns records of every kind, stuck or not, and the ids of
// the stuck ones.
func stuckRecords() ([]statemachine.Record, map[string]bool) {
	var recs []statemachine.Record
	stuck := map[string]bool{}
	add := func(r statemachine.Record, isStuck bool) {
		recs = append(recs, r)
		if isStuck {
			stuck[r.ID] = true
		}
	}
	for i := range 12 {
		add(waiting(statemachine.KindBrand, fmt.Sprintf("b-stuck-%02d", i), statemachine.Submitted, 25*time.Hour), true)
		add(waiting(statemachine.KindBrand, fmt.Sprintf("b-recent-%02d", i), statemachine.Submitted, 23*time.Hour), false)
	}
	for i := range 6 {
		add(waiting(statemachine.KindCampaign, fmt.Sprintf("c-stuck-%02d", i), statemachine.InReview, 30*time.Hour), true)
		add(waiting(statemachine.KindCampaign, fmt.Sprintf("c-active-%02d", i), statemachine.Active, 90*time.Hour), false)
		add(waiting(statemachine.KindNumber, fmt.Sprintf("+1202555%04d", i), statemachine.Registering, 26*time.Hour), true)
	}
	return recs, stuck
}

func TestTwoConcurrentSweepersReDriveEachRecordOnce(t *testing.T) {
	for _, mode := range []Mode{ModeIndex, ModeScan} {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			api, tableName := deploytest.NewTable(t)
			recs, stuck := stuckRecords()
			recs = seed(t, newStore(t, api, tableName), recs)
			now := func() time.Time { return t0 }

			// Wait until the index lists every stuck record.
			probe, err := New(lostEverywhere(Config{Store: newStore(t, api, tableName), Mode: mode, DryRun: true, Now: now}))
			if err != nil {
				t.Fatal(err)
			}
			eventually(t, func() error {
				rep, err := probe.SweepOnce(t.Context())
				if err == nil && rep.Stuck != len(stuck) {
					err = fmt.Errorf("dry run found %d stuck, want %d", rep.Stuck, len(stuck))
				}
				return err
			})

			var ready sync.WaitGroup
			ready.Add(2)
			send := &sender{}
			sweepers := make([]*Sweeper, 2)
			for i := range sweepers {
				store := &racingStore{Store: newStore(t, api, tableName), found: func() { ready.Done(); ready.Wait() }}
				// The lease would keep the second sweeper out; this test is
				// about what happens when it does not.
				s, err := New(lostEverywhere(Config{Store: store, Sender: send, Lease: &lease{}, Mode: mode, Now: now}))
				if err != nil {
					t.Fatal(err)
				}
				sweepers[i] = s
			}
			reports := make([]Report, 2)
			var wg sync.WaitGroup
			for i, s := range sweepers {
				wg.Go(func() {
					rep, err := s.SweepOnce(t.Context())
					if err != nil {
						t.Error(err)
					}
					reports[i] = rep
				})
			}
			wg.Wait()

			sends := map[string]int{}
			for _, o := range send.sent {
				sends[o.Envelope.EntityID]++
			}
			for id := range stuck {
				if sends[id] != 1 {
					t.Errorf("%s re-driven %d times, want once", id, sends[id])
				}
			}
			if got, want := len(send.sent), len(stuck); got != want {
				t.Errorf("%d messages sent, want %d", got, want)
			}
			for i, rep := range reports {
				if rep.Stuck != len(stuck) || rep.Redriven+rep.Skipped != len(stuck) || rep.Failed != 0 {
					t.Errorf("sweeper %d: %+v; want all %d found, each re-driven or skipped", i, rep, len(stuck))
				}
			}
			if got, want := reports[0].Redriven+reports[1].Redriven, len(stuck); got != want {
				t.Errorf("re-drives counted %d, want %d", got, want)
			}
			reader := newStore(t, api, tableName)
			for _, r := range recs {
				got, err := reader.Get(t.Context(), r.Kind, r.ID)
				if err != nil {
					t.Fatal(err)
				}
				wantRedrives, wantWait, wantVersion := 0, r.WaitSince, r.Version
				if stuck[r.ID] {
					wantRedrives, wantWait, wantVersion = 1, t0, r.Version+1
				}
				if got.Redrives != wantRedrives || got.Checks != 0 || !got.WaitSince.Equal(wantWait) || got.Version != wantVersion {
					t.Errorf("%s %s stored re-drives %d, checks %d, wait since %v, version %d; want %d, 0, %v, %d",
						r.Kind, r.ID, got.Redrives, got.Checks, got.WaitSince, got.Version, wantRedrives, wantWait, wantVersion)
				}
			}
		})
	}
}

func TestOnlyTheLeaseHolderSweeps(t *testing.T) {
	t.Parallel()
	api, tableName := deploytest.NewTable(t)
	store := newStore(t, api, tableName)
	seed(t, store, []statemachine.Record{waiting(statemachine.KindBrand, "b1", statemachine.Submitted, 25*time.Hour)})
	newLease := func(owner string) *dynamo.Lease {
		l, err := dynamo.NewLease(api, dynamo.LeaseConfig{Table: tableName, Name: LeaseName, Owner: owner})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	other := newLease("other-replica")
	if ok, err := other.Acquire(t.Context()); !ok || err != nil {
		t.Fatalf("other replica's Acquire = %v, %v", ok, err)
	}
	send := &sender{}
	s, err := New(lostEverywhere(Config{Store: store, Sender: send, Lease: newLease("this-replica"), Mode: ModeScan,
		Now: func() time.Time { return t0 }}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SweepOnce(t.Context()); !errors.Is(err, ErrLeaseHeld) {
		t.Fatalf("sweep while another replica holds the lease: err = %v, want ErrLeaseHeld", err)
	}
	if len(send.sent) != 0 {
		t.Fatalf("sent %v without the lease", send.messages())
	}
	if err := other.Release(t.Context()); err != nil {
		t.Fatal(err)
	}
	rep, err := s.SweepOnce(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Redriven != 1 {
		t.Errorf("re-driven %d, want 1", rep.Redriven)
	}
	// Released at the end: the other replica gets it at once.
	if ok, err := other.Acquire(t.Context()); !ok || err != nil {
		t.Errorf("after the sweep, the other replica's Acquire = %v, %v; want the lease", ok, err)
	}
}

func TestAReDriveRestartsTheWaitInTheIndex(t *testing.T) {
	for _, mode := range []Mode{ModeIndex, ModeScan} {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			api, tableName := deploytest.NewTable(t)
			store := newStore(t, api, tableName)
			seed(t, store, []statemachine.Record{waiting(statemachine.KindBrand, "b1", statemachine.Submitted, 25*time.Hour)})
			clk := &clock{now: t0}
			send := &sender{}
			s, err := New(lostEverywhere(Config{Store: store, Sender: send, Lease: &lease{}, Mode: mode, Now: clk.Now}))
			if err != nil {
				t.Fatal(err)
			}
			probe, err := New(lostEverywhere(Config{Store: newStore(t, api, tableName), Mode: mode, DryRun: true, Now: clk.Now}))
			if err != nil {
				t.Fatal(err)
			}
			stuck := func(want int) func() error {
				return func() error {
					rep, err := probe.SweepOnce(t.Context())
					if err == nil && rep.Stuck != want {
						err = fmt.Errorf("at %v: %d stuck, want %d", clk.Now(), rep.Stuck, want)
					}
					return err
				}
			}

			eventually(t, stuck(1))
			if rep, err := s.SweepOnce(t.Context()); err != nil || rep.Redriven != 1 {
				t.Fatalf("first sweep: %+v, %v; want a re-drive", rep, err)
			}
			got, err := store.Get(t.Context(), statemachine.KindBrand, "b1")
			if err != nil {
				t.Fatal(err)
			}
			if got.Redrives != 1 || !got.WaitSince.Equal(t0) {
				t.Fatalf("stored re-drives %d, wait since %v; want 1, %v", got.Redrives, got.WaitSince, t0)
			}

			// The re-drive moved the record's wait_since_ms in the index: it
			// is not stuck again until a threshold after the re-drive.
			eventually(t, stuck(0))
			clk.advance(DefaultThreshold - time.Minute)
			if err := stuck(0)(); err != nil {
				t.Fatal(err)
			}
			clk.advance(time.Minute)
			eventually(t, stuck(1))
			if rep, err := s.SweepOnce(t.Context()); err != nil || rep.Redriven != 1 {
				t.Fatalf("second sweep: %+v, %v; want a re-drive", rep, err)
			}
			if got, want := len(send.sent), 2; got != want {
				t.Errorf("%d messages sent, want %d: one per re-drive", got, want)
			}
		})
	}
}

func TestASweepClearsTheOutboxItReplays(t *testing.T) {
	t.Parallel()
	api, tableName := deploytest.NewTable(t)
	store := newStore(t, api, tableName)
	rec := waiting(statemachine.KindCampaign, "c1", statemachine.Approved, 2*time.Hour)
	followUp := statemachine.Envelope{Type: statemachine.CampaignNumbersRequested, SchemaVersion: statemachine.SchemaVersion,
		EventID: "follow-up-1", EntityID: "c1", OccurredAt: rec.StateEnteredAt, CorrelationID: rec.CorrelationID,
		Actor: statemachine.Actor, Payload: mustJSON(statemachine.Empty{})}
	rec.Outbox = map[string][]statemachine.Outgoing{"cause-1": {{To: statemachine.ToEvents, Envelope: followUp}}}
	seed(t, store, []statemachine.Record{rec})
	send := &sender{}
	s, err := New(lostEverywhere(Config{Store: store, Sender: send, Lease: &lease{}, Mode: ModeScan, Threshold: time.Hour,
		Now: func() time.Time { return t0 }}))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.SweepOnce(t.Context())
	if err != nil || rep.Recovered != 1 {
		t.Fatalf("sweep: %+v, %v; want the outbox recovered", rep, err)
	}
	if len(send.sent) != 1 || send.sent[0].Envelope.EventID != followUp.EventID {
		t.Errorf("sent %v, want the outbox entry with its own id", send.messages())
	}
	got, err := store.Get(t.Context(), statemachine.KindCampaign, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Outbox) != 0 || got.Checks != 1 || got.Redrives != 0 || !got.WaitSince.Equal(t0) {
		t.Errorf("stored outbox %v, checks %d, re-drives %d, wait since %v; want none, 1, 0, %v",
			got.Outbox, got.Checks, got.Redrives, got.WaitSince, t0)
	}
}
