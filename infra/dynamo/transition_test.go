package dynamo

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tendlc/tendlc/statemachine"
)

// cancelled is the error DynamoDB returns for a cancelled transaction, with one
// reason code per item, wrapped (as the SDK wraps it in an OperationError).
func cancelled(codes ...string) error {
	e := &types.TransactionCanceledException{Message: aws.String("Transaction cancelled")}
	for _, c := range codes {
		e.CancellationReasons = append(e.CancellationReasons, types.CancellationReason{Code: aws.String(c)})
	}
	return fmt.Errorf("operation error DynamoDB: TransactWriteItems: %w", e)
}

func TestTransitionClassifiesErrors(t *testing.T) {
	tests := []struct {
		name         string
		err          error
		wantConflict bool
	}{
		{"record condition failed", cancelled("ConditionalCheckFailed", "None"), true},
		{"concurrent transaction", cancelled("TransactionConflict", "None"), true},
		{"concurrent transaction on the audit item", cancelled("None", "TransactionConflict"), true},
		{"audit item exists but the record matched", cancelled("None", "ConditionalCheckFailed"), false},
		{"validation", cancelled("ValidationError", "None"), false},
		{"throttled", &types.ProvisionedThroughputExceededException{Message: aws.String("slow down")}, false},
		{"not a transaction error", &types.ConditionalCheckFailedException{Message: aws.String("no")}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(&fakeAPI{transact: func(*dynamodb.TransactWriteItemsInput) (*dynamodb.TransactWriteItemsOutput, error) {
				return nil, tt.err
			}}, Config{Table: "records"})
			if err != nil {
				t.Fatal(err)
			}
			prev := record(statemachine.KindCampaign, "c1", "b1", statemachine.InReview)
			prev.Version = 4
			next := prev
			next.State = statemachine.CarrierReview

			_, err = s.Transition(t.Context(), &prev, next, statemachine.AuditEntry{})
			ce, ok := errors.AsType[*statemachine.ConflictError](err)
			if ok != tt.wantConflict {
				t.Fatalf("Transition error = %v; conflict %v, want %v", err, ok, tt.wantConflict)
			}
			if !ok {
				if !errors.Is(err, tt.err) {
					t.Errorf("Transition error = %v, want it to wrap %v", err, tt.err)
				}
				return
			}
			want := statemachine.ConflictError{Kind: statemachine.KindCampaign, ID: "c1", ExpectedState: statemachine.InReview, ExpectedVersion: 4}
			if *ce != want {
				t.Errorf("ConflictError = %+v, want %+v", *ce, want)
			}
			if !errors.Is(err, statemachine.ErrConflict) {
				t.Errorf("errors.Is(%v, ErrConflict) = false", err)
			}
		})
	}
}

func TestTransitionRejectsInvalidRecords(t *testing.T) {
	brand := record(statemachine.KindBrand, "b1", "", statemachine.Pending)
	other := record(statemachine.KindBrand, "b2", "", statemachine.Pending)
	tests := []struct {
		name string
		prev *statemachine.Record
		next statemachine.Record
	}{
		{"unknown kind", nil, record("lease", "b1", "", statemachine.Pending)},
		{"empty id", nil, record(statemachine.KindBrand, "", "", statemachine.Pending)},
		{"id changes", &brand, other},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(&fakeAPI{transact: func(*dynamodb.TransactWriteItemsInput) (*dynamodb.TransactWriteItemsOutput, error) {
				t.Error("TransactWriteItems called for an invalid transition")
				return &dynamodb.TransactWriteItemsOutput{}, nil
			}}, Config{Table: "records"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Transition(t.Context(), tt.prev, tt.next, statemachine.AuditEntry{}); err == nil {
				t.Error("Transition succeeded, want an error")
			}
		})
	}
}

func TestTransitionConflicts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	v1 := create(t, f.store, record(statemachine.KindCampaign, "c1", "b1", statemachine.InReview))

	t.Run("create of an existing record", func(t *testing.T) {
		_, err := f.store.Transition(t.Context(), nil, record(statemachine.KindCampaign, "c1", "b1", statemachine.Pending),
			statemachine.AuditEntry{MessageID: "dup-create"})
		want := statemachine.ConflictError{Kind: statemachine.KindCampaign, ID: "c1", ExpectedState: statemachine.StateNone}
		if ce, ok := errors.AsType[*statemachine.ConflictError](err); !ok || *ce != want {
			t.Errorf("Transition error = %v, want %+v", err, want)
		}
	})

	t.Run("two writers from the same read", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, to := range []statemachine.State{statemachine.CarrierReview, statemachine.Rejected} {
			wg.Go(func() {
				next := v1
				next.State = to
				_, errs[i] = f.store.Transition(t.Context(), &v1, next, statemachine.AuditEntry{MessageID: fmt.Sprintf("writer-%d", i)})
			})
		}
		wg.Wait()

		var wins, conflicts int
		for _, err := range errs {
			switch ce, ok := errors.AsType[*statemachine.ConflictError](err); {
			case err == nil:
				wins++
			case ok:
				conflicts++
				want := statemachine.ConflictError{Kind: statemachine.KindCampaign, ID: "c1", ExpectedState: statemachine.InReview, ExpectedVersion: 1}
				if *ce != want {
					t.Errorf("ConflictError = %+v, want %+v", *ce, want)
				}
			default:
				t.Errorf("Transition error = %v, want nil or a ConflictError", err)
			}
		}
		if wins != 1 || conflicts != 1 {
			t.Fatalf("wins = %d, conflicts = %d; want 1 and 1", wins, conflicts)
		}

		// The loser's audit entry was in its transaction, so it is not stored.
		history, err := f.store.History(t.Context(), statemachine.KindCampaign, "c1")
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, e := range history {
			ids = append(ids, e.MessageID)
		}
		if got, want := len(history), 2; got != want {
			t.Fatalf("history message ids = %v, want 2 entries", ids)
		}
		winner := "writer-0"
		if errs[0] != nil {
			winner = "writer-1"
		}
		if got := history[1].MessageID; got != winner {
			t.Errorf("second audit entry from %s, want the winner %s (history %v)", got, winner, ids)
		}
		rec, err := f.store.Get(t.Context(), statemachine.KindCampaign, "c1")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := rec.Version, int64(2); got != want {
			t.Errorf("version = %d, want %d", got, want)
		}
	})
}

// TestConcurrentReadModifyWrite races writers through read, modify, write and
// retry on conflict: no increment may be lost.
func TestConcurrentReadModifyWrite(t *testing.T) {
	t.Parallel()
	const writers, perWriter = 8, 10
	f := newFixture(t)
	create(t, f.store, record(statemachine.KindNumber, "+15555550100", "c1", statemachine.Registering))

	var successes, conflicts atomic.Int64
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for n := 0; n < perWriter; {
				cur, err := f.store.Get(t.Context(), statemachine.KindNumber, "+15555550100")
				if err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
				next := *cur
				next.Redrives++
				_, err = f.store.Transition(t.Context(), cur, next, statemachine.AuditEntry{MessageID: fmt.Sprintf("w%d-%d", w, n)})
				if _, ok := errors.AsType[*statemachine.ConflictError](err); ok {
					conflicts.Add(1)
					continue
				}
				if err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
				successes.Add(1)
				n++
			}
		})
	}
	wg.Wait()
	t.Logf("%d writes, %d conflicts retried", successes.Load(), conflicts.Load())

	rec, err := f.store.Get(t.Context(), statemachine.KindNumber, "+15555550100")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := successes.Load(), int64(writers*perWriter); got != want {
		t.Errorf("successful writes = %d, want %d", got, want)
	}
	if got, want := rec.Version, 1+successes.Load(); got != want {
		t.Errorf("version = %d, want 1 + %d successful writes", got, successes.Load())
	}
	if got, want := int64(rec.Redrives), successes.Load(); got != want {
		t.Errorf("counter = %d, want %d: an increment was lost", got, want)
	}
	history, err := f.store.History(t.Context(), statemachine.KindNumber, "+15555550100")
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range history {
		if got, want := e.Version, int64(i+1); got != want {
			t.Fatalf("history[%d].Version = %d, want %d", i, got, want)
		}
	}
	if got, want := int64(len(history)), rec.Version; got != want {
		t.Errorf("history has %d entries, want %d", got, want)
	}
}

// TestTransitionRemovesWhatTheDecisionDropped: an update writes the
// attributes and map entries next lacks as removed, not only the changed ones.
func TestTransitionRemovesWhatTheDecisionDropped(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rec := fullCampaign()
	prev := create(t, f.store, rec)
	next := prev
	next.Reason, next.ExternalID = nil, ""
	next.Outbox = map[string][]statemachine.Outgoing{}
	next.Numbers = nil
	next.State = statemachine.Active
	move(t, f.store, &prev, next)
	got, err := f.store.Get(t.Context(), rec.Kind, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Reason != nil || got.ExternalID != "" || len(got.Outbox) != 0 || got.Numbers != nil || got.State != statemachine.Active {
		t.Errorf("stored %+v, want no reason, external id, outbox entries or numbers, and ACTIVE", got)
	}
	if got.Data == nil || got.Carriers == nil || got.CorrelationID != rec.CorrelationID {
		t.Errorf("stored %+v, want the attributes the decision kept", got)
	}
}
