package dynamo

import (
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tendlc/tendlc/statemachine"
)

func TestDumpDecodesEveryPageAndMetersIt(t *testing.T) {
	brand := record(statemachine.KindBrand, "b1", "", statemachine.Submitted)
	brand.Version = 2
	campaign := record(statemachine.KindCampaign, "c1", "b1", statemachine.Pending)
	campaign.Version = 1
	audit := func(kind statemachine.Kind, id string, v int64, from, to statemachine.State) statemachine.AuditEntry {
		return statemachine.AuditEntry{Kind: kind, RecordID: id, Version: v, From: from, To: to,
			Event: "test.move", MessageID: fmt.Sprintf("%s-%d", id, v), At: t0}
	}
	a1 := audit(statemachine.KindBrand, "b1", 1, statemachine.StateNone, statemachine.Pending)
	a2 := audit(statemachine.KindBrand, "b1", 2, statemachine.Pending, statemachine.Submitted)
	a3 := audit(statemachine.KindCampaign, "c1", 1, statemachine.StateNone, statemachine.Pending)
	item := func(v any) map[string]types.AttributeValue {
		var av map[string]types.AttributeValue
		var err error
		switch v := v.(type) {
		case statemachine.Record:
			av, err = marshalRecord(v)
		case statemachine.AuditEntry:
			av, err = marshalAudit(v)
		}
		if err != nil {
			t.Fatal(err)
		}
		return av
	}
	lease := map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "lease#sweeper"}, "sk": &types.AttributeValueMemberS{Value: "record"},
		"owner": &types.AttributeValueMemberS{Value: "regd-1"},
	}
	rate := map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "rate#registry"}, "sk": &types.AttributeValueMemberS{Value: "record"},
	}
	// Scan order is the table's, not the kinds': the dump sorts.
	pages := [][]map[string]types.AttributeValue{
		{item(campaign), item(a3), lease, item(a2)},
		{rate, item(brand), item(a1)},
	}
	var calls int
	api := &scanAPI{fakeAPI: &fakeAPI{}, scan: func(in *dynamodb.ScanInput) (*dynamodb.ScanOutput, error) {
		if !aws.ToBool(in.ConsistentRead) {
			t.Error("dump reads eventually consistent: a checker could miss the last writes")
		}
		if in.FilterExpression != nil || in.ProjectionExpression != nil {
			t.Errorf("dump filters (%q) or projects (%q): it needs whole items",
				aws.ToString(in.FilterExpression), aws.ToString(in.ProjectionExpression))
		}
		page := calls
		calls++
		if page > 0 && in.ExclusiveStartKey == nil {
			return nil, fmt.Errorf("page %d requested without ExclusiveStartKey", page)
		}
		var last map[string]types.AttributeValue
		if page == 0 {
			last = item(a2)
		}
		return &dynamodb.ScanOutput{Items: pages[page], ScannedCount: int32(len(pages[page])), LastEvaluatedKey: last,
			ConsumedCapacity: &types.ConsumedCapacity{CapacityUnits: aws.Float64(1.5)}}, nil
	}}
	var m Meter
	s, err := New(api, Config{Table: "records", Meter: &m})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Dump(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if want := []statemachine.Record{brand, campaign}; !reflect.DeepEqual(got.Records, want) {
		t.Errorf("records\n %+v\nwant\n %+v", got.Records, want)
	}
	if want := []statemachine.AuditEntry{a1, a2, a3}; !reflect.DeepEqual(got.Audit, want) {
		t.Errorf("audit\n %+v\nwant\n %+v", got.Audit, want)
	}
	if got, want := got.Examined, int64(7); got != want {
		t.Errorf("examined %d, want %d", got, want)
	}
	if got, want := got.ReadUnits, 3.0; got != want {
		t.Errorf("read units %v, want %v", got, want)
	}
	if got, want := m.Snapshot().ByOperation[opDump], (Usage{Requests: 2, ReadUnits: 3}); got != want {
		t.Errorf("metered %+v, want %+v", got, want)
	}
}

func TestDumpErrors(t *testing.T) {
	boom := errors.New("boom")
	broken := map[string]types.AttributeValue{
		"pk": &types.AttributeValueMemberS{Value: "brand#b1"}, "sk": &types.AttributeValueMemberS{Value: "record"},
		"version": &types.AttributeValueMemberS{Value: "not a number"},
	}
	tests := []struct {
		name     string
		scan     func(*dynamodb.ScanInput) (*dynamodb.ScanOutput, error)
		wantBoom bool
	}{
		{"the scan fails", func(*dynamodb.ScanInput) (*dynamodb.ScanOutput, error) { return nil, boom }, true},
		{"a record does not decode", func(*dynamodb.ScanInput) (*dynamodb.ScanOutput, error) {
			return &dynamodb.ScanOutput{Items: []map[string]types.AttributeValue{broken}}, nil
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m Meter
			s, err := New(&scanAPI{fakeAPI: &fakeAPI{}, scan: tt.scan}, Config{Table: "records", Meter: &m})
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Dump(t.Context())
			if err == nil {
				t.Fatal("Dump succeeded")
			}
			if got := errors.Is(err, boom); got != tt.wantBoom {
				t.Errorf("Dump = %v; wraps the SDK's error: %v, want %v", err, got, tt.wantBoom)
			}
			if got, want := m.Snapshot().ByOperation[opDump].Requests, int64(1); got != want {
				t.Errorf("metered %d requests, want %d (failed ones count)", got, want)
			}
		})
	}
}

// TestDumpReadsRecordsAndAuditOnly runs against DynamoDB Local: every record
// and audit item comes back decoded, in order; a lease and a rate limit share
// the table and are left out.
func TestDumpReadsRecordsAndAuditOnly(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b := create(t, f.store, record(statemachine.KindBrand, "b1", "", statemachine.Pending))
	next := b
	next.State = statemachine.Submitted
	b = move(t, f.store, &b, next)
	c := create(t, f.store, record(statemachine.KindCampaign, "c1", "b1", statemachine.Pending))
	n := create(t, f.store, record(statemachine.KindNumber, "+15555550100", "c1", statemachine.Pending))
	lease, err := NewLease(f.api, LeaseConfig{Table: f.set.TableName(), Name: "sweeper"})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := lease.Acquire(t.Context()); err != nil || !ok {
		t.Fatalf("Acquire = %v, %v", ok, err)
	}
	limiter, err := NewLimiter(f.api, LimiterConfig{Table: f.set.TableName()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := limiter.Wait(t.Context(), "registry"); err != nil {
		t.Fatal(err)
	}

	got, err := f.store.Dump(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if want := []statemachine.Record{b, c, n}; !reflect.DeepEqual(got.Records, want) {
		t.Errorf("records\n %+v\nwant\n %+v", got.Records, want)
	}
	type step struct {
		kind     statemachine.Kind
		id       string
		version  int64
		from, to statemachine.State
	}
	var steps []step
	for _, a := range got.Audit {
		steps = append(steps, step{a.Kind, a.RecordID, a.Version, a.From, a.To})
	}
	want := []step{
		{statemachine.KindBrand, "b1", 1, statemachine.StateNone, statemachine.Pending},
		{statemachine.KindBrand, "b1", 2, statemachine.Pending, statemachine.Submitted},
		{statemachine.KindCampaign, "c1", 1, statemachine.StateNone, statemachine.Pending},
		{statemachine.KindNumber, "+15555550100", 1, statemachine.StateNone, statemachine.Pending},
	}
	if !reflect.DeepEqual(steps, want) {
		t.Errorf("audit\n %+v\nwant\n %+v", steps, want)
	}
	// 3 records, 4 audit items, the lease and the rate limit.
	if got, want := got.Examined, int64(9); got != want {
		t.Errorf("examined %d items, want %d", got, want)
	}
	if got.ReadUnits <= 0 {
		t.Errorf("read units %v, want the scan's consumed capacity", got.ReadUnits)
	}
	if got := f.meter.Snapshot().ByOperation[opDump].Requests; got < 1 {
		t.Errorf("metered %d dump requests, want at least 1", got)
	}
}
