package handlers

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/tendlc/tendlc/message"
	"github.com/tendlc/tendlc/statemachine"
)

// outbox returns the record's outbox entries and the clears the store took.
func (s *memStore) outboxOf(k statemachine.Kind, id string) (int, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.records[key(k, id)].Outbox), s.clears
}

func brandRegistered(t *testing.T) statemachine.Envelope {
	return event(t, statemachine.BrandRegister, "b1", statemachine.BrandRegistration{LegalName: "Acme", EIN: "12-3456789", EntityType: "PRIVATE_PROFIT"})
}

// TestASentEntryIsClearedAfterTheDelay: with no transition of the record to
// fold it into, the entry is cleared by a write of its own once ClearAfter
// has passed, and not before.
func TestASentEntryIsClearedAfterTheDelay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newMemStore()
		d := newDispatcher(t, st, &memSender{})
		if err := d.Handle(t.Context(), newMessage(t, brandRegistered(t))); err != nil {
			t.Fatal(err)
		}
		if entries, clears := st.outboxOf(statemachine.KindBrand, "b1"); entries != 1 || clears != 0 {
			t.Fatalf("after the sends: %d entries, %d clears; want the entry kept for a transition to remove", entries, clears)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if entries, clears := st.outboxOf(statemachine.KindBrand, "b1"); entries != 0 || clears != 1 {
			t.Errorf("after ClearAfter: %d entries, %d clears; want the entry cleared by one write", entries, clears)
		}
	})
}

// TestTheNextTransitionRemovesASentEntry: the record's next transition in
// the process removes the entry in its own write; no clear is written.
func TestTheNextTransitionRemovesASentEntry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newMemStore()
		d := newDispatcher(t, st, &memSender{})
		for _, e := range []statemachine.Envelope{brandRegistered(t),
			event(t, statemachine.BrandSubmitted, "b1", statemachine.Receipt{ExternalID: "B-b1"})} {
			if err := d.Handle(t.Context(), newMessage(t, e)); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		r, _ := st.Get(t.Context(), statemachine.KindBrand, "b1")
		if entries, clears := st.outboxOf(statemachine.KindBrand, "b1"); r.State != statemachine.Submitted || entries != 0 || clears != 0 {
			t.Errorf("state %s, %d entries, %d clears; want SUBMITTED, the entry removed by the transition, no clear", r.State, entries, clears)
		}
	})
}

// TestAFailedTransitionGivesTheClearBack: a transition that took a clear to
// fold in but did not write leaves it to its own write; Flush makes the
// pending clears at once.
func TestAFailedTransitionGivesTheClearBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := newMemStore()
		d := newDispatcher(t, st, &memSender{})
		if err := d.Handle(t.Context(), newMessage(t, brandRegistered(t))); err != nil {
			t.Fatal(err)
		}
		st.failTransitions = 1
		if err := d.Handle(t.Context(), newMessage(t, event(t, statemachine.BrandSubmitted, "b1", statemachine.Receipt{ExternalID: "B-b1"}))); !errors.Is(err, errStore) {
			t.Fatalf("Handle = %v, want the store's error", err)
		}
		d.Flush()
		if entries, clears := st.outboxOf(statemachine.KindBrand, "b1"); entries != 0 || clears != 1 {
			t.Errorf("after Flush: %d entries, %d clears; want the entry cleared by one write", entries, clears)
		}
		time.Sleep(time.Minute)
		synctest.Wait()
		if _, clears := st.outboxOf(statemachine.KindBrand, "b1"); clears != 1 {
			t.Errorf("%d clears after the delay, want the one Flush made", clears)
		}
	})
}

// blockingClears holds every ClearOutbox until released.
type blockingClears struct {
	*memStore
	release chan struct{}
}

func (s *blockingClears) ClearOutbox(ctx context.Context, k statemachine.Kind, id, eventID string) error {
	<-s.release
	return s.memStore.ClearOutbox(ctx, k, id, eventID)
}

// TestFlushWaitsForTheClearsUnderWay: Flush returns only when a clear
// whose delay had passed is done, and an entry sent after it is cleared at
// once.
func TestFlushWaitsForTheClearsUnderWay(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := &blockingClears{memStore: newMemStore(), release: make(chan struct{})}
		d := newDispatcher(t, st, &memSender{})
		if err := d.Handle(t.Context(), newMessage(t, brandRegistered(t))); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second) // the clear starts, and waits for release
		synctest.Wait()
		flushed := make(chan struct{})
		go func() { d.Flush(); close(flushed) }()
		synctest.Wait()
		select {
		case <-flushed:
			t.Fatal("Flush returned while a clear was under way")
		default:
		}
		close(st.release)
		<-flushed
		if entries, clears := st.outboxOf(statemachine.KindBrand, "b1"); entries != 0 || clears != 1 {
			t.Errorf("after Flush: %d entries, %d clears; want the entry cleared", entries, clears)
		}
		later := event(t, statemachine.BrandRegister, "b2", statemachine.BrandRegistration{LegalName: "Acme", EIN: "12-3456789", EntityType: "PRIVATE_PROFIT"})
		if err := d.Handle(t.Context(), newMessage(t, later)); err != nil {
			t.Fatal(err)
		}
		if entries, clears := st.outboxOf(statemachine.KindBrand, "b2"); entries != 0 || clears != 2 {
			t.Errorf("an entry sent after Flush: %d entries, %d clears in all; want it cleared at once", entries, clears)
		}
	})
}

// panickingStore panics in the next Transition.
type panickingStore struct {
	*memStore
	panicNext bool
}

func (s *panickingStore) Transition(ctx context.Context, prev *statemachine.Record, next statemachine.Record, a statemachine.AuditEntry) (statemachine.Record, error) {
	if s.panicNext {
		s.panicNext = false
		panic("store exploded")
	}
	return s.memStore.Transition(ctx, prev, next, a)
}

// TestAPanickingTransitionGivesTheClearBack: a transition that took a clear
// to fold in and panicked leaves the entry to a write of its own.
func TestAPanickingTransitionGivesTheClearBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := &panickingStore{memStore: newMemStore()}
		d := newDispatcher(t, st, &memSender{})
		h := message.Recover()(d.Handle)
		if err := h(t.Context(), newMessage(t, brandRegistered(t))); err != nil {
			t.Fatal(err)
		}
		st.panicNext = true
		if err := h(t.Context(), newMessage(t, event(t, statemachine.BrandSubmitted, "b1", statemachine.Receipt{ExternalID: "B-b1"}))); !errors.As(err, new(*message.PanicError)) {
			t.Fatalf("Handle = %v, want the store's panic", err)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if entries, clears := st.outboxOf(statemachine.KindBrand, "b1"); entries != 0 || clears != 1 {
			t.Errorf("%d entries, %d clears; want the entry cleared by a write of its own", entries, clears)
		}
	})
}
