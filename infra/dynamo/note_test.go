package dynamo

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/tendlc/tendlc/statemachine"
)

const (
	att     = statemachine.CarrierATT
	tmobile = statemachine.CarrierTMobile
	verizon = statemachine.CarrierVerizon
)

// inCarrierReview creates campaign id in CARRIER_REVIEW with carriers c and
// two pending numbers.
func inCarrierReview(tb testing.TB, s *Store, id string, c map[statemachine.Carrier]statemachine.CarrierStatus) statemachine.Record {
	tb.Helper()
	r := record(statemachine.KindCampaign, id, "b1", statemachine.CarrierReview)
	r.Carriers = c
	r.Numbers = map[string]statemachine.NumberStatus{"+12025550101": statemachine.NumberPendingStatus, "+12025550102": statemachine.NumberPendingStatus}
	return create(tb, s, r)
}

// carrierNote is the note of carrier c's approval, decided on prev.
func carrierNote(prev statemachine.Record, c statemachine.Carrier) statemachine.Note {
	n := statemachine.Note{Map: statemachine.NoteCarriers, Key: string(c), From: []string{"PENDING", "REVIEW"},
		Value: string(statemachine.CarrierApproved), Done: []string{string(statemachine.CarrierApproved)},
		ID: "approve-" + prev.ID + "-" + string(c)}
	for _, o := range statemachine.Carriers {
		if o != c && prev.Carriers[o] != statemachine.CarrierApproved {
			n.Open = append(n.Open, string(o))
		}
	}
	return n
}

func noteAudit(id string, at time.Time) statemachine.AuditEntry {
	return statemachine.AuditEntry{From: statemachine.CarrierReview, To: statemachine.CarrierReview,
		Event: statemachine.CampaignCarrierApproved, MessageID: id, At: at}
}

func TestNotesOfOneVersionAllGoInWithoutAVersion(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	pending := map[statemachine.Carrier]statemachine.CarrierStatus{att: statemachine.CarrierPending,
		tmobile: statemachine.CarrierPending, verizon: statemachine.CarrierPending}
	v1 := inCarrierReview(t, f.store, "c1", pending)

	// Two replicas read version 1; AT&T and T-Mobile approve at once.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	at := t0.Add(time.Minute)
	for i, c := range []statemachine.Carrier{att, tmobile} {
		wg.Go(func() {
			errs[i] = f.store.Note(t.Context(), v1, carrierNote(v1, c), noteAudit("approve-"+string(c), at))
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("notes of one version: %v", err)
	}
	got, err := f.store.Get(t.Context(), statemachine.KindCampaign, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 1 || got.Carriers[att] != statemachine.CarrierApproved || got.Carriers[tmobile] != statemachine.CarrierApproved ||
		got.Carriers[verizon] != statemachine.CarrierPending || !got.UpdatedAt.Equal(at) {
		t.Errorf("after two notes: version %d, carriers %v, updated %s; want version 1, both approved, updated %s",
			got.Version, got.Carriers, got.UpdatedAt, at)
	}

	if len(got.Applied) != 2 {
		t.Errorf("applied %v, want both notes' events", got.Applied)
	}

	// A versioned transition decided on the read from before the notes did
	// not see them: it conflicts. Decided again, it writes only what it
	// changed: the notes stay.
	next := v1
	next.State, next.Carriers = statemachine.Rejected, maps.Clone(v1.Carriers)
	next.Carriers[verizon] = statemachine.CarrierRejected
	if _, err := f.store.Transition(t.Context(), &v1, next, statemachine.AuditEntry{MessageID: "stale"}); !errors.Is(err, statemachine.ErrConflict) {
		t.Fatalf("a transition decided before the notes = %v, want a conflict", err)
	}
	next = *got
	next.State, next.Carriers = statemachine.Rejected, maps.Clone(got.Carriers)
	next.Carriers[verizon] = statemachine.CarrierRejected
	v2 := move(t, f.store, got, next)
	got, _ = f.store.Get(t.Context(), statemachine.KindCampaign, "c1")
	if got.Version != v2.Version || got.Carriers[att] != statemachine.CarrierApproved || got.Carriers[verizon] != statemachine.CarrierRejected {
		t.Errorf("after the transition: version %d, carriers %v; want %d with the notes kept", got.Version, got.Carriers, v2.Version)
	}

	// The history lists the notes at version 1, between its versions.
	h, err := f.store.History(t.Context(), statemachine.KindCampaign, "c1")
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, a := range h {
		seen = append(seen, a.MessageID)
	}
	if len(h) != 4 || h[0].Note || !h[1].Note || !h[2].Note || h[1].Version != 1 || h[2].Version != 1 || h[3].Note || h[3].Version != 2 ||
		h[3].MessageID == "stale" {
		t.Errorf("history %v: want version 1, two notes at version 1, version 2", seen)
	}
}

func TestANoteIsWrittenOnlyWhileItHolds(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	two := map[statemachine.Carrier]statemachine.CarrierStatus{att: statemachine.CarrierPending,
		tmobile: statemachine.CarrierInReview, verizon: statemachine.CarrierApproved}
	cases := []struct {
		name  string
		holds bool
		// change is what happened to the stored record since prev was read.
		change func(tb testing.TB, prev statemachine.Record) statemachine.Note
	}{
		{"nothing", true, func(tb testing.TB, prev statemachine.Record) statemachine.Note { return carrierNote(prev, att) }},
		{"another carrier's answer that leaves one open", true, func(tb testing.TB, prev statemachine.Record) statemachine.Note {
			rv := statemachine.Note{Map: statemachine.NoteCarriers, Key: string(tmobile), From: []string{"REVIEW"}, Value: "REVIEW", ID: "rv-" + prev.ID}
			if err := f.store.Note(tb.Context(), prev, rv, noteAudit("rv-"+prev.ID, t0)); err != nil {
				tb.Fatal(err)
			}
			return carrierNote(prev, att)
		}},
		{"the other open carrier approved: this answer completes the carriers", false, func(tb testing.TB, prev statemachine.Record) statemachine.Note {
			if err := f.store.Note(tb.Context(), prev, carrierNote(prev, tmobile), noteAudit("tm-"+prev.ID, t0)); err != nil {
				tb.Fatal(err)
			}
			return carrierNote(prev, att)
		}},
		{"its own carrier's review", true, func(tb testing.TB, prev statemachine.Record) statemachine.Note {
			rv := statemachine.Note{Map: statemachine.NoteCarriers, Key: string(att), From: []string{"PENDING"}, Value: "REVIEW", ID: "own-" + prev.ID}
			if err := f.store.Note(tb.Context(), prev, rv, noteAudit("own-"+prev.ID, t0)); err != nil {
				tb.Fatal(err)
			}
			return carrierNote(prev, att)
		}},
		{"its event applied before, on another entry", false, func(tb testing.TB, prev statemachine.Record) statemachine.Note {
			rv := statemachine.Note{Map: statemachine.NoteCarriers, Key: string(tmobile), From: []string{"REVIEW"}, Value: "REVIEW", ID: "same-" + prev.ID}
			if err := f.store.Note(tb.Context(), prev, rv, noteAudit("same-"+prev.ID, t0)); err != nil {
				tb.Fatal(err)
			}
			n := carrierNote(prev, att)
			n.ID = rv.ID
			return n
		}},
		{"the same answer written before", false, func(tb testing.TB, prev statemachine.Record) statemachine.Note {
			if err := f.store.Note(tb.Context(), prev, carrierNote(prev, att), noteAudit("first-"+prev.ID, t0)); err != nil {
				tb.Fatal(err)
			}
			return carrierNote(prev, att)
		}},
		{"a new version", false, func(tb testing.TB, prev statemachine.Record) statemachine.Note {
			move(tb, f.store, &prev, prev)
			return carrierNote(prev, att)
		}},
		{"a number's settlement that leaves one pending", false, func(tb testing.TB, prev statemachine.Record) statemachine.Note {
			n := statemachine.Note{Map: statemachine.NoteNumbers, Key: "+12025550101", From: []string{"PENDING"}, Value: "REGISTERED",
				Open: []string{"+12025550102"}, Done: []string{"REGISTERED", "FAILED", "DEREGISTERED"}, ID: "n1-" + prev.ID}
			if err := f.store.Note(tb.Context(), prev, n, noteAudit("n1-"+prev.ID, t0)); err != nil {
				tb.Fatal(err)
			}
			n.Key, n.Open, n.ID = "+12025550102", []string{"+12025550101"}, "n2-"+prev.ID
			return n
		}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			prev := inCarrierReview(t, f.store, "c"+string(rune('a'+i)), maps.Clone(two))
			n := tc.change(t, prev)
			cur, err := f.store.Get(t.Context(), statemachine.KindCampaign, prev.ID)
			if err != nil {
				t.Fatal(err)
			}
			want := n.Holds(prev, *cur)
			if want != tc.holds {
				t.Fatalf("Holds = %v, want %v", want, tc.holds)
			}
			err = f.store.Note(t.Context(), prev, n, noteAudit("note-"+prev.ID, t0))
			_, conflict := errors.AsType[*statemachine.ConflictError](err)
			switch {
			case want && err != nil:
				t.Errorf("Note = %v; the note holds on %v and must go in", err, cur.Carriers)
			case !want && !conflict:
				t.Errorf("Note = %v; the note does not hold on %v (version %d) and must conflict", err, cur.Carriers, cur.Version)
			}
		})
	}
}

// TestConditionsAtTheNumberCap: the condition expressions of a campaign with
// the most numbers a registration takes stay within DynamoDB's limits (4 KB,
// 300 operators): a note that leaves every other number open, and a
// transition, which requires every entry as read.
func TestConditionsAtTheNumberCap(t *testing.T) {
	var conds []string
	api := &fakeAPI{transact: func(in *dynamodb.TransactWriteItemsInput) (*dynamodb.TransactWriteItemsOutput, error) {
		conds = append(conds, aws.ToString(in.TransactItems[0].Update.ConditionExpression))
		return &dynamodb.TransactWriteItemsOutput{}, nil
	}}
	s, err := New(api, Config{Table: "t"})
	if err != nil {
		t.Fatal(err)
	}
	prev := record(statemachine.KindCampaign, "c1", "b1", statemachine.NumbersPending)
	prev.Version = 7
	prev.Carriers = map[statemachine.Carrier]statemachine.CarrierStatus{att: "APPROVED", tmobile: "APPROVED", verizon: "APPROVED"}
	prev.Numbers = map[string]statemachine.NumberStatus{}
	var open []string
	for i := range statemachine.MaxNumbers {
		n := fmt.Sprintf("+1202555%04d", i)
		prev.Numbers[n] = statemachine.NumberPendingStatus
		if i > 0 {
			open = append(open, n)
		}
	}
	n := statemachine.Note{Map: statemachine.NoteNumbers, Key: "+12025550000", From: []string{"PENDING"}, Value: "REGISTERED",
		Open: open, Done: []string{"REGISTERED", "FAILED", "DEREGISTERED"}, ID: strings.Repeat("e", 36)}
	if err := s.Note(t.Context(), prev, n, noteAudit(n.ID, t0)); err != nil {
		t.Fatal(err)
	}
	next := prev
	next.State = statemachine.Deleted
	if _, err := s.Transition(t.Context(), &prev, next, statemachine.AuditEntry{MessageID: "delete"}); err != nil {
		t.Fatal(err)
	}
	operators := regexp.MustCompile(`\b(AND|OR|NOT|IN)\b|<>|=|\bcontains\(`)
	for i, c := range conds {
		t.Logf("condition %d: %d bytes, %d operators", i, len(c), len(operators.FindAllString(c, -1)))
		if len(c) > 4096 || len(operators.FindAllString(c, -1)) > 300 {
			t.Errorf("condition %d: %d bytes, %d operators; DynamoDB takes 4,096 and 300", i, len(c), len(operators.FindAllString(c, -1)))
		}
	}
	if len(conds) != 2 {
		t.Fatalf("%d conditions captured, want the note's and the transition's", len(conds))
	}
}

// TestATransitionReplacesANoteOnAnEntryItWrites: the approval that
// completes the carriers, decided before its own carrier's review went in,
// writes its entry over the review's without a conflict; a note on an entry
// it keeps would make it conflict (TestNotesOfOneVersionAllGoInWithoutAVersion).
func TestATransitionReplacesANoteOnAnEntryItWrites(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	prev := inCarrierReview(t, f.store, "c1", map[statemachine.Carrier]statemachine.CarrierStatus{
		att: statemachine.CarrierApproved, tmobile: statemachine.CarrierApproved, verizon: statemachine.CarrierPending})
	review := statemachine.Note{Map: statemachine.NoteCarriers, Key: string(verizon), From: []string{"PENDING"}, Value: "REVIEW", ID: "vz-review"}
	if err := f.store.Note(t.Context(), prev, review, noteAudit("vz-review", t0)); err != nil {
		t.Fatal(err)
	}
	next := prev
	next.State, next.Carriers = statemachine.Approved, maps.Clone(prev.Carriers)
	next.Carriers[verizon] = statemachine.CarrierApproved
	got := move(t, f.store, &prev, next)
	stored, err := f.store.Get(t.Context(), statemachine.KindCampaign, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if stored.State != statemachine.Approved || stored.Version != got.Version || stored.Carriers[verizon] != statemachine.CarrierApproved {
		t.Errorf("stored %s v%d carriers %v, want APPROVED at v%d, Verizon approved", stored.State, stored.Version, stored.Carriers, got.Version)
	}
}
