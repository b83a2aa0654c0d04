package sweeper

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tendlc/tendlc/statemachine"
)

// Registrations stored on the test records, so that re-drives can re-send
// them.
var (
	brandData = mustJSON(statemachine.BrandRegistration{
		LegalName: "Acme", EIN: "12-3456789", Email: "ops@acme.test", EntityType: "PRIVATE_PROFIT",
	})
	campaignData = mustJSON(statemachine.CampaignRegistration{
		BrandID: "b1", UseCase: "2FA", Description: "login codes", SampleMessages: []string{"Your code is 123456"},
		Numbers: []string{"+12025550101", "+12025550102", "+12025550103"},
	})
)

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// waiting returns a record of kind in state that entered it age before t0.
func waiting(kind statemachine.Kind, id string, state statemachine.State, age time.Duration) statemachine.Record {
	r := statemachine.Record{
		Kind: kind, ID: id, State: state, Version: 3, CorrelationID: "corr-" + id,
		CreatedAt: t0.Add(-age - time.Hour), StateEnteredAt: t0.Add(-age), UpdatedAt: t0.Add(-age),
	}
	switch kind {
	case statemachine.KindBrand:
		r.Data = brandData
	case statemachine.KindCampaign:
		r.ParentID, r.Data = "b1", campaignData
	case statemachine.KindNumber:
		r.ParentID = "c1"
		r.Data = mustJSON(statemachine.NumberRegistration{CampaignID: "c1", Number: id})
	}
	return r
}

// fixture is a sweeper on fakes, with a clock standing at t0.
type fixture struct {
	store    *memStore
	sender   *sender
	lease    *lease
	observer *observer
	clock    *clock
	sweeper  *Sweeper
}

// newFixture returns a sweeper on store; edit adjusts its configuration.
func newFixture(tb testing.TB, store *memStore, edit func(*Config)) *fixture {
	tb.Helper()
	f := &fixture{store: store, sender: &sender{}, lease: &lease{}, observer: &observer{}, clock: &clock{now: t0}}
	cfg := Config{Store: store, Sender: f.sender, Lease: f.lease, Observer: f.observer, Now: f.clock.Now}
	if edit != nil {
		edit(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	f.sweeper = s
	return f
}

// sweep runs one sweep and fails tb on an error.
func (f *fixture) sweep(tb testing.TB) Report {
	tb.Helper()
	rep, err := f.sweeper.SweepOnce(tb.Context())
	if err != nil {
		tb.Fatalf("SweepOnce: %v", err)
	}
	return rep
}

func TestNewValidatesConfig(t *testing.T) {
	store, send, l := newMemStore(), &sender{}, &lease{}
	tests := []struct {
		name    string
		cfg     Config
		wantErr bool
	}{
		{"valid", Config{Store: store, Sender: send, Lease: l}, false},
		{"dry run needs neither sender nor lease", Config{Store: store, DryRun: true}, false},
		{"scan mode", Config{Store: store, Sender: send, Lease: l, Mode: ModeScan}, false},
		{"a threshold per state", Config{Store: store, Sender: send, Lease: l,
			Thresholds: map[StateKey]time.Duration{{statemachine.KindNumber, statemachine.Registering}: time.Hour}}, false},
		{"a cron spec", Config{Store: store, Sender: send, Lease: l, Schedule: "15 */2 * * *"}, false},
		{"no store", Config{Sender: send, Lease: l}, true},
		{"no sender", Config{Store: store, Lease: l}, true},
		{"no lease", Config{Store: store, Sender: send}, true},
		{"a lease too short to renew", Config{Store: store, Sender: send, Lease: &lease{duration: time.Nanosecond}}, true},
		{"unknown mode", Config{Store: store, Sender: send, Lease: l, Mode: "sideways"}, true},
		{"negative threshold", Config{Store: store, Sender: send, Lease: l, Threshold: -time.Hour}, true},
		{"a threshold for a state that is not waiting", Config{Store: store, Sender: send, Lease: l,
			Thresholds: map[StateKey]time.Duration{{statemachine.KindBrand, statemachine.Verified}: time.Hour}}, true},
		{"a zero threshold for a state", Config{Store: store, Sender: send, Lease: l,
			Thresholds: map[StateKey]time.Duration{{statemachine.KindBrand, statemachine.Submitted}: 0}}, true},
		{"negative max redrives", Config{Store: store, Sender: send, Lease: l, MaxRedrives: -1}, true},
		{"bad schedule", Config{Store: store, Sender: send, Lease: l, Schedule: "every hour"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(tt.cfg)
			if got := err != nil; got != tt.wantErr {
				t.Fatalf("New error = %v, want error %v", err, tt.wantErr)
			}
			if got := s != nil; got == tt.wantErr {
				t.Errorf("New sweeper = %v with error %v", s, err)
			}
		})
	}
	_, err := New(Config{})
	if joined, ok := err.(interface{ Unwrap() []error }); !ok || len(joined.Unwrap()) != 3 {
		t.Errorf("New(Config{}) = %v, want the three missing dependencies joined", err)
	}
}

func TestNewFillsDefaults(t *testing.T) {
	s, err := New(Config{Store: newMemStore(), DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if s.cfg.Mode != ModeIndex || s.cfg.Threshold != 24*time.Hour || s.cfg.MaxRedrives != 3 || s.cfg.Schedule != "@hourly" {
		t.Errorf("defaults: mode %s, threshold %v, max redrives %d, schedule %q; want index, 24h, 3, @hourly",
			s.cfg.Mode, s.cfg.Threshold, s.cfg.MaxRedrives, s.cfg.Schedule)
	}
}

func TestSweepRedrivesRecordsStuckPastTheThreshold(t *testing.T) {
	carrierReview := waiting(statemachine.KindCampaign, "c1", statemachine.CarrierReview, 30*time.Hour)
	carrierReview.Carriers = map[statemachine.Carrier]statemachine.CarrierStatus{
		statemachine.CarrierATT: statemachine.CarrierApproved, statemachine.CarrierTMobile: statemachine.CarrierInReview,
		statemachine.CarrierVerizon: statemachine.CarrierPending,
	}
	records := []statemachine.Record{
		waiting(statemachine.KindBrand, "b-25h", statemachine.Submitted, 25*time.Hour),
		waiting(statemachine.KindBrand, "b-23h", statemachine.Submitted, 23*time.Hour),
		waiting(statemachine.KindBrand, "b-verified", statemachine.Verified, 90*time.Hour),
		carrierReview,
		// Numbers have a threshold of their own: 2 hours.
		waiting(statemachine.KindNumber, "+12025550101", statemachine.Registering, 3*time.Hour),
		waiting(statemachine.KindNumber, "+12025550102", statemachine.Pending, time.Hour),
	}
	wantSent := []string{ // oldest first
		"tmobile:carrier.submit_campaign:c1", "verizon:carrier.submit_campaign:c1",
		"registry:registry.submit_brand:b-25h",
		"numbers:numbers.register:+12025550101",
	}
	tests := []struct {
		mode         Mode
		wantExamined int64
	}{
		{ModeIndex, 3}, // the stuck records
		{ModeScan, 6},  // every record
	}
	for _, tt := range tests {
		t.Run(string(tt.mode), func(t *testing.T) {
			f := newFixture(t, newMemStore(records...), func(c *Config) {
				c.Mode = tt.mode
				c.Thresholds = map[StateKey]time.Duration{
					{statemachine.KindNumber, statemachine.Registering}: 2 * time.Hour,
					{statemachine.KindNumber, statemachine.Pending}:     2 * time.Hour,
				}
			})
			rep := f.sweep(t)

			if got := f.sender.messages(); !slices.Equal(got, wantSent) {
				t.Errorf("sent %v, want %v", got, wantSent)
			}
			want := Report{Mode: tt.mode, Started: t0, Examined: tt.wantExamined, ReadUnits: 0.5 * float64(tt.wantExamined),
				Stuck: 3, Redriven: 3}
			if !reportsEqual(rep, want) {
				t.Errorf("report %+v, want %+v", rep, want)
			}
			for _, id := range []string{"b-25h", "c1", "+12025550101"} {
				r := f.store.get(t, kindOf(id), id)
				if r.Redrives != 1 {
					t.Errorf("%s re-drives = %d, want 1", id, r.Redrives)
				}
			}
			if r := f.store.get(t, statemachine.KindBrand, "b-23h"); r.Redrives != 0 || r.Version != 3 {
				t.Errorf("b-23h, 23 hours in SUBMITTED, was touched: re-drives %d, version %d", r.Redrives, r.Version)
			}
			for _, o := range f.sender.sent {
				if o.Envelope.Actor != statemachine.SweeperActor || o.Envelope.CorrelationID != "corr-"+o.Envelope.EntityID {
					t.Errorf("%s sent by %q with correlation %q, want the sweeper and the record's", o.Envelope.Type, o.Envelope.Actor, o.Envelope.CorrelationID)
				}
			}
			if got, want := f.observer.redriven, []string{"campaign CARRIER_REVIEW", "brand SUBMITTED", "number REGISTERING"}; !slices.Equal(got, want) {
				t.Errorf("observer told of re-drives %v, want %v", got, want)
			}
			if acquired, _, released := f.lease.counts(); acquired != 1 || released != 1 {
				t.Errorf("lease acquired %d times, released %d; want once each", acquired, released)
			}
		})
	}
}

func kindOf(id string) statemachine.Kind {
	switch id[0] {
	case 'b':
		return statemachine.KindBrand
	case 'c':
		return statemachine.KindCampaign
	}
	return statemachine.KindNumber
}

// reportsEqual compares reports, leaving out the plans.
func reportsEqual(got, want Report) bool {
	got.Planned, want.Planned = nil, nil
	return reflect.DeepEqual(got, want)
}

func TestSweepGivesUpAfterMaxRedrives(t *testing.T) {
	f := newFixture(t, newMemStore(waiting(statemachine.KindBrand, "b1", statemachine.Submitted, 25*time.Hour)), nil)
	var ids []string
	for sweep := 1; sweep <= 3; sweep++ {
		f.sender.reset()
		rep := f.sweep(t)
		if rep.Redriven != 1 || rep.GaveUp != 0 {
			t.Fatalf("sweep %d: re-driven %d, gave up %d; want a re-drive", sweep, rep.Redriven, rep.GaveUp)
		}
		if got, want := f.sender.messages(), []string{"registry:registry.submit_brand:b1"}; !slices.Equal(got, want) {
			t.Fatalf("sweep %d sent %v, want %v", sweep, got, want)
		}
		ids = append(ids, f.sender.sent[0].Envelope.EventID)
		f.clock.advance(time.Hour)
	}
	if distinct := slices.Compact(slices.Sorted(slices.Values(ids))); len(distinct) != 3 {
		t.Errorf("re-drives sent ids %v, want a new id each time", ids)
	}

	f.sender.reset()
	rep := f.sweep(t)
	if rep.Redriven != 0 || rep.GaveUp != 1 {
		t.Fatalf("sweep 4: re-driven %d, gave up %d; want to give up", rep.Redriven, rep.GaveUp)
	}
	if got, want := f.sender.messages(), []string{"events:brand.failed:b1"}; !slices.Equal(got, want) {
		t.Fatalf("sweep 4 sent %v, want %v", got, want)
	}
	if got, want := f.observer.gaveUp, []string{"brand SUBMITTED"}; !slices.Equal(got, want) {
		t.Errorf("observer told of give-ups %v, want %v", got, want)
	}

	// The dispatcher applies the failed event: the record fails with 30901.
	rec := f.store.get(t, statemachine.KindBrand, "b1")
	d, err := statemachine.Decide(&rec, f.sender.sent[0].Envelope, statemachine.Facts{}, f.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if d.Disposition != statemachine.Transition || d.To != statemachine.Failed {
		t.Fatalf("the failed event: %s to %s, want a transition to FAILED", d.Disposition, d.To)
	}
	if d.Next.Reason == nil || d.Next.Reason.Code != 30901 {
		t.Errorf("failed with reason %+v, want code 30901", d.Next.Reason)
	}
	f.store.put(d.Next)
	f.sender.reset()
	if rep := f.sweep(t); rep.Stuck != 0 || len(f.sender.sent) != 0 {
		t.Errorf("after the failure: %d stuck, sent %v; want nothing", rep.Stuck, f.sender.messages())
	}
}

func TestSweepSkipsARecordAnotherSweeperReDrove(t *testing.T) {
	store := newMemStore(
		waiting(statemachine.KindBrand, "b1", statemachine.Submitted, 25*time.Hour),
		waiting(statemachine.KindBrand, "b2", statemachine.Vetting, 26*time.Hour),
	)
	store.conflict = map[string]bool{"b2": true}
	f := newFixture(t, store, nil)
	rep := f.sweep(t)
	if rep.Stuck != 2 || rep.Redriven != 1 || rep.Skipped != 1 {
		t.Errorf("stuck %d, re-driven %d, skipped %d; want 2, 1, 1", rep.Stuck, rep.Redriven, rep.Skipped)
	}
	if got, want := f.sender.messages(), []string{"registry:registry.submit_brand:b1"}; !slices.Equal(got, want) {
		t.Errorf("sent %v, want %v (nothing for the record another sweeper won)", got, want)
	}
}

func TestSweepAfterAFailedSendReDrivesAgain(t *testing.T) {
	f := newFixture(t, newMemStore(waiting(statemachine.KindNumber, "+12025550101", statemachine.Deregistering, 25*time.Hour)), nil)
	fails := 1
	f.sender.fail = func([]statemachine.Outgoing) error {
		if fails > 0 {
			fails--
			return errors.New("queue unavailable")
		}
		return nil
	}
	rep := f.sweep(t)
	if rep.Failed != 1 || rep.Redriven != 0 {
		t.Errorf("failed send: failed %d, re-driven %d; want 1, 0", rep.Failed, rep.Redriven)
	}
	if got := f.store.get(t, statemachine.KindNumber, "+12025550101").Redrives; got != 1 {
		t.Errorf("re-drives after a failed send = %d, want 1 (counted before sending)", got)
	}
	f.clock.advance(time.Hour)
	rep = f.sweep(t)
	if rep.Redriven != 1 {
		t.Errorf("next sweep re-drove %d, want 1", rep.Redriven)
	}
	if got, want := f.sender.messages(), []string{"numbers:numbers.deregister:+12025550101"}; !slices.Equal(got, want) {
		t.Errorf("sent %v, want %v", got, want)
	}
}

func TestSweepNumbersPending(t *testing.T) {
	campaign := waiting(statemachine.KindCampaign, "c1", statemachine.NumbersPending, 25*time.Hour)
	campaign.Numbers = map[string]statemachine.NumberStatus{
		"+12025550101": statemachine.NumberPendingStatus, "+12025550102": statemachine.NumberPendingStatus,
		"+12025550103": statemachine.NumberRegisteredStatus,
	}
	settled := waiting(statemachine.KindNumber, "+12025550101", statemachine.Registered, 2*time.Hour)
	registering := waiting(statemachine.KindNumber, "+12025550102", statemachine.Registering, 2*time.Hour)

	t.Run("a settled number is settled again", func(t *testing.T) {
		f := newFixture(t, newMemStore(campaign, settled, registering), nil)
		rep := f.sweep(t)
		if got, want := f.sender.messages(), []string{"events:campaign.number_settled:c1"}; !slices.Equal(got, want) {
			t.Errorf("sent %v, want %v", got, want)
		}
		if rep.Redriven != 1 {
			t.Errorf("re-driven %d, want 1", rep.Redriven)
		}
	})
	t.Run("numbers under way leave nothing to re-send", func(t *testing.T) {
		f := newFixture(t, newMemStore(campaign, registering, waiting(statemachine.KindNumber, "+12025550101", statemachine.Registering, time.Hour)), nil)
		rep := f.sweep(t)
		if rep.Idle != 1 || rep.Redriven != 0 || len(f.sender.sent) != 0 {
			t.Errorf("idle %d, re-driven %d, sent %v; want the campaign idle and nothing sent", rep.Idle, rep.Redriven, f.sender.messages())
		}
		if got := f.store.get(t, statemachine.KindCampaign, "c1").Redrives; got != 0 {
			t.Errorf("campaign re-drives = %d, want 0: an idle campaign does not count towards giving up", got)
		}
	})
}

func TestDryRunPlansAndWritesNothing(t *testing.T) {
	gaveUp := waiting(statemachine.KindBrand, "b-old", statemachine.Submitted, 90*time.Hour)
	gaveUp.Redrives = 3
	store := newMemStore(gaveUp, waiting(statemachine.KindCampaign, "c1", statemachine.InReview, 25*time.Hour))
	f := newFixture(t, store, func(c *Config) { c.DryRun, c.Sender, c.Lease = true, nil, nil })
	rep := f.sweep(t)
	if !rep.DryRun || rep.Stuck != 2 || rep.Redriven != 1 || rep.GaveUp != 1 {
		t.Errorf("dry run report %+v, want 2 stuck: 1 re-drive and 1 give-up", rep)
	}
	var got []string
	for _, p := range rep.Planned {
		for _, o := range p.Emit {
			got = append(got, fmt.Sprintf("%s #%d %s", p.ID, p.Redrive, o.Envelope.Type))
		}
	}
	if want := []string{"b-old #4 brand.failed", "c1 #1 registry.submit_campaign"}; !slices.Equal(got, want) {
		t.Errorf("planned %v, want %v", got, want)
	}
	if !rep.Planned[0].GiveUp || rep.Planned[1].GiveUp {
		t.Errorf("planned give-ups %v, %v; want true, false", rep.Planned[0].GiveUp, rep.Planned[1].GiveUp)
	}
	for _, id := range []string{"b-old", "c1"} {
		if r := f.store.get(t, kindOf(id), id); r.Version != 3 {
			t.Errorf("dry run wrote %s: version %d", id, r.Version)
		}
	}
	if len(f.observer.redriven)+len(f.observer.gaveUp) != 0 {
		t.Errorf("observer told of a dry run's plans: %v %v", f.observer.redriven, f.observer.gaveUp)
	}
}

func TestSweepWhileAnotherSweeperHoldsTheLease(t *testing.T) {
	f := newFixture(t, newMemStore(waiting(statemachine.KindBrand, "b1", statemachine.Submitted, 25*time.Hour)), nil)
	f.lease.held = true
	_, err := f.sweeper.SweepOnce(t.Context())
	if !errors.Is(err, ErrLeaseHeld) {
		t.Fatalf("err = %v, want ErrLeaseHeld", err)
	}
	if f.store.finds != 0 || len(f.sender.sent) != 0 {
		t.Errorf("without the lease: %d searches, sent %v; want nothing", f.store.finds, f.sender.messages())
	}
	if got := f.observer.errors(); len(got) != 1 || !errors.Is(got[0], ErrLeaseHeld) {
		t.Errorf("observer told %v, want ErrLeaseHeld", got)
	}
}

// sleep waits d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-time.After(d):
		return nil
	}
}

func TestSweepRenewsTheLeaseWhileItRuns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := waiting(statemachine.KindBrand, "b1", statemachine.Submitted, 0)
		rec.StateEnteredAt = time.Now().Add(-25 * time.Hour) // the bubble's clock
		store := newMemStore(rec)
		store.onFind = func(ctx context.Context) error { return sleep(ctx, 150*time.Second) }
		f := newFixture(t, store, func(c *Config) { c.Mode, c.Now = ModeScan, time.Now })
		f.lease.duration = 3 * time.Minute
		rep := f.sweep(t)
		if rep.Redriven != 1 {
			t.Errorf("re-driven %d, want 1", rep.Redriven)
		}
		if got, want := rep.Duration, 150*time.Second; got != want {
			t.Errorf("duration %v, want %v", got, want)
		}
		if acquired, renewed, released := f.lease.counts(); acquired != 1 || renewed != 2 || released != 1 {
			t.Errorf("lease acquired %d, renewed %d, released %d; want 1, 2 (at 1 and 2 minutes), 1", acquired, renewed, released)
		}
	})
}

func TestSweepStopsWhenTheLeaseIsLost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := newMemStore(waiting(statemachine.KindBrand, "b1", statemachine.Submitted, 25*time.Hour))
		store.onFind = func(ctx context.Context) error { return sleep(ctx, 10*time.Minute) }
		f := newFixture(t, store, func(c *Config) { c.Mode, c.Now = ModeScan, time.Now })
		f.lease.duration = 3 * time.Minute
		lost := errors.New("owner changed")
		f.lease.renewErr = func(n int) error {
			if n == 2 {
				return lost
			}
			return nil
		}
		rep, err := f.sweeper.SweepOnce(t.Context())
		if !errors.Is(err, ErrLeaseLost) || !errors.Is(err, lost) {
			t.Fatalf("err = %v, want ErrLeaseLost wrapping the renewal's error", err)
		}
		if got, want := rep.Duration, 2*time.Minute; got != want {
			t.Errorf("stopped after %v, want %v (the failed renewal)", got, want)
		}
		if len(f.sender.sent) != 0 {
			t.Errorf("sent %v after losing the lease", f.sender.messages())
		}
		if _, _, released := f.lease.counts(); released != 1 {
			t.Errorf("released %d times, want 1", released)
		}
	})
}

func TestSweepReleasesTheLeaseWhenItPanics(t *testing.T) {
	store := newMemStore()
	store.onFind = func(context.Context) error { panic("store bug") }
	f := newFixture(t, store, nil)
	func() {
		defer func() {
			if v := recover(); v == nil {
				t.Fatal("SweepOnce did not panic")
			}
		}()
		_, _ = f.sweeper.SweepOnce(t.Context())
	}()
	if _, _, released := f.lease.counts(); released != 1 {
		t.Errorf("released %d times after a panic, want 1", released)
	}
}
