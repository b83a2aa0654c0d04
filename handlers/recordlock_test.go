package handlers

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tendlc/tendlc/message"
	"github.com/tendlc/tendlc/statemachine"
)

// overlapStore measures how many handlers are between their read of a
// record and their write of it at once. Each read lingers until another
// handler arrives or a moment passes, so that handlers that are not held in
// line do overlap.
type overlapStore struct {
	*memStore
	mu          sync.Mutex
	inside, max int
	arrived     chan struct{}
	panicOnGet  bool
}

func (s *overlapStore) Get(ctx context.Context, k statemachine.Kind, id string) (*statemachine.Record, error) {
	s.mu.Lock()
	s.inside++
	s.max = max(s.max, s.inside)
	s.mu.Unlock()
	if s.panicOnGet {
		s.leave()
		panic("store exploded")
	}
	select {
	case s.arrived <- struct{}{}:
	case <-s.arrived:
	case <-time.After(20 * time.Millisecond):
	}
	return s.memStore.Get(ctx, k, id)
}

func (s *overlapStore) Transition(ctx context.Context, prev *statemachine.Record, next statemachine.Record, a statemachine.AuditEntry) (statemachine.Record, error) {
	defer s.leave()
	return s.memStore.Transition(ctx, prev, next, a)
}

func (s *overlapStore) Note(ctx context.Context, prev statemachine.Record, n statemachine.Note, a statemachine.AuditEntry) error {
	defer s.leave()
	return s.memStore.Note(ctx, prev, n, a)
}

func (s *overlapStore) leave() {
	s.mu.Lock()
	s.inside--
	s.mu.Unlock()
}

type conflictCounter struct {
	nopObserver
	mu        sync.Mutex
	conflicts int
}

func (c *conflictCounter) Conflicted(statemachine.Kind) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.conflicts++
}

// TestOneProcessAppliesTheEventsOfARecordInLine: numbers settling on one
// campaign at once are read, decided and written one after the other within
// a process, so none conflicts.
func TestOneProcessAppliesTheEventsOfARecordInLine(t *testing.T) {
	st := &overlapStore{memStore: newMemStore(), arrived: make(chan struct{})}
	obs := &conflictCounter{}
	d, err := NewDispatcher(DispatcherConfig{Store: st, Sender: &memSender{}, Observer: obs, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	camp := statemachine.Record{Kind: statemachine.KindCampaign, ID: "c1", State: statemachine.NumbersPending,
		Numbers: map[string]statemachine.NumberStatus{}}
	var msgs []*message.Message
	for i := range 8 {
		n := fmt.Sprintf("+1202555%04d", i)
		camp.Numbers[n] = statemachine.NumberPendingStatus
		msgs = append(msgs, newMessage(t, event(t, statemachine.CampaignNumberSettled, "c1",
			statemachine.NumberSettled{Number: n, Status: statemachine.NumberRegisteredStatus})))
	}
	if _, err := st.memStore.Transition(t.Context(), nil, camp, statemachine.AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(msgs))
	for _, m := range msgs {
		wg.Go(func() { errs <- d.Handle(t.Context(), m) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	r, _ := st.memStore.Get(t.Context(), statemachine.KindCampaign, "c1")
	if r.State != statemachine.Active || r.Version != 2 {
		t.Errorf("state %s version %d, want ACTIVE at version 2 (seven notes, then the last number's transition)", r.State, r.Version)
	}
	if got := len(st.audit["campaign#c1"]); got != 9 {
		t.Errorf("%d audit entries, want 9 (the seed and one per number)", got)
	}
	if st.max != 1 || obs.conflicts != 0 {
		t.Errorf("%d handlers between read and write at once, %d conflicts; want 1 and 0", st.max, obs.conflicts)
	}
}

// TestARecordIsNotHeldByAPanicOrAGivenUpWait: a handler that panics lets the
// next message of its record in, and one whose context ends while it waits
// gives up with the context's error.
func TestARecordIsNotHeldByAPanicOrAGivenUpWait(t *testing.T) {
	st := &overlapStore{memStore: newMemStore(), arrived: make(chan struct{}), panicOnGet: true}
	d := newDispatcher(t, st, &memSender{})
	h := message.Recover()(d.Handle)
	reg := newMessage(t, event(t, statemachine.BrandRegister, "b1", statemachine.BrandRegistration{LegalName: "Acme", EIN: "12-3456789", EntityType: "PRIVATE_PROFIT"}))
	if err := h(t.Context(), reg); !errors.As(err, new(*message.PanicError)) {
		t.Fatalf("Handle = %v, want the store's panic", err)
	}
	st.panicOnGet = false
	if err := h(t.Context(), reg); err != nil {
		t.Fatalf("Handle after a panic = %v, want the brand registered", err)
	}

	unlock, err := d.locks.lock(t.Context(), "brand#b1")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := d.locks.lock(ctx, "brand#b1"); !errors.Is(err, context.Canceled) {
		t.Errorf("lock of a held record with an ended context = %v, want context.Canceled", err)
	}
	unlock()
	if n := len(d.locks.m); n != 0 {
		t.Errorf("%d locks remembered after every holder left, want 0", n)
	}
}
