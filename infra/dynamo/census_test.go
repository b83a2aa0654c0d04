package dynamo

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tendlc/tendlc/statemachine"
)

func TestCensusCountsEveryPageAndMetersIt(t *testing.T) {
	item := func(k statemachine.Kind, s statemachine.State) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{
			"kind":  &types.AttributeValueMemberS{Value: string(k)},
			"state": &types.AttributeValueMemberS{Value: string(s)},
		}
	}
	pages := [][]map[string]types.AttributeValue{
		{item(statemachine.KindBrand, statemachine.Verified), item(statemachine.KindCampaign, statemachine.Active)},
		{item(statemachine.KindCampaign, statemachine.Active), item(statemachine.KindNumber, statemachine.Registered)},
	}
	var calls int
	api := &scanAPI{fakeAPI: &fakeAPI{}, scan: func(in *dynamodb.ScanInput) (*dynamodb.ScanOutput, error) {
		if got, want := aws.ToString(in.ProjectionExpression), "#k, #s"; got != want {
			t.Errorf("projection %q, want %q", got, want)
		}
		if got, want := aws.ToString(in.FilterExpression), "#sk = :record AND attribute_exists(#k)"; got != want {
			t.Errorf("filter %q, want %q", got, want)
		}
		if got, want := in.ExpressionAttributeNames, map[string]string{"#k": "kind", "#s": "state", "#sk": "sk"}; !maps.Equal(got, want) {
			t.Errorf("names %v, want %v", got, want)
		}
		if got, want := stringValue(in.ExpressionAttributeValues[":record"]), "record"; got != want {
			t.Errorf(":record = %q, want %q", got, want)
		}
		if aws.ToBool(in.ConsistentRead) {
			t.Error("census asks for a consistent read, which costs twice as much")
		}
		page := calls
		calls++
		if page > 0 && in.ExclusiveStartKey == nil {
			return nil, fmt.Errorf("page %d requested without ExclusiveStartKey", page)
		}
		var last map[string]types.AttributeValue
		if page == 0 {
			last = map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "campaign#c1"}}
		}
		// Each page read 40 items (audit items among them); the filter kept two.
		return &dynamodb.ScanOutput{Items: pages[page], ScannedCount: 40, Count: 2, LastEvaluatedKey: last,
			ConsumedCapacity: &types.ConsumedCapacity{CapacityUnits: aws.Float64(2.5)}}, nil
	}}
	var m Meter
	s, err := New(api, Config{Table: "records", Meter: &m})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Census(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := map[statemachine.Kind]map[statemachine.State]int64{
		statemachine.KindBrand:    {statemachine.Verified: 1},
		statemachine.KindCampaign: {statemachine.Active: 2},
		statemachine.KindNumber:   {statemachine.Registered: 1},
	}
	if !reflect.DeepEqual(got.Records, want) {
		t.Errorf("records %v, want %v", got.Records, want)
	}
	if got, want := got.Examined, int64(80); got != want {
		t.Errorf("examined %d, want %d", got, want)
	}
	if got, want := got.ReadUnits, 5.0; got != want {
		t.Errorf("read units %v, want %v", got, want)
	}
	if got, want := m.Snapshot().ByOperation[opCensus], (Usage{Requests: 2, ReadUnits: 5}); got != want {
		t.Errorf("metered %+v, want %+v", got, want)
	}
}

func TestCensusReturnsTheScanError(t *testing.T) {
	boom := errors.New("boom")
	api := &scanAPI{fakeAPI: &fakeAPI{}, scan: func(*dynamodb.ScanInput) (*dynamodb.ScanOutput, error) { return nil, boom }}
	var m Meter
	s, err := New(api, Config{Table: "records", Meter: &m})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Census(t.Context()); !errors.Is(err, boom) {
		t.Errorf("Census = %v, want it to wrap %v", err, boom)
	}
	if got, want := m.Snapshot().ByOperation[opCensus].Requests, int64(1); got != want {
		t.Errorf("metered %d requests, want %d (failed ones count)", got, want)
	}
}

// TestCensusCountsRecordsOnly runs against DynamoDB Local: audit items, a
// lease and a rate limit share the table and are not counted.
func TestCensusCountsRecordsOnly(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := create(t, f.store, record(statemachine.KindBrand, "b1", "", statemachine.Pending))
	next := b
	next.State = statemachine.Submitted
	move(t, f.store, &b, next) // a second audit item
	create(t, f.store, record(statemachine.KindBrand, "b2", "", statemachine.Pending))
	create(t, f.store, record(statemachine.KindCampaign, "c1", "b1", statemachine.Pending))
	lease, err := NewLease(f.api, LeaseConfig{Table: f.set.TableName(), Name: "census"})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := lease.Acquire(t.Context()); err != nil || !ok {
		t.Fatalf("Acquire = %v, %v", ok, err)
	}

	got, err := f.store.Census(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := map[statemachine.Kind]map[statemachine.State]int64{
		statemachine.KindBrand:    {statemachine.Submitted: 1, statemachine.Pending: 1},
		statemachine.KindCampaign: {statemachine.Pending: 1},
	}
	if !reflect.DeepEqual(got.Records, want) {
		t.Errorf("records %v, want %v", got.Records, want)
	}
	// 3 records, 4 audit items and the lease.
	if got, want := got.Examined, int64(8); got != want {
		t.Errorf("examined %d items, want %d", got, want)
	}
	if got.ReadUnits <= 0 {
		t.Errorf("read units %v, want the scan's consumed capacity", got.ReadUnits)
	}
}
