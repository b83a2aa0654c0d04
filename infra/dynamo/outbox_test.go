package dynamo

import (
	"errors"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tendlc/tendlc/statemachine"
)

func TestClearOutboxClassifiesErrors(t *testing.T) {
	throttled := &types.ProvisionedThroughputExceededException{Message: aws.String("slow down")}
	tests := []struct {
		name    string
		err     error
		wantErr error
	}{
		{"cleared", nil, nil},
		{"entry already gone", &types.ConditionalCheckFailedException{Message: aws.String("no")}, nil},
		{"other error", throttled, throttled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(&fakeAPI{update: func(*dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error) {
				if tt.err != nil {
					return nil, tt.err
				}
				return &dynamodb.UpdateItemOutput{}, nil
			}}, Config{Table: "records"})
			if err != nil {
				t.Fatal(err)
			}
			err = s.ClearOutbox(t.Context(), statemachine.KindBrand, "b1", "e1")
			if tt.wantErr == nil && err != nil || !errors.Is(err, tt.wantErr) {
				t.Errorf("ClearOutbox = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestClearOutbox(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	rec := fullCampaign()
	keep := statemachine.Outgoing{To: statemachine.ToRegistry, Envelope: statemachine.Envelope{
		Type: "registry.submit_campaign", SchemaVersion: 1, EventID: "e3/reg", EntityID: "c1", OccurredAt: t0,
	}}
	rec.Outbox["e3"] = []statemachine.Outgoing{keep}
	v1 := create(t, f.store, rec)

	if err := f.store.ClearOutbox(ctx, rec.Kind, rec.ID, "e2"); err != nil {
		t.Fatal(err)
	}
	got, err := f.store.Get(ctx, rec.Kind, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := got.Outbox, map[string][]statemachine.Outgoing{"e3": {keep}}; !reflect.DeepEqual(got, want) {
		t.Errorf("outbox = %+v, want only e3: %+v", got, want)
	}
	if got.Version != v1.Version {
		t.Errorf("version = %d, want %d: a clear makes no new version", got.Version, v1.Version)
	}

	t.Run("a transition decided before the clear does not write the entry back", func(t *testing.T) {
		next := v1 // its outbox still holds e2
		next.State = statemachine.Approved
		if _, err := f.store.Transition(t.Context(), &v1, next, statemachine.AuditEntry{}); err != nil {
			t.Fatalf("Transition from the pre-clear read = %v, want it written", err)
		}
		moved, err := f.store.Get(t.Context(), rec.Kind, rec.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[string][]statemachine.Outgoing{"e3": {keep}}; !reflect.DeepEqual(moved.Outbox, want) || moved.State != statemachine.Approved {
			t.Errorf("after the transition: state %s, outbox %+v; want APPROVED with only e3", moved.State, moved.Outbox)
		}
		got = moved
	})

	t.Run("repeating is a no-op", func(t *testing.T) {
		if err := f.store.ClearOutbox(t.Context(), rec.Kind, rec.ID, "e2"); err != nil {
			t.Fatal(err)
		}
		again, err := f.store.Get(t.Context(), rec.Kind, rec.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(again, got) {
			t.Errorf("record after repeat =\n %+v\nwant unchanged\n %+v", again, got)
		}
	})

	t.Run("absent record is a no-op", func(t *testing.T) {
		if err := f.store.ClearOutbox(t.Context(), statemachine.KindCampaign, "nope", "e2"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.Get(t.Context(), statemachine.KindCampaign, "nope"); !errors.Is(err, statemachine.ErrNotFound) {
			t.Errorf("Get = %v, want ErrNotFound: ClearOutbox must not create a record", err)
		}
	})

	t.Run("last entry leaves an empty outbox", func(t *testing.T) {
		if err := f.store.ClearOutbox(t.Context(), rec.Kind, rec.ID, "e3"); err != nil {
			t.Fatal(err)
		}
		last, err := f.store.Get(t.Context(), rec.Kind, rec.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(last.Outbox); got != 0 {
			t.Errorf("outbox = %+v, want empty", last.Outbox)
		}
	})
}
