package sweeper

import (
	"context"
	"encoding/json"
	"errors"
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

// waiting returns a record of kind in state that entered it, and started
// waiting, age before t0.
func waiting(kind statemachine.Kind, id string, state statemachine.State, age time.Duration) statemachine.Record {
	r := statemachine.Record{
		Kind: kind, ID: id, State: state, Version: 3, CorrelationID: "corr-" + id,
		CreatedAt: t0.Add(-age - time.Hour), StateEnteredAt: t0.Add(-age), WaitSince: t0.Add(-age), UpdatedAt: t0.Add(-age),
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
	// The commands it waits on were sent when it entered its state.
	for _, l := range statemachine.Lookups(r) {
		if r.Commands == nil {
			r.Commands = map[statemachine.Destination]statemachine.CommandRef{}
		}
		r.Commands[l.To] = statemachine.CommandRef{EventID: "cmd-" + id + "-" + string(l.To), SentAt: r.StateEnteredAt}
	}
	return r
}

// fixture is a sweeper on fakes, with a clock standing at t0. Its
// downstreams have no record of anything and its queues are empty, so a
// record waiting on a downstream is re-sent unless a test says otherwise.
type fixture struct {
	store      *memStore
	sender     *sender
	lease      *lease
	downstream *downstream
	limiter    *limiter
	queues     *queues
	observer   *observer
	clock      *clock
	sweeper    *Sweeper
}

// newFixture returns a sweeper on store; edit adjusts its configuration.
func newFixture(tb testing.TB, store *memStore, edit func(*Config)) *fixture {
	tb.Helper()
	f := &fixture{store: store, sender: &sender{}, lease: &lease{}, downstream: &downstream{}, limiter: &limiter{},
		queues: &queues{}, observer: &observer{}, clock: &clock{now: t0}}
	cfg := Config{Store: store, Sender: f.sender, Lease: f.lease, Downstream: f.downstream, Limiter: f.limiter,
		Queues: f.queues, Observer: f.observer, Now: f.clock.Now}
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
	store, send, l, down, lim := newMemStore(), &sender{}, &lease{}, &downstream{}, &limiter{}
	tests := []struct {
		name    string
		cfg     Config
		wantErr bool
	}{
		{"valid", Config{Store: store, Sender: send, Lease: l}, false},
		{"dry run needs neither sender nor lease", Config{Store: store, DryRun: true}, false},
		{"scan mode", Config{Store: store, Sender: send, Lease: l, Mode: ModeScan}, false},
		{"a downstream with its limiter", Config{Store: store, Sender: send, Lease: l, Downstream: down, Limiter: lim}, false},
		{"a threshold per state", Config{Store: store, Sender: send, Lease: l,
			Thresholds: map[StateKey]time.Duration{{statemachine.KindNumber, statemachine.Registering}: time.Hour}}, false},
		{"a threshold for a transitional state", Config{Store: store, Sender: send, Lease: l,
			Thresholds: map[StateKey]time.Duration{{statemachine.KindCampaign, statemachine.Approved}: time.Hour}}, false},
		{"a cron spec", Config{Store: store, Sender: send, Lease: l, Schedule: "15 */2 * * *"}, false},
		{"no store", Config{Sender: send, Lease: l}, true},
		{"no sender", Config{Store: store, Lease: l}, true},
		{"no lease", Config{Store: store, Sender: send}, true},
		{"a lease too short to renew", Config{Store: store, Sender: send, Lease: &lease{duration: time.Nanosecond}}, true},
		{"unknown mode", Config{Store: store, Sender: send, Lease: l, Mode: "sideways"}, true},
		{"negative threshold", Config{Store: store, Sender: send, Lease: l, Threshold: -time.Hour}, true},
		{"a downstream without a limiter", Config{Store: store, Sender: send, Lease: l, Downstream: down}, true},
		{"a limiter without a downstream", Config{Store: store, Sender: send, Lease: l, Limiter: lim}, true},
		{"a threshold for a state that is not watched", Config{Store: store, Sender: send, Lease: l,
			Thresholds: map[StateKey]time.Duration{{statemachine.KindBrand, statemachine.Verified}: time.Hour}}, true},
		{"a zero threshold for a state", Config{Store: store, Sender: send, Lease: l,
			Thresholds: map[StateKey]time.Duration{{statemachine.KindBrand, statemachine.Submitted}: 0}}, true},
		{"negative max redrives", Config{Store: store, Sender: send, Lease: l, MaxRedrives: -1}, true},
		{"negative max checks", Config{Store: store, Sender: send, Lease: l, MaxChecks: -1}, true},
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
	if s.cfg.Mode != ModeIndex || s.cfg.Threshold != 24*time.Hour || s.cfg.MaxRedrives != 3 || s.cfg.MaxChecks != 10 ||
		s.cfg.Schedule != "@hourly" {
		t.Errorf("defaults: mode %s, threshold %v, max redrives %d, max checks %d, schedule %q; want index, 24h, 3, 10, @hourly",
			s.cfg.Mode, s.cfg.Threshold, s.cfg.MaxRedrives, s.cfg.MaxChecks, s.cfg.Schedule)
	}
}

func TestSweepRedrivesRecordsStuckPastTheThreshold(t *testing.T) {
	carrierReview := waiting(statemachine.KindCampaign, "c1", statemachine.CarrierReview, 30*time.Hour)
	carrierReview.Carriers = map[statemachine.Carrier]statemachine.CarrierStatus{
		statemachine.CarrierATT: statemachine.CarrierApproved, statemachine.CarrierTMobile: statemachine.CarrierInReview,
		statemachine.CarrierVerizon: statemachine.CarrierPending,
	}
	// In SUBMITTED for 30 hours, but the registry accepted it 2 hours ago:
	// the wait is measured from WaitSince.
	accepted := waiting(statemachine.KindBrand, "b-accepted", statemachine.Submitted, 30*time.Hour)
	accepted.WaitSince = t0.Add(-2 * time.Hour)
	records := []statemachine.Record{
		waiting(statemachine.KindBrand, "b-25h", statemachine.Submitted, 25*time.Hour),
		waiting(statemachine.KindBrand, "b-23h", statemachine.Submitted, 23*time.Hour),
		waiting(statemachine.KindBrand, "b-verified", statemachine.Verified, 90*time.Hour),
		accepted,
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
		{ModeScan, 7},  // every record
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
				if r.Redrives != 1 || r.Checks != 0 || !r.WaitSince.Equal(t0) || r.Version != 4 {
					t.Errorf("%s after the re-drive: redrives %d, checks %d, wait since %v, version %d; want 1, 0, %v, 4",
						id, r.Redrives, r.Checks, r.WaitSince, r.Version, t0)
				}
			}
			for _, id := range []string{"b-23h", "b-accepted", "+12025550102"} {
				if r := f.store.get(t, kindOf(id), id); r.Redrives != 0 || r.Version != 3 {
					t.Errorf("%s, waiting less than its threshold, was touched: re-drives %d, version %d", id, r.Redrives, r.Version)
				}
			}
			for _, o := range f.sender.sent {
				if o.Envelope.Actor != statemachine.SweeperActor || o.Envelope.CorrelationID != "corr-"+o.Envelope.EntityID {
					t.Errorf("%s sent by %q with correlation %q, want the sweeper and the record's", o.Envelope.Type, o.Envelope.Actor, o.Envelope.CorrelationID)
				}
			}
			if got, want := f.observer.redriven, []string{"campaign CARRIER_REVIEW resent", "brand SUBMITTED resent",
				"number REGISTERING resent"}; !slices.Equal(got, want) {
				t.Errorf("observer told of re-drives %v, want %v", got, want)
			}
			if got, want := f.observer.lookedUp, []string{"tmobile not_found", "verizon not_found", "registry not_found",
				"numbers not_found"}; !slices.Equal(got, want) {
				t.Errorf("observer told of look-ups %v, want %v", got, want)
			}
			if got, want := f.observer.swept, []swept{{string(tt.mode), SweepOK, rep.Examined, rep.ReadUnits, t0, 0}}; !slices.Equal(got, want) {
				t.Errorf("observer told of sweeps %+v, want %+v", got, want)
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

func TestSweepGivesUpPastTheMaximum(t *testing.T) {
	tests := []struct {
		name         string
		answer       answer // the registry's answer to every look-up
		edit         func(*Config)
		wantOutcome  string // of the sweeps before the give-up
		wantSent     []string
		wantRedrives []int // stored after each sweep before the give-up
		wantChecks   []int
	}{
		{
			name: "re-sends past MaxRedrives", answer: answer{found: false},
			wantOutcome: "resent", wantSent: []string{"registry:registry.submit_brand:b1"},
			wantRedrives: []int{1, 2, 3}, wantChecks: []int{0, 0, 0},
		},
		{
			name: "checks past MaxChecks", answer: answer{found: true},
			edit:        func(c *Config) { c.MaxChecks = 2 },
			wantOutcome: "checked", wantSent: nil,
			wantRedrives: []int{0, 0}, wantChecks: []int{1, 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, newMemStore(waiting(statemachine.KindBrand, "b1", statemachine.Submitted, 25*time.Hour)), tt.edit)
			f.downstream.answer(statemachine.Lookup{To: statemachine.ToRegistry, Kind: statemachine.KindBrand, ID: "b1"}, tt.answer)
			var ids []string
			for i := range tt.wantRedrives {
				f.sender.reset()
				rep := f.sweep(t)
				if rep.GaveUp != 0 || rep.Redriven+rep.Checked != 1 {
					t.Fatalf("sweep %d: %+v; want one %s re-drive", i+1, rep, tt.wantOutcome)
				}
				if got := f.sender.messages(); !slices.Equal(got, tt.wantSent) {
					t.Fatalf("sweep %d sent %v, want %v", i+1, got, tt.wantSent)
				}
				for _, o := range f.sender.sent {
					ids = append(ids, o.Envelope.EventID)
				}
				r := f.store.get(t, statemachine.KindBrand, "b1")
				if r.Redrives != tt.wantRedrives[i] || r.Checks != tt.wantChecks[i] {
					t.Fatalf("sweep %d: redrives %d, checks %d; want %d, %d", i+1, r.Redrives, r.Checks, tt.wantRedrives[i], tt.wantChecks[i])
				}
				f.clock.advance(DefaultThreshold)
			}
			if distinct := slices.Compact(slices.Sorted(slices.Values(ids))); len(distinct) != len(ids) {
				t.Errorf("re-drives sent ids %v, want a new id each time", ids)
			}
			want := slices.Repeat([]string{"brand SUBMITTED " + tt.wantOutcome}, len(tt.wantRedrives))
			if got := f.observer.redriven; !slices.Equal(got, want) {
				t.Errorf("observer told of re-drives %v, want %v", got, want)
			}

			f.sender.reset()
			rep := f.sweep(t)
			if rep.GaveUp != 1 || rep.Redriven+rep.Checked != 0 {
				t.Fatalf("the last sweep: %+v; want a give-up", rep)
			}
			if got, want := f.sender.messages(), []string{"events:brand.failed:b1"}; !slices.Equal(got, want) {
				t.Fatalf("the last sweep sent %v, want %v", got, want)
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
			f.clock.advance(10 * DefaultThreshold)
			if rep := f.sweep(t); rep.Stuck != 0 || len(f.sender.sent) != 0 {
				t.Errorf("after the failure: %d stuck, sent %v; want nothing", rep.Stuck, f.sender.messages())
			}
		})
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
	if got, want := f.observer.redriven, []string{"brand SUBMITTED resent"}; !slices.Equal(got, want) {
		t.Errorf("observer told of re-drives %v, want %v", got, want)
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
	if got := f.store.get(t, statemachine.KindNumber, "+12025550101"); got.Redrives != 1 || !got.WaitSince.Equal(t0) {
		t.Errorf("after a failed send: re-drives %d, wait since %v; want 1 and %v (counted before sending)", got.Redrives, got.WaitSince, t0)
	}
	f.clock.advance(time.Hour)
	if rep := f.sweep(t); rep.Stuck != 0 {
		t.Errorf("an hour later %d stuck, want 0: the counted re-drive restarted the wait", rep.Stuck)
	}
	f.clock.advance(DefaultThreshold - time.Hour)
	rep = f.sweep(t)
	if rep.Redriven != 1 {
		t.Errorf("a threshold later re-drove %d, want 1", rep.Redriven)
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
	other := waiting(statemachine.KindNumber, "+12025550101", statemachine.Registering, time.Hour)

	tests := []struct {
		name      string
		numbers   []statemachine.Record
		want      Report
		wantSent  []string
		wantCount [2]int // the campaign's redrives and checks afterwards
	}{
		{"a settled number is settled again", []statemachine.Record{settled, registering},
			Report{Recovered: 1}, []string{"events:campaign.number_settled:c1"}, [2]int{0, 1}},
		{"a number without a record is registered again", []statemachine.Record{registering},
			Report{Redriven: 1}, []string{"events:number.register:+12025550101"}, [2]int{1, 0}},
		{"numbers under way: the campaign waits on them", []statemachine.Record{registering, other},
			Report{Waiting: 1}, nil, [2]int{0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, newMemStore(append([]statemachine.Record{campaign}, tt.numbers...)...), nil)
			rep := f.sweep(t)
			tt.want.Mode, tt.want.Started, tt.want.Stuck = ModeIndex, t0, 1
			tt.want.Examined, tt.want.ReadUnits = 1, 0.5
			if !reportsEqual(rep, tt.want) {
				t.Errorf("report %+v, want %+v", rep, tt.want)
			}
			if got := f.sender.messages(); !slices.Equal(got, tt.wantSent) {
				t.Errorf("sent %v, want %v", got, tt.wantSent)
			}
			c := f.store.get(t, statemachine.KindCampaign, "c1")
			if got := [2]int{c.Redrives, c.Checks}; got != tt.wantCount {
				t.Errorf("campaign redrives, checks = %v, want %v", got, tt.wantCount)
			}
			if !c.WaitSince.Equal(t0) {
				t.Errorf("campaign waits since %v, want %v: every outcome but a backlog restarts the wait", c.WaitSince, t0)
			}
			if got := f.downstream.lookups(); len(got) != 0 {
				t.Errorf("looked up %v for a campaign that waits on its numbers, want nothing", got)
			}
		})
	}
}

func TestDryRunPlansAndWritesNothing(t *testing.T) {
	gaveUp := waiting(statemachine.KindBrand, "b-old", statemachine.Submitted, 90*time.Hour)
	gaveUp.Redrives = 3
	inReview := waiting(statemachine.KindCampaign, "c1", statemachine.InReview, 25*time.Hour)
	checked := waiting(statemachine.KindNumber, "+12025550101", statemachine.Registering, 24*time.Hour)
	checked.Checks = 2
	store := newMemStore(gaveUp, inReview, checked)
	f := newFixture(t, store, func(c *Config) { c.DryRun, c.Sender, c.Lease = true, nil, nil })
	numberLookup := statemachine.Lookup{To: statemachine.ToNumbers, Kind: statemachine.KindNumber, ID: "+12025550101"}
	f.downstream.answer(numberLookup, answer{found: true})

	rep := f.sweep(t)
	want := Report{Mode: ModeIndex, DryRun: true, Started: t0, Examined: 3, ReadUnits: 1.5, Stuck: 3, Redriven: 1, Checked: 1, GaveUp: 1}
	if !reportsEqual(rep, want) {
		t.Errorf("dry run report %+v, want %+v", rep, want)
	}
	type plan struct {
		id               string
		outcome          statemachine.RedriveOutcome
		redrives, checks int
		lookups          []statemachine.Lookup
		found            []bool
		emit             []string
	}
	brandLookup := statemachine.Lookup{To: statemachine.ToRegistry, Kind: statemachine.KindBrand, ID: "b-old"}
	campaignLookup := statemachine.Lookup{To: statemachine.ToRegistry, Kind: statemachine.KindCampaign, ID: "c1"}
	wantPlans := []plan{ // oldest first
		{"b-old", statemachine.OutcomeGaveUp, 4, 0, []statemachine.Lookup{brandLookup}, []bool{false}, []string{"events:brand.failed"}},
		{"c1", statemachine.OutcomeResent, 1, 0, []statemachine.Lookup{campaignLookup}, []bool{false}, []string{"registry:registry.submit_campaign"}},
		{"+12025550101", statemachine.OutcomeChecked, 0, 3, []statemachine.Lookup{numberLookup}, []bool{true}, nil},
	}
	var got []plan
	for _, p := range rep.Planned {
		g := plan{id: p.ID, outcome: p.Outcome, redrives: p.Redrives, checks: p.Checks}
		for _, o := range p.Lookups {
			g.lookups, g.found = append(g.lookups, o.Lookup), append(g.found, o.Found)
		}
		for _, o := range p.Emit {
			g.emit = append(g.emit, string(o.To)+":"+string(o.Envelope.Type))
		}
		got = append(got, g)
	}
	if !reflect.DeepEqual(got, wantPlans) {
		t.Errorf("planned\n%+v\nwant\n%+v", got, wantPlans)
	}
	for _, p := range rep.Planned {
		if r := f.store.get(t, kindOf(p.ID), p.ID); !p.StateEnteredAt.Equal(r.StateEnteredAt) || !p.WaitSince.Equal(r.WaitSince) {
			t.Errorf("%s planned with state entry %v and wait %v, want the record's %v and %v",
				p.ID, p.StateEnteredAt, p.WaitSince, r.StateEnteredAt, r.WaitSince)
		}
	}
	if got, want := f.downstream.lookups(), []statemachine.Lookup{brandLookup, campaignLookup, numberLookup}; !slices.Equal(got, want) {
		t.Errorf("a dry run looked up %v, want %v: it plans from what the downstreams say", got, want)
	}
	if got := store.writeCount(); got != 0 {
		t.Errorf("a dry run wrote %d times", got)
	}
	for _, r := range []statemachine.Record{gaveUp, inReview, checked} {
		if got := f.store.get(t, r.Kind, r.ID); !reflect.DeepEqual(got, r) {
			t.Errorf("dry run changed %s: %+v", r.ID, got)
		}
	}
	if len(f.observer.redriven)+len(f.observer.gaveUp)+len(f.observer.swept) != 0 {
		t.Errorf("observer told of a dry run: %v %v %v", f.observer.redriven, f.observer.gaveUp, f.observer.swept)
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
	if got, want := f.observer.outcomes(), []string{SweepLeaseHeld}; !slices.Equal(got, want) {
		t.Errorf("observer told %v, want %v", got, want)
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
		rec.WaitSince = rec.StateEnteredAt
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

// A throttled query of one state fails the sweep, but the stuck records the
// other states' queries found are re-driven in it, not a sweep later.
func TestSweepRedrivesWhatTheOtherQueriesFound(t *testing.T) {
	store := newMemStore(
		waiting(statemachine.KindBrand, "b1", statemachine.Submitted, 25*time.Hour),
		waiting(statemachine.KindNumber, "n1", statemachine.Registering, 25*time.Hour))
	throttled := errors.New("throttled")
	store.failQuery = func(q statemachine.StuckQuery) error {
		if q.Kind == statemachine.KindNumber {
			return throttled
		}
		return nil
	}
	f := newFixture(t, store, nil)
	rep, err := f.sweeper.SweepOnce(t.Context())
	if !errors.Is(err, throttled) {
		t.Fatalf("err = %v, want the failed query's error", err)
	}
	if rep.Stuck != 1 || rep.Redriven+rep.Recovered+rep.Checked != 1 {
		t.Errorf("stuck %d, re-driven %d, recovered %d, checked %d; want the brand found and re-driven", rep.Stuck, rep.Redriven, rep.Recovered, rep.Checked)
	}
	if _, _, released := f.lease.counts(); released != 1 {
		t.Errorf("lease released %d times, want 1", released)
	}
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
		if got, want := f.observer.outcomes(), []string{SweepLeaseLost}; !slices.Equal(got, want) {
			t.Errorf("observer told %v, want %v", got, want)
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

// A replica on v1 leaves campaigns started on v2 alone, in whatever state,
// and re-drives the rest; a v2 brand is re-driven (v2 decides brands as v1).
// A replica on v2 re-drives the campaign waiting in EVIDENCE_REVIEW: the
// registry has no record of its evidence, so it sends it again.
func TestSweepLeavesRecordsOfANewerFlowAlone(t *testing.T) {
	v2 := func(r statemachine.Record) statemachine.Record { r.Flow = statemachine.FlowV2; return r }
	recs := []statemachine.Record{
		v2(waiting(statemachine.KindCampaign, "c-evidence", statemachine.EvidenceReview, 80*time.Hour)),
		v2(waiting(statemachine.KindCampaign, "c-review", statemachine.InReview, 80*time.Hour)),
		v2(waiting(statemachine.KindBrand, "b-v2", statemachine.Submitted, 25*time.Hour)),
		waiting(statemachine.KindCampaign, "c-v1", statemachine.InReview, 80*time.Hour),
	}
	tests := []struct {
		flow      statemachine.Flow
		newerFlow int
		sent      []string
	}{
		{flow: statemachine.FlowV1, newerFlow: 2,
			sent: []string{"registry:registry.submit_brand:b-v2", "registry:registry.submit_campaign:c-v1"}},
		{flow: statemachine.FlowV2,
			sent: []string{"registry:registry.submit_brand:b-v2", "registry:registry.submit_campaign:c-review",
				"registry:registry.submit_campaign:c-v1", "registry:registry.submit_evidence:c-evidence"}},
	}
	for _, tt := range tests {
		t.Run(tt.flow.String(), func(t *testing.T) {
			f := newFixture(t, newMemStore(recs...), func(c *Config) { c.Flow = tt.flow })
			rep := f.sweep(t)
			if rep.Stuck != 4 || rep.NewerFlow != tt.newerFlow || rep.Redriven != 4-tt.newerFlow {
				t.Errorf("stuck %d, newer flow %d, re-driven %d; want 4, %d, %d", rep.Stuck, rep.NewerFlow, rep.Redriven, tt.newerFlow, 4-tt.newerFlow)
			}
			got := f.sender.messages()
			slices.Sort(got)
			if !slices.Equal(got, tt.sent) {
				t.Errorf("sent %v, want %v", got, tt.sent)
			}
			if tt.flow == statemachine.FlowV1 {
				for _, id := range []string{"c-evidence", "c-review"} {
					if r := f.store.get(t, statemachine.KindCampaign, id); r.Redrives != 0 || r.Version != 3 {
						t.Errorf("%s written (redrives %d, version %d): want it untouched", id, r.Redrives, r.Version)
					}
				}
			}
		})
	}
}
