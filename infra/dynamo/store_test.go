package dynamo

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tendlc/tendlc/infra/awstest"
	"github.com/tendlc/tendlc/infra/resources"
	"github.com/tendlc/tendlc/statemachine"
)

func TestNewValidatesConfig(t *testing.T) {
	tests := []struct {
		name    string
		api     API
		cfg     Config
		wantErr bool
	}{
		{"valid", &fakeAPI{}, Config{Table: "records"}, false},
		{"meter is optional", &fakeAPI{}, Config{Table: "records", Meter: &Meter{}}, false},
		{"no table", &fakeAPI{}, Config{}, true},
		{"no api", nil, Config{Table: "records"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(tt.api, tt.cfg)
			if got := err != nil; got != tt.wantErr {
				t.Fatalf("New error = %v, want error %v", err, tt.wantErr)
			}
			if got := s != nil; got == tt.wantErr {
				t.Errorf("New store = %v with error %v", s, err)
			}
		})
	}
}

// fixture is a freshly provisioned table and a store on it.
type fixture struct {
	api   *dynamodb.Client
	set   resources.Set
	meter *Meter
	store *Store
}

// newFixture provisions a table of its own for tb and deletes it when tb ends.
func newFixture(tb testing.TB) fixture {
	tb.Helper()
	api, s := provisionTable(tb)
	f := fixture{api: api, set: s, meter: &Meter{}}
	var err error
	if f.store, err = New(api, Config{Table: s.TableName(), Meter: f.meter}); err != nil {
		tb.Fatal(err)
	}
	return f
}

// provisionTable runs Provision on a resource set with a unique prefix and deletes
// the table when tb ends.
func provisionTable(tb testing.TB) (*dynamodb.Client, resources.Set) {
	tb.Helper()
	api := awstest.DynamoDB(tb)
	s := resources.Default(awstest.Prefix(tb))
	deleteOnCleanup(tb, api, s.TableName())
	if _, err := Provision(tb.Context(), api, s); err != nil {
		tb.Fatal(err)
	}
	return api, s
}

func deleteOnCleanup(tb testing.TB, api *dynamodb.Client, table string) {
	tb.Helper()
	tb.Cleanup(func() {
		// tb.Context() is already cancelled when cleanups run.
		_, err := api.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)})
		if _, ok := errors.AsType[*types.ResourceNotFoundException](err); err != nil && !ok {
			tb.Errorf("delete table %s: %v", table, err)
		}
	})
}

// record returns a record that entered state at t0.
func record(kind statemachine.Kind, id, parentID string, state statemachine.State) statemachine.Record {
	return statemachine.Record{
		Kind: kind, ID: id, ParentID: parentID, State: state,
		CreatedAt: t0, StateEnteredAt: t0, WaitSince: t0, UpdatedAt: t0,
	}
}

// create writes a new record, failing tb on error.
func create(tb testing.TB, s *Store, r statemachine.Record) statemachine.Record {
	tb.Helper()
	return move(tb, s, nil, r)
}

// move writes next over prev (nil: create), failing tb on error.
func move(tb testing.TB, s *Store, prev *statemachine.Record, next statemachine.Record) statemachine.Record {
	tb.Helper()
	from := statemachine.StateNone
	if prev != nil {
		from = prev.State
	}
	got, err := s.Transition(tb.Context(), prev, next, statemachine.AuditEntry{
		From: from, To: next.State, Event: "test.move", MessageID: fmt.Sprintf("%s-%s", from, next.State), At: next.UpdatedAt,
	})
	if err != nil {
		tb.Fatalf("transition %s %s from %s to %s: %v", next.Kind, next.ID, from, next.State, err)
	}
	return got
}

func TestStoreCreateTransitionHistory(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()

	v1 := create(t, f.store, record(statemachine.KindBrand, "b1", "", statemachine.Pending))
	next := v1
	next.State, next.StateEnteredAt, next.UpdatedAt = statemachine.Submitted, t0.Add(time.Minute), t0.Add(time.Minute)
	v2 := move(t, f.store, &v1, next)
	next = v2
	next.State, next.StateEnteredAt, next.UpdatedAt = statemachine.Verified, t0.Add(time.Hour), t0.Add(time.Hour)
	next.Reason = &statemachine.Reason{Description: "identity VERIFIED"}
	v3 := move(t, f.store, &v2, next)

	if got, want := []int64{v1.Version, v2.Version, v3.Version}, []int64{1, 2, 3}; !reflect.DeepEqual(got, want) {
		t.Errorf("versions = %v, want %v", got, want)
	}
	got, err := f.store.Get(ctx, statemachine.KindBrand, "b1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*got, v3) {
		t.Errorf("Get =\n %+v\nwant the record as written\n %+v", *got, v3)
	}

	history, err := f.store.History(ctx, statemachine.KindBrand, "b1")
	if err != nil {
		t.Fatal(err)
	}
	want := []statemachine.AuditEntry{
		{Kind: statemachine.KindBrand, RecordID: "b1", Version: 1, From: statemachine.StateNone, To: statemachine.Pending, Event: "test.move", MessageID: "NONE-PENDING", At: t0},
		{Kind: statemachine.KindBrand, RecordID: "b1", Version: 2, From: statemachine.Pending, To: statemachine.Submitted, Event: "test.move", MessageID: "PENDING-SUBMITTED", At: t0.Add(time.Minute)},
		{Kind: statemachine.KindBrand, RecordID: "b1", Version: 3, From: statemachine.Submitted, To: statemachine.Verified, Event: "test.move", MessageID: "SUBMITTED-VERIFIED", At: t0.Add(time.Hour)},
	}
	if !reflect.DeepEqual(history, want) {
		t.Errorf("History =\n %+v\nwant\n %+v", history, want)
	}
}

func TestStoreRoundTripsEveryField(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rec := fullCampaign()
	written := create(t, f.store, rec)
	got, err := f.store.Get(t.Context(), rec.Kind, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*got, written) {
		t.Errorf("Get =\n %+v\nwant\n %+v", *got, written)
	}
}

func TestGetAbsentRecord(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	create(t, f.store, record(statemachine.KindBrand, "b1", "", statemachine.Pending))
	for _, tt := range []struct {
		name string
		kind statemachine.Kind
		id   string
	}{
		{"unknown id", statemachine.KindBrand, "nope"},
		{"same id, other kind", statemachine.KindCampaign, "b1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.store.Get(t.Context(), tt.kind, tt.id)
			if !errors.Is(err, statemachine.ErrNotFound) {
				t.Errorf("Get = %v, %v; want ErrNotFound", got, err)
			}
		})
	}
}
