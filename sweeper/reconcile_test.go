package sweeper

import (
	"errors"
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/tendlc/tendlc/statemachine"
)

// decision returns a downstream's decision about entity as the event its
// webhook translates to, with the downstream's event id.
func decision(tb testing.TB, t statemachine.EventType, entity, eventID string, p any) statemachine.Envelope {
	tb.Helper()
	e := statemachine.Envelope{Type: t, SchemaVersion: statemachine.SchemaVersion, EventID: eventID, EntityID: entity,
		OccurredAt: t0.Add(-20 * time.Hour), CorrelationID: "corr-" + entity, Actor: "registry", Payload: mustJSON(p)}
	if err := e.Validate(); err != nil {
		tb.Fatalf("decision %s invalid: %v", t, err)
	}
	return e
}

var brandLookup = statemachine.Lookup{To: statemachine.ToRegistry, Kind: statemachine.KindBrand, ID: "b1"}

func TestSweepReconcilesBeforeResending(t *testing.T) {
	verified := decision(t, statemachine.BrandVerified, "b1", "tcr-evt-1", statemachine.Identity{Status: "VERIFIED"})
	score := decision(t, statemachine.BrandScoreUpdated, "b1", "tcr-evt-2", statemachine.Score{Score: 80})
	// Its submission is still the one sent on entering PENDING: a downstream
	// with no record of it means it may still be queued, unless the queue
	// holds nothing.
	stuck := waiting(statemachine.KindBrand, "b1", statemachine.Pending, 25*time.Hour)
	stuck.Redrives, stuck.Checks = 1, 2
	tests := []struct {
		name       string
		answer     answer
		busy       bool  // the registry's queue holds messages
		limitErr   error // the rate limiter's wait fails
		want       Report
		wantSent   []string
		wantIDs    []string // event ids of what was sent, when they are the downstream's
		wantCount  [2]int   // redrives and checks stored afterwards
		wantLookup string   // what the observer was told of the look-up
	}{
		{
			name: "no record downstream and an empty queue: the command is re-sent", answer: answer{found: false},
			want: Report{Redriven: 1}, wantSent: []string{"registry:registry.submit_brand:b1"}, wantCount: [2]int{2, 0}, // a re-send restarts the checks
			wantLookup: "registry not_found",
		},
		{
			name: "no record downstream and a busy queue: a backlog, left alone", answer: answer{found: false}, busy: true,
			want: Report{Backlog: 1}, wantCount: [2]int{1, 2}, wantLookup: "registry not_found",
		},
		{
			name: "a decision the record missed is sent with the downstream's id", answer: answer{found: true, events: []statemachine.Envelope{score, verified}},
			want: Report{Recovered: 1}, wantSent: []string{"events:brand.verified:b1"}, wantIDs: []string{"tcr-evt-1"},
			wantCount: [2]int{1, 3}, wantLookup: "registry found",
		},
		{
			name: "a downstream still deciding is only checked", answer: answer{found: true, events: []statemachine.Envelope{score}},
			want: Report{Checked: 1}, wantCount: [2]int{1, 3}, wantLookup: "registry found",
		},
		{
			name: "a busy queue does not hold back what the downstream decided", answer: answer{found: true, events: []statemachine.Envelope{verified}}, busy: true,
			want: Report{Recovered: 1}, wantSent: []string{"events:brand.verified:b1"}, wantIDs: []string{"tcr-evt-1"},
			wantCount: [2]int{1, 3}, wantLookup: "registry found",
		},
		{
			name: "a look-up that fails leaves a backlog, not a blind re-send", answer: answer{err: errors.New("registry unavailable")},
			want: Report{Backlog: 1}, wantCount: [2]int{1, 2}, wantLookup: "registry error",
		},
		{
			name: "a look-up the rate limit holds back leaves a backlog", limitErr: errors.New("rate limit: context ended"),
			want: Report{Backlog: 1}, wantCount: [2]int{1, 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := newMemStore(stuck)
			f := newFixture(t, store, nil)
			f.downstream.answer(brandLookup, tt.answer)
			f.queues.busy = map[statemachine.Destination]bool{statemachine.ToRegistry: tt.busy}
			f.limiter.err = map[string]error{string(statemachine.ToRegistry): tt.limitErr}

			rep := f.sweep(t)
			tt.want.Mode, tt.want.Started, tt.want.Stuck, tt.want.Examined, tt.want.ReadUnits = ModeIndex, t0, 1, 1, 0.5
			if !reportsEqual(rep, tt.want) {
				t.Errorf("report %+v, want %+v", rep, tt.want)
			}
			if got := f.sender.messages(); !slices.Equal(got, tt.wantSent) {
				t.Errorf("sent %v, want %v", got, tt.wantSent)
			}
			if tt.wantIDs != nil {
				var ids []string
				for _, o := range f.sender.sent {
					ids = append(ids, o.Envelope.EventID)
				}
				if !slices.Equal(ids, tt.wantIDs) {
					t.Errorf("sent ids %v, want %v: a recovered decision keeps its id, so its late webhook is a duplicate", ids, tt.wantIDs)
				}
			}
			got := f.store.get(t, statemachine.KindBrand, "b1")
			if counts := [2]int{got.Redrives, got.Checks}; counts != tt.wantCount {
				t.Errorf("redrives, checks = %v, want %v", counts, tt.wantCount)
			}
			backlog := tt.want.Backlog > 0
			if backlog {
				if !reflect.DeepEqual(got, stuck) || store.writeCount() != 0 {
					t.Errorf("a backlog wrote the record (%d writes): %+v", store.writeCount(), got)
				}
				if len(f.observer.redriven) != 0 {
					t.Errorf("observer told of a backlog as a re-drive: %v", f.observer.redriven)
				}
			} else if !got.WaitSince.Equal(t0) || got.Version != stuck.Version+1 {
				t.Errorf("after a counted re-drive: wait since %v, version %d; want %v, %d", got.WaitSince, got.Version, t0, stuck.Version+1)
			}
			var wantLookups []string
			if tt.wantLookup != "" {
				wantLookups = []string{tt.wantLookup}
			}
			if got := f.observer.lookedUp; !slices.Equal(got, wantLookups) {
				t.Errorf("observer told of look-ups %v, want %v", got, wantLookups)
			}
			if got, want := f.limiter.counts(), map[string]int{"registry": 1}; !maps.Equal(got, want) {
				t.Errorf("limiter waits %v, want %v", got, want)
			}
			wantAsked := 1
			if tt.limitErr != nil {
				wantAsked = 0
			}
			if got := len(f.downstream.lookups()); got != wantAsked {
				t.Errorf("downstream asked %d times, want %d", got, wantAsked)
			}
		})
	}
}

func TestSweepSpacesReDrives(t *testing.T) {
	tests := []struct {
		name   string
		answer answer
		want   Report // of each re-drive, beyond the search
	}{
		{"re-sent", answer{found: false}, Report{Redriven: 1}},
		{"checked", answer{found: true}, Report{Checked: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, newMemStore(waiting(statemachine.KindBrand, "b1", statemachine.Submitted, 2*time.Hour)), func(c *Config) {
				c.Thresholds = map[StateKey]time.Duration{{statemachine.KindBrand, statemachine.Submitted}: time.Hour}
			})
			f.downstream.answer(brandLookup, tt.answer)
			redriven := func(tb testing.TB, sweep int) {
				tb.Helper()
				want := tt.want
				want.Mode, want.Started, want.Stuck, want.Examined, want.ReadUnits = ModeIndex, f.clock.Now(), 1, 1, 0.5
				if rep := f.sweep(tb); !reportsEqual(rep, want) {
					tb.Fatalf("sweep %d: %+v, want %+v", sweep, rep, want)
				}
				if got := f.store.get(tb, statemachine.KindBrand, "b1").WaitSince; !got.Equal(f.clock.Now()) {
					tb.Fatalf("sweep %d: wait since %v, want the re-drive's time %v", sweep, got, f.clock.Now())
				}
			}
			notFound := func(tb testing.TB, sweep int) {
				tb.Helper()
				if rep := f.sweep(tb); rep.Stuck != 0 {
					tb.Fatalf("sweep %d, %v after the re-drive: %d stuck, want 0", sweep, f.clock.Now().Sub(t0), rep.Stuck)
				}
			}

			redriven(t, 1)
			f.clock.advance(59 * time.Minute)
			notFound(t, 2)
			f.clock.advance(time.Minute) // an hour after the re-drive
			redriven(t, 3)
			notFound(t, 4)
			if got, want := len(f.downstream.lookups()), 2; got != want {
				t.Errorf("downstream asked %d times, want %d: once per re-drive", got, want)
			}
		})
	}
}

func TestSweepLooksUpEachCarrierThroughItsLimit(t *testing.T) {
	rec := waiting(statemachine.KindCampaign, "c1", statemachine.CarrierReview, 80*time.Hour)
	rec.Carriers = map[statemachine.Carrier]statemachine.CarrierStatus{
		statemachine.CarrierATT: statemachine.CarrierApproved, statemachine.CarrierTMobile: statemachine.CarrierInReview,
	}
	tmobile := statemachine.Lookup{To: statemachine.ToTMobile, Kind: statemachine.KindCampaign, ID: "c1"}
	verizon := statemachine.Lookup{To: statemachine.ToVerizon, Kind: statemachine.KindCampaign, ID: "c1"}
	f := newFixture(t, newMemStore(rec), nil)
	f.downstream.answer(tmobile, answer{err: errors.New("t-mobile unavailable")})
	f.downstream.answer(verizon, answer{found: false})

	rep := f.sweep(t)
	if rep.Redriven != 1 || rep.Failed != 0 {
		t.Errorf("report %+v, want one re-drive", rep)
	}
	// T-Mobile could not be asked: its part waits; Verizon never got the
	// campaign: it gets it again.
	if got, want := f.sender.messages(), []string{"verizon:carrier.submit_campaign:c1"}; !slices.Equal(got, want) {
		t.Errorf("sent %v, want %v", got, want)
	}
	if got, want := f.downstream.lookups(), []statemachine.Lookup{tmobile, verizon}; !slices.Equal(got, want) {
		t.Errorf("looked up %v, want %v (AT&T approved: not asked)", got, want)
	}
	if got, want := f.limiter.counts(), map[string]int{"tmobile": 1, "verizon": 1}; !maps.Equal(got, want) {
		t.Errorf("limiter waits %v, want one per carrier asked, keyed by its destination: %v", got, want)
	}
	if got, want := f.observer.lookedUp, []string{"tmobile error", "verizon not_found"}; !slices.Equal(got, want) {
		t.Errorf("observer told of look-ups %v, want %v", got, want)
	}
}

func TestSweepAsksEachQueueOncePerSweep(t *testing.T) {
	recs := []statemachine.Record{
		waiting(statemachine.KindBrand, "b1", statemachine.Pending, 25*time.Hour),
		waiting(statemachine.KindBrand, "b2", statemachine.Pending, 26*time.Hour),
		waiting(statemachine.KindNumber, "+12025550101", statemachine.Pending, 27*time.Hour),
	}
	tests := []struct {
		name     string
		queues   func(*queues) Queues // nil: no Queues configured
		want     Report
		wantSent []string // oldest first
		wantAsk  map[statemachine.Destination]int
	}{
		{
			name: "the registry's queue is busy",
			queues: func(q *queues) Queues {
				q.busy = map[statemachine.Destination]bool{statemachine.ToRegistry: true}
				return q
			},
			want: Report{Redriven: 1, Backlog: 2}, wantSent: []string{"numbers:numbers.register:+12025550101"},
			wantAsk: map[statemachine.Destination]int{statemachine.ToRegistry: 1, statemachine.ToNumbers: 1},
		},
		{
			name: "a queue whose depth is unknown counts as busy",
			queues: func(q *queues) Queues {
				q.err = map[statemachine.Destination]error{statemachine.ToNumbers: errors.New("sqs unavailable")}
				return q
			},
			want: Report{Redriven: 2, Backlog: 1}, wantSent: []string{"registry:registry.submit_brand:b2", "registry:registry.submit_brand:b1"},
			wantAsk: map[statemachine.Destination]int{statemachine.ToRegistry: 1, statemachine.ToNumbers: 1},
		},
		{
			name: "without Queues every queue counts as busy", want: Report{Backlog: 3},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &queues{}
			f := newFixture(t, newMemStore(recs...), func(c *Config) {
				c.Queues = nil
				if tt.queues != nil {
					c.Queues = tt.queues(q)
				}
			})
			rep := f.sweep(t)
			tt.want.Mode, tt.want.Started, tt.want.Stuck, tt.want.Examined, tt.want.ReadUnits = ModeIndex, t0, 3, 3, 1.5
			if !reportsEqual(rep, tt.want) {
				t.Errorf("report %+v, want %+v", rep, tt.want)
			}
			if got := f.sender.messages(); !slices.Equal(got, tt.wantSent) {
				t.Errorf("sent %v, want %v", got, tt.wantSent)
			}
			if got := q.counts(); !maps.Equal(got, tt.wantAsk) {
				t.Errorf("queues asked %v, want %v: each once per sweep", got, tt.wantAsk)
			}
		})
	}
}

func TestSweepWithoutADownstream(t *testing.T) {
	brand := waiting(statemachine.KindBrand, "b1", statemachine.Submitted, 25*time.Hour)
	number := waiting(statemachine.KindNumber, "+12025550101", statemachine.Registering, 26*time.Hour)
	approved := waiting(statemachine.KindCampaign, "c1", statemachine.Approved, 27*time.Hour)
	pending := waiting(statemachine.KindCampaign, "c2", statemachine.Pending, 28*time.Hour)
	store := newMemStore(brand, number, approved, pending)
	f := newFixture(t, store, func(c *Config) { c.Downstream, c.Limiter = nil, nil })

	rep := f.sweep(t)
	want := Report{Mode: ModeIndex, Started: t0, Examined: 4, ReadUnits: 2, Stuck: 4, Redriven: 1, Waiting: 1, Backlog: 2}
	if !reportsEqual(rep, want) {
		t.Errorf("report %+v, want %+v", rep, want)
	}
	// The records that wait on a downstream are left alone: without a
	// look-up a lost request cannot be told from a slow one. Those that
	// wait on this system's own follow-ups are still re-driven.
	if got, want := f.sender.messages(), []string{"events:campaign.submit:c2", "events:campaign.numbers_requested:c1"}; !slices.Equal(got, want) {
		t.Errorf("sent %v, want %v", got, want)
	}
	for _, r := range []statemachine.Record{brand, number} {
		if got := f.store.get(t, r.Kind, r.ID); !reflect.DeepEqual(got, r) {
			t.Errorf("%s %s, waiting on a downstream, was written: %+v", r.Kind, r.ID, got)
		}
	}
	if got := f.store.get(t, statemachine.KindCampaign, "c1"); got.Redrives != 1 || !got.WaitSince.Equal(t0) {
		t.Errorf("c1 redrives %d, wait since %v; want 1, %v", got.Redrives, got.WaitSince, t0)
	}
	if got := f.store.get(t, statemachine.KindCampaign, "c2"); got.Redrives != 0 || got.Checks != 0 || !got.WaitSince.Equal(t0) {
		t.Errorf("c2 redrives %d, checks %d, wait since %v; want 0, 0, %v: a wait on the brand counts nothing but restarts",
			got.Redrives, got.Checks, got.WaitSince, t0)
	}
	if got, want := f.observer.redriven, []string{"campaign PENDING waiting", "campaign APPROVED resent"}; !slices.Equal(got, want) {
		t.Errorf("observer told of re-drives %v, want %v", got, want)
	}
	if len(f.observer.lookedUp) != 0 {
		t.Errorf("observer told of look-ups %v without a downstream", f.observer.lookedUp)
	}
}

func TestSweepReplaysAnOutbox(t *testing.T) {
	requested := statemachine.Envelope{Type: statemachine.CampaignNumbersRequested, SchemaVersion: statemachine.SchemaVersion,
		EventID: "follow-up-1", EntityID: "c1", OccurredAt: t0.Add(-2 * time.Hour), CorrelationID: "corr-c1",
		Actor: statemachine.Actor, Payload: mustJSON(statemachine.Empty{})}
	submit := statemachine.Envelope{Type: statemachine.CmdSubmitBrand, SchemaVersion: statemachine.SchemaVersion,
		EventID: "follow-up-2", EntityID: "b1", OccurredAt: t0.Add(-2 * time.Hour), CorrelationID: "corr-b1",
		Actor: statemachine.Actor, Payload: brandData}
	approved := waiting(statemachine.KindCampaign, "c1", statemachine.Approved, 2*time.Hour)
	approved.Outbox = map[string][]statemachine.Outgoing{"cause-1": {{To: statemachine.ToEvents, Envelope: requested}}}
	submitted := waiting(statemachine.KindBrand, "b1", statemachine.Submitted, 3*time.Hour)
	submitted.Outbox = map[string][]statemachine.Outgoing{"cause-2": {{To: statemachine.ToRegistry, Envelope: submit}}}

	tests := []struct {
		name        string
		sendErr     error
		want        Report
		wantSent    []string
		wantCleared []string
	}{
		{"sent, then cleared", nil, Report{Recovered: 2},
			[]string{"registry:registry.submit_brand:b1", "events:campaign.numbers_requested:c1"}, []string{"b1/cause-2", "c1/cause-1"}},
		{"not sent: the entries stay", errors.New("queue unavailable"), Report{Failed: 2}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := newMemStore(approved, submitted)
			f := newFixture(t, store, func(c *Config) { c.Threshold = time.Hour })
			f.sender.fail = func([]statemachine.Outgoing) error { return tt.sendErr }

			rep := f.sweep(t)
			tt.want.Mode, tt.want.Started, tt.want.Stuck, tt.want.Examined, tt.want.ReadUnits = ModeIndex, t0, 2, 2, 1
			if !reportsEqual(rep, tt.want) {
				t.Errorf("report %+v, want %+v", rep, tt.want)
			}
			if got := f.sender.messages(); !slices.Equal(got, tt.wantSent) {
				t.Errorf("sent %v, want %v", got, tt.wantSent)
			}
			for _, o := range f.sender.sent {
				if o.Envelope.EventID != submit.EventID && o.Envelope.EventID != requested.EventID {
					t.Errorf("replayed %s with id %s, want the outbox entry's own id", o.Envelope.Type, o.Envelope.EventID)
				}
			}
			if got := slices.Sorted(slices.Values(store.cleared)); !slices.Equal(got, tt.wantCleared) {
				t.Errorf("cleared %v, want %v", got, tt.wantCleared)
			}
			for _, r := range []statemachine.Record{approved, submitted} {
				got := f.store.get(t, r.Kind, r.ID)
				if wantLeft := tt.sendErr != nil; (len(got.Outbox) > 0) != wantLeft {
					t.Errorf("%s outbox %v after the sweep, want it left %v", r.ID, got.Outbox, wantLeft)
				}
				if got.Checks != 1 || got.Redrives != 0 {
					t.Errorf("%s redrives %d, checks %d; want 0, 1 (a replay counts as a check)", r.ID, got.Redrives, got.Checks)
				}
			}
			if got := f.downstream.lookups(); len(got) != 0 {
				t.Errorf("looked up %v for a record with an outbox to replay, want nothing", got)
			}
		})
	}
}

func TestSweepResendsWhatTheDownstreamLostWhateverItsQueueHolds(t *testing.T) {
	// The registry accepted b1's submission (the brand moved to SUBMITTED)
	// and has no record of it now: a busy registry queue cannot hold it.
	store := newMemStore(waiting(statemachine.KindBrand, "b1", statemachine.Submitted, 25*time.Hour))
	f := newFixture(t, store, nil)
	f.queues.busy = map[statemachine.Destination]bool{statemachine.ToRegistry: true}

	rep := f.sweep(t)
	if rep.Redriven != 1 || rep.Backlog != 0 {
		t.Errorf("report %+v, want b1 re-sent", rep)
	}
	if got, want := f.sender.messages(), []string{"registry:registry.submit_brand:b1"}; !slices.Equal(got, want) {
		t.Fatalf("sent %v, want %v", got, want)
	}
	sent := f.sender.sent[0].Envelope.EventID
	got := f.store.get(t, statemachine.KindBrand, "b1")
	if sent == "cmd-b1-registry" || got.Commands[statemachine.ToRegistry].EventID != sent {
		t.Errorf("re-sent under %s, record's command %+v: want a new key, written on the record", sent, got.Commands[statemachine.ToRegistry])
	}
}

func TestSweepResendsAFailedCommandAsItWas(t *testing.T) {
	// b1's submission left its queue and its calls failed (it may sit in
	// the DLQ): sent again under the same key, a harmless repeat if a retry
	// copy is still on its way.
	rec := waiting(statemachine.KindBrand, "b1", statemachine.Pending, 25*time.Hour)
	ref := rec.Commands[statemachine.ToRegistry]
	ref.AttemptedAt = rec.StateEnteredAt.Add(time.Second)
	rec.Commands[statemachine.ToRegistry] = ref
	f := newFixture(t, newMemStore(rec), nil)
	f.queues.busy = map[statemachine.Destination]bool{statemachine.ToRegistry: true}

	rep := f.sweep(t)
	if rep.Redriven != 1 || len(f.sender.sent) != 1 {
		t.Fatalf("report %+v, sent %v; want the submission again", rep, f.sender.messages())
	}
	if got := f.sender.sent[0].Envelope.EventID; got != "cmd-b1-registry" {
		t.Errorf("re-sent under %s, want the same key cmd-b1-registry", got)
	}
}
