package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/tendlc/tendlc/message"
	"github.com/tendlc/tendlc/statemachine"
)

var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func newDispatcher(tb testing.TB, st Store, s Sender) *Dispatcher {
	tb.Helper()
	d, err := NewDispatcher(DispatcherConfig{Store: st, Sender: s, Now: func() time.Time { return now }})
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// message wraps an envelope the way the publisher sends it.
func newMessage(tb testing.TB, e statemachine.Envelope) *message.Message {
	tb.Helper()
	body, err := e.Encode()
	if err != nil {
		tb.Fatal(err)
	}
	return &message.Message{ID: "m-" + e.EventID, Queue: "events", Body: body, Attributes: e.Attributes()}
}

func event(tb testing.TB, t statemachine.EventType, entity string, p any) statemachine.Envelope {
	tb.Helper()
	raw, err := json.Marshal(p)
	if err != nil {
		tb.Fatal(err)
	}
	if p == nil {
		raw = nil
	}
	return statemachine.Envelope{Type: t, SchemaVersion: statemachine.SchemaVersion,
		EventID: fmt.Sprintf("%s/%s/%d", t, entity, rand.Int64()), EntityID: entity, OccurredAt: now,
		CorrelationID: "corr-" + entity, Actor: "test", Payload: raw}
}

// answers plays the downstreams: the events that answer a command.
func answers(tb testing.TB, cmd statemachine.Envelope) []statemachine.Envelope {
	tb.Helper()
	id := cmd.EntityID
	switch cmd.Type {
	case statemachine.CmdSubmitBrand:
		return []statemachine.Envelope{
			event(tb, statemachine.BrandSubmitted, id, statemachine.Receipt{ExternalID: "B-" + id}),
			event(tb, statemachine.BrandVerified, id, statemachine.Identity{Status: "VERIFIED"}),
		}
	case statemachine.CmdSubmitCampaign:
		return []statemachine.Envelope{
			event(tb, statemachine.CampaignRegistryAccepted, id, statemachine.Receipt{ExternalID: "C-" + id}),
			event(tb, statemachine.CampaignReviewApproved, id, nil),
		}
	case statemachine.CmdCarrierSubmit:
		u, err := statemachine.DecodePayload[statemachine.CarrierUpdate](cmd.Payload)
		if err != nil {
			tb.Fatal(err)
		}
		return []statemachine.Envelope{
			event(tb, statemachine.CampaignCarrierReview, id, u),
			event(tb, statemachine.CampaignCarrierApproved, id, u),
		}
	case statemachine.CmdRegisterNumber:
		return []statemachine.Envelope{
			event(tb, statemachine.NumberSubmitted, id, statemachine.Receipt{}),
			event(tb, statemachine.NumberRegistered, id, nil),
		}
	}
	tb.Fatalf("no answer for %s", cmd.Type)
	return nil
}

// flow runs events through a dispatcher until none is left, delivering them
// in a shuffled order, re-queueing deferred ones, and answering commands.
type flow struct {
	tb        testing.TB
	store     *memStore
	sender    *memSender
	d         *Dispatcher
	rng       *rand.Rand
	queue     []*message.Message
	delivered []*message.Message // every message acknowledged
	commands  int                // commands sent to downstreams
	failSends float64            // probability that a send fails (a crash before the sends)
}

func newFlow(tb testing.TB, seed uint64) *flow {
	f := &flow{tb: tb, store: newMemStore(), sender: &memSender{}, rng: rand.New(rand.NewPCG(seed, seed))}
	f.d = newDispatcher(tb, f.store, f.sender)
	return f
}

func (f *flow) push(envs ...statemachine.Envelope) {
	for _, e := range envs {
		f.queue = append(f.queue, newMessage(f.tb, e))
	}
}

func (f *flow) run() {
	f.tb.Helper()
	for steps := 0; len(f.queue) > 0; steps++ {
		if steps > 10000 {
			f.tb.Fatal("flow does not settle")
		}
		i := f.rng.IntN(len(f.queue))
		m := f.queue[i]
		f.queue = append(f.queue[:i], f.queue[i+1:]...)
		if f.rng.Float64() < f.failSends {
			f.sender.failNext = 1
		}
		err := f.d.Handle(context.Background(), m)
		f.sender.failNext = 0
		switch {
		case err == nil:
			f.delivered = append(f.delivered, m)
		case errors.Is(err, message.ErrDeferred), errors.Is(err, errSend):
			f.queue = append(f.queue, m) // redelivered later
		default:
			f.tb.Fatalf("handle %s: %v", m.Attributes[statemachine.AttrEventType], err)
		}
		f.route(f.sender.take())
	}
}

// route puts follow-ups back on the events queue and answers commands.
func (f *flow) route(out []statemachine.Outgoing) {
	for _, o := range out {
		if o.To == statemachine.ToEvents {
			f.push(o.Envelope)
			continue
		}
		f.commands++
		f.push(answers(f.tb, o.Envelope)...)
	}
}

func (f *flow) record(k statemachine.Kind, id string) statemachine.Record {
	f.tb.Helper()
	r, err := f.store.Get(context.Background(), k, id)
	if err != nil {
		f.tb.Fatalf("get %s %s: %v", k, id, err)
	}
	return *r
}

var campaignNumbers = []string{"+12025550101", "+12025550102", "+12025550103"}

func (f *flow) seed() {
	f.push(
		event(f.tb, statemachine.BrandRegister, "b1", statemachine.BrandRegistration{LegalName: "Acme", EIN: "12-3456789", EntityType: "PRIVATE_PROFIT"}),
		event(f.tb, statemachine.CampaignRegister, "c1", statemachine.CampaignRegistration{BrandID: "b1", UseCase: "2FA",
			SampleMessages: []string{"code 1234"}, Numbers: campaignNumbers}),
	)
}

func TestFlowReachesActiveUnderReorderingAndCrashes(t *testing.T) {
	for seed := range uint64(20) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			f := newFlow(t, seed)
			f.failSends = 0.2
			f.seed()
			f.run()
			if got, want := f.record(statemachine.KindCampaign, "c1").State, statemachine.Active; got != want {
				t.Fatalf("campaign state = %s, want %s", got, want)
			}
			for _, n := range campaignNumbers {
				if got := f.record(statemachine.KindNumber, n).State; got != statemachine.Registered {
					t.Errorf("number %s = %s, want REGISTERED", n, got)
				}
			}
			// One command per registration: brand, campaign, three carriers, three numbers.
			if got, want := f.commands, 8; got != want {
				t.Errorf("downstream commands = %d, want %d", got, want)
			}
			c := f.record(statemachine.KindCampaign, "c1")
			if len(c.Outbox) != 0 {
				t.Errorf("outbox left with %d entries", len(c.Outbox))
			}
			hist := f.store.audit[key(statemachine.KindCampaign, "c1")]
			var path []statemachine.State
			for i, a := range hist {
				// A note stays on the version before it; anything else makes one.
				if i > 0 && (a.Version < hist[i-1].Version || !a.Note && a.Version == hist[i-1].Version) {
					t.Errorf("audit out of order at %d", i)
				}
				if a.From != a.To || i == 0 {
					path = append(path, a.To)
				}
			}
			want := []statemachine.State{statemachine.Pending, statemachine.TCRPending, statemachine.InReview,
				statemachine.CarrierReview, statemachine.Approved, statemachine.NumbersPending, statemachine.Active}
			if fmt.Sprint(path) != fmt.Sprint(want) {
				t.Errorf("campaign path = %v, want %v", path, want)
			}
		})
	}
}

func TestDuplicatesOfEveryEventAreIgnoredWithoutSending(t *testing.T) {
	f := newFlow(t, 1)
	f.seed()
	f.run()
	seen := map[statemachine.EventType]bool{}
	before := map[string]int64{}
	for k, r := range f.store.records {
		before[k] = r.Version
	}
	for _, m := range f.delivered {
		seen[statemachine.EventType(m.Attributes[statemachine.AttrEventType])] = true
		if err := f.d.Handle(context.Background(), m); err != nil {
			t.Fatalf("duplicate %s: %v", m.Attributes[statemachine.AttrEventType], err)
		}
		if out := f.sender.take(); len(out) != 0 {
			t.Errorf("duplicate %s sent %d messages", m.Attributes[statemachine.AttrEventType], len(out))
		}
	}
	for k, r := range f.store.records {
		if r.Version != before[k] {
			t.Errorf("%s changed from version %d to %d on duplicates", k, before[k], r.Version)
		}
	}
	if got := len(seen); got < 14 {
		t.Errorf("only %d event types were duplicated; the flow should cover at least 14", got)
	}
}

func TestCrashBetweenWriteAndSendsResendsOnRedelivery(t *testing.T) {
	st, s := newMemStore(), &memSender{failNext: 1}
	d := newDispatcher(t, st, s)
	m := newMessage(t, event(t, statemachine.BrandRegister, "b1", statemachine.BrandRegistration{LegalName: "Acme", EIN: "12-3456789", EntityType: "PRIVATE_PROFIT"}))
	if err := d.Handle(context.Background(), m); !errors.Is(err, errSend) {
		t.Fatalf("first delivery: err = %v, want the send error", err)
	}
	r, _ := st.Get(context.Background(), statemachine.KindBrand, "b1")
	if r.State != statemachine.Pending || len(r.Outbox) != 1 {
		t.Fatalf("after the crash: state %s with %d outbox entries, want PENDING with 1", r.State, len(r.Outbox))
	}
	if err := d.Handle(context.Background(), m); err != nil {
		t.Fatalf("redelivery: %v", err)
	}
	if got := s.take(); len(got) != 1 || got[0].Envelope.Type != statemachine.CmdSubmitBrand {
		t.Fatalf("redelivery sent %v, want the registry submission", got)
	}
	if err := d.Handle(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if got := s.take(); len(got) != 0 {
		t.Errorf("a third delivery sent %d messages, want none", len(got))
	}
}

func TestConcurrentEventsOnOneRecordLoseNoUpdate(t *testing.T) {
	st, s := newMemStore(), &memSender{}
	d := newDispatcher(t, st, s)
	var nums []string
	for i := range 20 {
		nums = append(nums, fmt.Sprintf("+1202555%04d", i))
	}
	camp := statemachine.Record{Kind: statemachine.KindCampaign, ID: "c1", State: statemachine.NumbersPending,
		Numbers: map[string]statemachine.NumberStatus{}}
	for _, n := range nums {
		camp.Numbers[n] = statemachine.NumberPendingStatus
	}
	if _, err := st.Transition(context.Background(), nil, camp, statemachine.AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(nums))
	for _, n := range nums {
		m := newMessage(t, event(t, statemachine.CampaignNumberSettled, "c1", statemachine.NumberSettled{Number: n, Status: statemachine.NumberRegisteredStatus}))
		wg.Go(func() {
			for {
				err := d.Handle(context.Background(), m)
				if !errors.Is(err, statemachine.ErrConflict) {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	r, _ := st.Get(context.Background(), statemachine.KindCampaign, "c1")
	if r.State != statemachine.Active {
		t.Errorf("state = %s, want ACTIVE", r.State)
	}
	for _, n := range nums {
		if r.Numbers[n] != statemachine.NumberRegisteredStatus {
			t.Errorf("number %s = %s, want REGISTERED", n, r.Numbers[n])
		}
	}
	if got, want := r.Version, int64(2); got != want {
		t.Errorf("version = %d, want %d (the settlements before the last are notes)", got, want)
	}
	if got, want := len(st.audit[key(statemachine.KindCampaign, "c1")]), 21; got != want {
		t.Errorf("%d audit entries, want %d (the seed and one per event)", got, want)
	}
}

func TestPoisonMessagesAreRefusedByType(t *testing.T) {
	d := newDispatcher(t, newMemStore(), &memSender{})
	good := newMessage(t, event(t, statemachine.BrandRegister, "b1", statemachine.BrandRegistration{LegalName: "Acme", EIN: "12-3456789", EntityType: "PRIVATE_PROFIT"}))
	noAttrs := *good
	noAttrs.Attributes = nil
	lying := *good
	lying.Attributes = map[string]string{statemachine.AttrEventType: "brand.deleted", statemachine.AttrEventID: "x", statemachine.AttrEntityID: "b1"}
	cmd := newMessage(t, event(t, statemachine.CmdSubmitBrand, "b1", statemachine.BrandRegistration{LegalName: "Acme", EIN: "12-3456789", EntityType: "PRIVATE_PROFIT"}))
	unknown := newMessage(t, event(t, statemachine.BrandVerified, "nobody", statemachine.Identity{Status: "VERIFIED"}))
	tests := []struct {
		name string
		m    *message.Message
		want func(error) bool
	}{
		{"invalid JSON", &message.Message{Body: []byte("{nope")}, func(err error) bool { return errors.Is(err, statemachine.ErrMalformed) }},
		{"missing attributes", &noAttrs, func(err error) bool { return errors.Is(err, statemachine.ErrMalformed) }},
		{"attributes that disagree with the body", &lying, func(err error) bool { return errors.Is(err, statemachine.ErrMalformed) }},
		{"a command on the events queue", cmd, func(err error) bool { return errors.Is(err, statemachine.ErrUnknownEvent) }},
		{"an unknown record", unknown, func(err error) bool {
			var r *message.RejectedError
			return errors.As(err, &r) && r.Reason == "unknown record"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := d.Handle(context.Background(), tt.m); !tt.want(err) {
				t.Errorf("err = %v", err)
			}
		})
	}
}

// seed writes rec as if events had brought it there.
func seed(tb testing.TB, st *memStore, rec statemachine.Record) {
	tb.Helper()
	if _, err := st.Transition(tb.Context(), nil, rec, statemachine.AuditEntry{Kind: rec.Kind, RecordID: rec.ID, To: rec.State}); err != nil {
		tb.Fatal(err)
	}
}

func TestBrandVerifiedWakesItsPendingCampaigns(t *testing.T) {
	st, s := newMemStore(), &memSender{}
	d := newDispatcher(t, st, s)
	handle := func(e statemachine.Envelope) error {
		t.Helper()
		return d.Handle(t.Context(), newMessage(t, e))
	}
	for _, e := range []statemachine.Envelope{
		event(t, statemachine.BrandRegister, "b1", statemachine.BrandRegistration{LegalName: "Acme", EIN: "12-3456789", EntityType: "PRIVATE_PROFIT"}),
		event(t, statemachine.BrandSubmitted, "b1", statemachine.Receipt{ExternalID: "B-b1"}),
		event(t, statemachine.CampaignRegister, "c2", statemachine.CampaignRegistration{BrandID: "b1", UseCase: "2FA", SampleMessages: []string{"code 1234"}, Numbers: campaignNumbers}),
		event(t, statemachine.CampaignRegister, "c1", statemachine.CampaignRegistration{BrandID: "b1", UseCase: "2FA", SampleMessages: []string{"code 1234"}, Numbers: campaignNumbers}),
	} {
		if err := handle(e); err != nil {
			t.Fatalf("%s: %v", e.Type, err)
		}
	}
	// The campaigns' own submits find the brand not verified yet.
	var deferred []statemachine.Envelope
	for _, o := range s.take() {
		if o.Envelope.Type != statemachine.CampaignSubmit {
			continue
		}
		if err := handle(o.Envelope); !errors.Is(err, message.ErrDeferred) {
			t.Fatalf("submit of %s before the brand is verified: err = %v, want deferred", o.Envelope.EntityID, err)
		}
		deferred = append(deferred, o.Envelope)
	}
	if len(deferred) != 2 {
		t.Fatalf("%d campaign submits deferred, want 2", len(deferred))
	}
	// A campaign of the brand already past PENDING, and another brand's.
	seed(t, st, statemachine.Record{Kind: statemachine.KindCampaign, ID: "c3", ParentID: "b1", State: statemachine.TCRPending})
	seed(t, st, statemachine.Record{Kind: statemachine.KindCampaign, ID: "c9", ParentID: "b9", State: statemachine.Pending})
	st.childrenQueries = 0

	if err := handle(event(t, statemachine.BrandVerified, "b1", statemachine.Identity{Status: "VERIFIED"})); err != nil {
		t.Fatal(err)
	}
	if got, want := st.childrenQueries, 1; got != want {
		t.Errorf("children queries = %d, want %d", got, want)
	}
	wake := s.take()
	var got []string
	for _, o := range wake {
		got = append(got, string(o.To)+" "+string(o.Envelope.Type)+" "+o.Envelope.EntityID)
	}
	if want := []string{"events campaign.submit c1", "events campaign.submit c2"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("brand.verified sent %v, want %v", got, want)
	}
	if b := st.records[key(statemachine.KindBrand, "b1")]; len(b.Outbox) != 0 {
		t.Errorf("brand outbox left with %d entries after the sends", len(b.Outbox))
	}

	for _, o := range wake {
		if err := handle(o.Envelope); err != nil {
			t.Fatalf("wake-up of %s: %v", o.Envelope.EntityID, err)
		}
		if got := s.take(); len(got) != 1 || got[0].Envelope.Type != statemachine.CmdSubmitCampaign {
			t.Errorf("wake-up of %s sent %v, want the registry submission", o.Envelope.EntityID, got)
		}
	}
	for id, want := range map[string]statemachine.State{"c1": statemachine.TCRPending, "c2": statemachine.TCRPending,
		"c3": statemachine.TCRPending, "c9": statemachine.Pending} {
		if got := st.records[key(statemachine.KindCampaign, id)].State; got != want {
			t.Errorf("campaign %s = %s, want %s", id, got, want)
		}
	}
	if got, want := st.records[key(statemachine.KindCampaign, "c3")].Version, int64(1); got != want {
		t.Errorf("campaign c3 past PENDING has version %d, want %d: it must not be touched", got, want)
	}

	// The deferred copies come back after their backoff: stale.
	for _, e := range deferred {
		if err := handle(e); err != nil {
			t.Fatalf("late deferred submit of %s: %v", e.EntityID, err)
		}
	}
	if got := s.take(); len(got) != 0 {
		t.Errorf("the late deferred submits sent %d messages, want none", len(got))
	}
}

func TestOnlyBrandMovesThatMayWakeCampaignsQueryChildren(t *testing.T) {
	brand := func(s statemachine.State) *statemachine.Record {
		return &statemachine.Record{Kind: statemachine.KindBrand, ID: "b1", State: s, ExternalID: "B-b1"}
	}
	verified := brand(statemachine.Verified)
	tests := []struct {
		name    string
		rec     *statemachine.Record
		event   statemachine.EventType
		payload any
		want    int
	}{
		{"verified", brand(statemachine.Submitted), statemachine.BrandVerified, statemachine.Identity{Status: "VERIFIED"}, 1},
		{"vetted", brand(statemachine.Vetting), statemachine.BrandVetted, nil, 1},
		{"unsuspended", brand(statemachine.Suspended), statemachine.BrandUnsuspended, nil, 1},
		{"unverified", brand(statemachine.Submitted), statemachine.BrandUnverified, statemachine.Reason{Code: statemachine.CodeInvalidEIN}, 1},
		{"failed", brand(statemachine.Submitted), statemachine.BrandFailed, statemachine.Reason{Code: statemachine.CodeInvalidEIN}, 1},
		{"deleted", verified, statemachine.BrandDeleted, nil, 1},
		{"delete requested", verified, statemachine.BrandDeleteRequested, nil, 1},
		{"submitted", brand(statemachine.Pending), statemachine.BrandSubmitted, statemachine.Receipt{ExternalID: "B-b1"}, 0},
		{"suspended", verified, statemachine.BrandSuspended, statemachine.Reason{Description: "x"}, 0},
		{"revet requested", verified, statemachine.BrandRevetRequested, nil, 0},
		{"score updated", verified, statemachine.BrandScoreUpdated, statemachine.Score{Score: 80}, 0},
		{"verified for an unknown brand", nil, statemachine.BrandVerified, statemachine.Identity{Status: "VERIFIED"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newMemStore()
			if tt.rec != nil {
				seed(t, st, *tt.rec)
			}
			st.childrenQueries = 0
			err := newDispatcher(t, st, &memSender{}).Handle(t.Context(), newMessage(t, event(t, tt.event, "b1", tt.payload)))
			if rej, ok := errors.AsType[*message.RejectedError](err); tt.rec == nil && (!ok || rej.Reason != "unknown record") {
				t.Fatalf("err = %v, want rejected as an unknown record", err)
			} else if tt.rec != nil && err != nil {
				t.Fatal(err)
			}
			if got := st.childrenQueries; got != tt.want {
				t.Errorf("children queries = %d, want %d", got, tt.want)
			}
		})
	}
}

// outcomeCounter counts the replays and dispositions a dispatcher reports.
type outcomeCounter struct {
	nopObserver
	replays, dispositions int
}

func (c *outcomeCounter) Replayed(statemachine.Kind) { c.replays++ }
func (c *outcomeCounter) Disposed(statemachine.Kind, statemachine.EventType, statemachine.Disposition, string) {
	c.dispositions++
}

func TestAReplayIsCountedOnceNotPerAttempt(t *testing.T) {
	st, s := newMemStore(), &memSender{failNext: 3} // the first delivery and two replays fail to send
	obs := &outcomeCounter{}
	d, err := NewDispatcher(DispatcherConfig{Store: st, Sender: s, Now: func() time.Time { return now }, Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	m := newMessage(t, event(t, statemachine.BrandRegister, "b1", statemachine.BrandRegistration{LegalName: "Acme", EIN: "12-3456789", EntityType: "PRIVATE_PROFIT"}))
	for attempt := 1; attempt <= 3; attempt++ {
		if err := d.Handle(context.Background(), m); !errors.Is(err, errSend) {
			t.Fatalf("attempt %d: err = %v, want the send error", attempt, err)
		}
	}
	if err := d.Handle(context.Background(), m); err != nil {
		t.Fatalf("attempt 4: %v", err)
	}
	if err := d.Handle(context.Background(), m); err != nil { // a duplicate: nothing left to replay
		t.Fatal(err)
	}
	if obs.replays != 1 {
		t.Errorf("counted %d replays of one event's outbox, want 1", obs.replays)
	}
}

func TestADispositionIsCountedOnceItsMessageIsDeleted(t *testing.T) {
	st, s := newMemStore(), &memSender{}
	obs := &outcomeCounter{}
	d, err := NewDispatcher(DispatcherConfig{Store: st, Sender: s, Now: func() time.Time { return now }, Observer: obs})
	if err != nil {
		t.Fatal(err)
	}
	m := newMessage(t, event(t, statemachine.BrandRegister, "b1", statemachine.BrandRegistration{LegalName: "Acme", EIN: "12-3456789", EntityType: "PRIVATE_PROFIT"}))
	if err := d.Handle(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	// The duplicate is ignored twice: its first attempt is not deleted (the
	// delete failed), its second is.
	for attempt, deleted := range []bool{false, true} {
		ctx, settled := message.WithSettled(context.Background())
		if err := d.Handle(ctx, m); err != nil {
			t.Fatalf("duplicate, attempt %d: %v", attempt+1, err)
		}
		if obs.dispositions != 0 {
			t.Errorf("attempt %d: %d dispositions counted before the delete, want 0", attempt+1, obs.dispositions)
		}
		if deleted {
			settled.Run()
		}
	}
	if obs.dispositions != 1 {
		t.Errorf("counted %d dispositions of one message, want 1", obs.dispositions)
	}
}
