package handlers

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tendlc/tendlc/statemachine"
)

// sameReadStore lets its first reads wait for each other, so that the
// handlers making them decide on the same version, as two replicas do when
// answers to one record arrive together.
type sameReadStore struct {
	*memStore
	left  atomic.Int32
	ready sync.WaitGroup
}

func newSameReadStore(readers int) *sameReadStore {
	s := &sameReadStore{memStore: newMemStore()}
	s.left.Store(int32(readers))
	s.ready.Add(readers)
	return s
}

func (s *sameReadStore) Get(ctx context.Context, k statemachine.Kind, id string) (*statemachine.Record, error) {
	r, err := s.memStore.Get(ctx, k, id)
	if s.left.Add(-1) >= 0 {
		s.ready.Done()
		s.ready.Wait()
	}
	return r, err
}

// twoReplicas applies one message in each of two dispatchers (two replicas:
// each with its own record locks) at once, and returns the conflicts counted.
func twoReplicas(t *testing.T, st Store, send Sender, a, b statemachine.Envelope) int {
	t.Helper()
	obs := &conflictCounter{}
	var wg sync.WaitGroup
	for _, e := range []statemachine.Envelope{a, b} {
		d, err := NewDispatcher(DispatcherConfig{Store: st, Sender: send, Observer: obs, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		m := newMessage(t, e)
		wg.Go(func() {
			if err := d.Handle(t.Context(), m); err != nil {
				t.Errorf("Handle(%s) = %v", e.Type, err)
			}
		})
	}
	wg.Wait()
	return obs.conflicts
}

func carrierReviewCampaign(t *testing.T, st *memStore, c map[statemachine.Carrier]statemachine.CarrierStatus) {
	t.Helper()
	rec := statemachine.Record{Kind: statemachine.KindCampaign, ID: "c1", State: statemachine.CarrierReview, Carriers: c}
	if _, err := st.Transition(t.Context(), nil, rec, statemachine.AuditEntry{}); err != nil {
		t.Fatal(err)
	}
}

func TestTwoReplicasRecordTwoCarriersAnswersWithoutAConflict(t *testing.T) {
	st := newSameReadStore(2)
	carrierReviewCampaign(t, st.memStore, map[statemachine.Carrier]statemachine.CarrierStatus{
		statemachine.CarrierATT: statemachine.CarrierPending, statemachine.CarrierTMobile: statemachine.CarrierPending,
		statemachine.CarrierVerizon: statemachine.CarrierPending})
	conflicts := twoReplicas(t, st, &memSender{},
		event(t, statemachine.CampaignCarrierApproved, "c1", statemachine.CarrierUpdate{Carrier: statemachine.CarrierATT}),
		event(t, statemachine.CampaignCarrierReview, "c1", statemachine.CarrierUpdate{Carrier: statemachine.CarrierTMobile}))
	r, _ := st.Get(t.Context(), statemachine.KindCampaign, "c1")
	if conflicts != 0 || r.Version != 1 || r.Carriers[statemachine.CarrierATT] != statemachine.CarrierApproved ||
		r.Carriers[statemachine.CarrierTMobile] != statemachine.CarrierInReview {
		t.Errorf("%d conflicts, version %d, carriers %v; want 0, 1 and both answers in", conflicts, r.Version, r.Carriers)
	}
	if got := len(st.audit["campaign#c1"]); got != 3 {
		t.Errorf("%d audit entries, want 3 (the seed and one per answer)", got)
	}
}

func TestOfTwoAnswersThatWouldEachCompleteTheCarriersOneMovesTheCampaign(t *testing.T) {
	st := newSameReadStore(2)
	carrierReviewCampaign(t, st.memStore, map[statemachine.Carrier]statemachine.CarrierStatus{
		statemachine.CarrierATT: statemachine.CarrierPending, statemachine.CarrierTMobile: statemachine.CarrierInReview,
		statemachine.CarrierVerizon: statemachine.CarrierApproved})
	send := &memSender{}
	conflicts := twoReplicas(t, st, send,
		event(t, statemachine.CampaignCarrierApproved, "c1", statemachine.CarrierUpdate{Carrier: statemachine.CarrierATT}),
		event(t, statemachine.CampaignCarrierApproved, "c1", statemachine.CarrierUpdate{Carrier: statemachine.CarrierTMobile}))
	r, _ := st.Get(t.Context(), statemachine.KindCampaign, "c1")
	if r.State != statemachine.Approved || r.Version != 2 {
		t.Fatalf("campaign %s at version %d, want APPROVED at 2: a note completed the carriers unseen", r.State, r.Version)
	}
	if conflicts != 1 {
		t.Errorf("%d conflicts, want 1: the second answer finds the first written, re-reads and completes", conflicts)
	}
	out := send.take()
	if len(out) != 1 || out[0].Envelope.Type != statemachine.CampaignNumbersRequested {
		t.Errorf("sent %v, want numbers requested once", out)
	}
}

// noteFirstStore lets a versioned transition wait until a note went in, as a
// replica's write does when another replica's note lands between its read
// and its write.
type noteFirstStore struct {
	*sameReadStore
	noted chan struct{}
}

func (s *noteFirstStore) Note(ctx context.Context, prev statemachine.Record, n statemachine.Note, a statemachine.AuditEntry) error {
	err := s.memStore.Note(ctx, prev, n, a)
	close(s.noted)
	return err
}

func (s *noteFirstStore) Transition(ctx context.Context, prev *statemachine.Record, next statemachine.Record, a statemachine.AuditEntry) (statemachine.Record, error) {
	<-s.noted
	return s.memStore.Transition(ctx, prev, next, a)
}

func TestATransitionDecidedBeforeANoteDecidesAgain(t *testing.T) {
	st := &noteFirstStore{sameReadStore: newSameReadStore(2), noted: make(chan struct{})}
	camp := statemachine.Record{Kind: statemachine.KindCampaign, ID: "c1", State: statemachine.NumbersPending,
		Numbers: map[string]statemachine.NumberStatus{"+12025550101": statemachine.NumberPendingStatus, "+12025550102": statemachine.NumberPendingStatus}}
	if _, err := st.memStore.Transition(t.Context(), nil, camp, statemachine.AuditEntry{}); err != nil {
		t.Fatal(err)
	}
	send := &memSender{}
	// The delete was decided on a read where no number was registered; the
	// settlement's note registered one before the delete was written.
	conflicts := twoReplicas(t, st, send,
		event(t, statemachine.CampaignDeleteRequested, "c1", nil),
		event(t, statemachine.CampaignNumberSettled, "c1", statemachine.NumberSettled{Number: "+12025550101", Status: statemachine.NumberRegisteredStatus}))
	r, _ := st.memStore.Get(t.Context(), statemachine.KindCampaign, "c1")
	if r.State != statemachine.Deleted || conflicts != 1 {
		t.Fatalf("campaign %s after %d conflicts, want DELETED after 1: the delete decided again", r.State, conflicts)
	}
	var deregistered []string
	for _, o := range send.take() {
		if o.Envelope.Type == statemachine.NumberDeregister {
			deregistered = append(deregistered, o.Envelope.EntityID)
		}
	}
	if len(deregistered) != 1 || deregistered[0] != "+12025550101" {
		t.Errorf("deregistered %v, want the number the note registered", deregistered)
	}
}

func TestWithoutNotesEveryAnswerMakesAVersion(t *testing.T) {
	st := newMemStore()
	carrierReviewCampaign(t, st, map[statemachine.Carrier]statemachine.CarrierStatus{
		statemachine.CarrierATT: statemachine.CarrierPending, statemachine.CarrierTMobile: statemachine.CarrierPending,
		statemachine.CarrierVerizon: statemachine.CarrierPending})
	d, err := NewDispatcher(DispatcherConfig{Store: st, Sender: &memSender{}, NoNotes: true, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []statemachine.Carrier{statemachine.CarrierATT, statemachine.CarrierTMobile} {
		if err := d.Handle(t.Context(), newMessage(t, event(t, statemachine.CampaignCarrierApproved, "c1", statemachine.CarrierUpdate{Carrier: c}))); err != nil {
			t.Fatal(err)
		}
	}
	r, _ := st.Get(t.Context(), statemachine.KindCampaign, "c1")
	if r.Version != 3 || r.Carriers[statemachine.CarrierTMobile] != statemachine.CarrierApproved {
		t.Errorf("version %d, carriers %v; want version 3 (a write each) with both approvals", r.Version, r.Carriers)
	}
	for _, a := range st.audit["campaign#c1"] {
		if a.Note {
			t.Errorf("a note written with NoNotes: %+v", a)
		}
	}
}
