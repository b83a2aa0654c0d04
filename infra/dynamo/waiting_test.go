package dynamo

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tendlc/tendlc/infra/resources"
	"github.com/tendlc/tendlc/statemachine"
)

// scanAPI adds Scan to fakeAPI.
type scanAPI struct {
	*fakeAPI
	scan func(*dynamodb.ScanInput) (*dynamodb.ScanOutput, error)
}

func (f *scanAPI) Scan(_ context.Context, in *dynamodb.ScanInput, _ ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	return f.scan(in)
}

// recordPages returns three pages of two record items each, and the records.
func recordPages(tb testing.TB) ([][]map[string]types.AttributeValue, []statemachine.Record) {
	tb.Helper()
	var pages [][]map[string]types.AttributeValue
	var recs []statemachine.Record
	for page := range 3 {
		var items []map[string]types.AttributeValue
		for i := range 2 {
			r := record(statemachine.KindBrand, fmt.Sprintf("b%d", 2*page+i), "", statemachine.Submitted)
			r.Version = 1
			av, err := marshalRecord(r)
			if err != nil {
				tb.Fatal(err)
			}
			items = append(items, av)
			recs = append(recs, r)
		}
		pages = append(pages, items)
	}
	return pages, recs
}

// lastKey returns the LastEvaluatedKey of page i of pages.
func lastKey(pages [][]map[string]types.AttributeValue, i int) map[string]types.AttributeValue {
	if i == len(pages)-1 {
		return nil
	}
	return pages[i][len(pages[i])-1]
}

// indexCopy is what the KEYS_ONLY waiting index holds of a record item: the
// table's keys and its own.
func indexCopy(item map[string]types.AttributeValue) map[string]types.AttributeValue {
	c := make(map[string]types.AttributeValue)
	for _, k := range []string{resources.AttrPK, resources.AttrSK, resources.AttrWaiting, resources.AttrWaitSince} {
		c[k] = item[k]
	}
	return c
}

// tableAPI answers BatchGetItem from items keyed by pk, checking that each
// call is strongly consistent and within DynamoDB's 100 keys. unprocessed
// says how many of a call's keys it leaves unprocessed (the last ones); it
// records the number of keys of each call.
type tableAPI struct {
	*fakeAPI
	tb          testing.TB
	items       map[string]map[string]types.AttributeValue
	unprocessed func(call int) int
	calls       []int
}

func newTableAPI(tb testing.TB, query func(*dynamodb.QueryInput) (*dynamodb.QueryOutput, error), items ...map[string]types.AttributeValue) *tableAPI {
	f := &tableAPI{tb: tb, items: map[string]map[string]types.AttributeValue{}, unprocessed: func(int) int { return 0 }}
	for _, it := range items {
		f.items[stringAttr(it, resources.AttrPK)] = it
	}
	f.fakeAPI = &fakeAPI{query: query, batchGet: f.batchGetItem}
	return f
}

func (f *tableAPI) batchGetItem(in *dynamodb.BatchGetItemInput) (*dynamodb.BatchGetItemOutput, error) {
	req, ok := in.RequestItems["records"]
	if !ok || len(in.RequestItems) != 1 {
		return nil, fmt.Errorf("request items %v, want the records table only", in.RequestItems)
	}
	if !aws.ToBool(req.ConsistentRead) {
		f.tb.Error("BatchGetItem is not strongly consistent")
	}
	if len(req.Keys) > 100 {
		return nil, fmt.Errorf("%d keys in one BatchGetItem", len(req.Keys))
	}
	skip := min(f.unprocessed(len(f.calls)), len(req.Keys))
	f.calls = append(f.calls, len(req.Keys))
	done, left := req.Keys[:len(req.Keys)-skip], req.Keys[len(req.Keys)-skip:]
	out := &dynamodb.BatchGetItemOutput{
		Responses:        map[string][]map[string]types.AttributeValue{"records": {}},
		ConsumedCapacity: []types.ConsumedCapacity{{TableName: aws.String("records"), CapacityUnits: aws.Float64(float64(len(done)))}},
	}
	// DynamoDB answers in no particular order.
	for _, k := range slices.Backward(done) {
		if len(k) != 2 || stringAttr(k, resources.AttrSK) != skRecord {
			return nil, fmt.Errorf("key %v is not a record's primary key", k)
		}
		if it, ok := f.items[stringAttr(k, resources.AttrPK)]; ok {
			out.Responses["records"] = append(out.Responses["records"], it)
		}
	}
	if len(left) > 0 {
		out.UnprocessedKeys = map[string]types.KeysAndAttributes{"records": {Keys: left, ConsistentRead: aws.Bool(true)}}
	}
	return out, nil
}

// onePage answers a Query with the index copies of items, in one page.
func onePage(items ...map[string]types.AttributeValue) func(*dynamodb.QueryInput) (*dynamodb.QueryOutput, error) {
	return func(*dynamodb.QueryInput) (*dynamodb.QueryOutput, error) {
		out := &dynamodb.QueryOutput{ScannedCount: int32(len(items)), ConsumedCapacity: &types.ConsumedCapacity{CapacityUnits: aws.Float64(0.5)}}
		for _, it := range items {
			out.Items = append(out.Items, indexCopy(it))
		}
		return out, nil
	}
}

func TestQueryStuckReadsEveryPage(t *testing.T) {
	pages, want := recordPages(t)
	cutoff := t0
	var calls int
	query := func(in *dynamodb.QueryInput) (*dynamodb.QueryOutput, error) {
		if got, want := aws.ToString(in.IndexName), resources.IndexWaiting; got != want {
			t.Errorf("index = %q, want %q", got, want)
		}
		if got, want := in.ExpressionAttributeValues[":w"], "brand#SUBMITTED"; stringValue(got) != want {
			t.Errorf(":w = %#v, want %q", got, want)
		}
		if got, want := in.ExpressionAttributeValues[":t"], strconv.FormatInt(cutoff.UnixMilli(), 10); numberValue(got) != want {
			t.Errorf(":t = %#v, want %s", got, want)
		}
		page := calls
		calls++
		if page > 0 && in.ExclusiveStartKey == nil {
			return nil, fmt.Errorf("page %d requested without ExclusiveStartKey", page)
		}
		out, _ := onePage(pages[page]...)(in)
		out.LastEvaluatedKey = lastKey(pages, page)
		return out, nil
	}
	api := newTableAPI(t, query, slices.Concat(pages...)...)
	var m Meter
	s, err := New(api, Config{Table: "records", Meter: &m})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.QueryStuck(t.Context(), statemachine.StuckQuery{Kind: statemachine.KindBrand, State: statemachine.Submitted, Cutoff: cutoff})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Records, want) {
		t.Errorf("records\n %+v\nwant, in the index's order,\n %+v", got.Records, want)
	}
	if got, want := api.calls, []int{6}; !slices.Equal(got, want) {
		t.Errorf("BatchGetItem calls of %v keys, want %v", got, want)
	}
	if got, want := got.Examined, int64(6); got != want {
		t.Errorf("examined %d, want %d", got, want)
	}
	// Three index pages of 0.5 units, six records of 1 unit.
	if got, want := got.ReadUnits, 7.5; got != want {
		t.Errorf("read units %v, want %v", got, want)
	}
	if got, want := m.Snapshot().ByOperation[opStuckQuery], (Usage{Requests: 4, ReadUnits: 7.5}); got != want {
		t.Errorf("metered %+v, want %+v", got, want)
	}
}

// marshalRecords returns the items of rs.
func marshalRecords(tb testing.TB, rs ...statemachine.Record) []map[string]types.AttributeValue {
	tb.Helper()
	var items []map[string]types.AttributeValue
	for _, r := range rs {
		av, err := marshalRecord(r)
		if err != nil {
			tb.Fatal(err)
		}
		items = append(items, av)
	}
	return items
}

// submittedBrands runs QueryStuck for brands in SUBMITTED since cutoff on a
// store over api.
func submittedBrands(tb testing.TB, api API, cutoff time.Time) (statemachine.Stuck, error) {
	tb.Helper()
	s, err := New(api, Config{Table: "records"})
	if err != nil {
		tb.Fatal(err)
	}
	return s.QueryStuck(tb.Context(), statemachine.StuckQuery{Kind: statemachine.KindBrand, State: statemachine.Submitted, Cutoff: cutoff})
}

func TestQueryStuckReadsRecordsInBatches(t *testing.T) {
	var rs []statemachine.Record
	var want []string
	for i := range 250 {
		rs = append(rs, record(statemachine.KindBrand, fmt.Sprintf("b%03d", i), "", statemachine.Submitted))
		want = append(want, rs[i].ID)
	}
	items := marshalRecords(t, rs...)
	api := newTableAPI(t, onePage(items...), items...)
	// The first call of each chunk leaves 10 keys unprocessed.
	api.unprocessed = func(call int) int { return 10 * ((call + 1) % 2) }
	got, err := submittedBrands(t, api, t0)
	if err != nil {
		t.Fatal(err)
	}
	if got := recordIDs(got.Records); !slices.Equal(got, want) {
		t.Errorf("records %v, want %v", got, want)
	}
	if got, want := api.calls, []int{100, 10, 100, 10, 50, 10}; !slices.Equal(got, want) {
		t.Errorf("BatchGetItem calls of %v keys, want %v", got, want)
	}
	if got, want := got.ReadUnits, 0.5+250; got != want {
		t.Errorf("read units %v, want %v", got, want)
	}

	api.calls = nil
	api.unprocessed = func(int) int { return 1 }
	if _, err := submittedBrands(t, api, t0); err == nil {
		t.Error("QueryStuck = nil error, want one for keys DynamoDB never processed")
	}
	if got, want := len(api.calls), 5; got != want {
		t.Errorf("%d BatchGetItem calls for keys left unprocessed every time, want %d", got, want)
	}
}

func TestQueryStuckLeavesOutWhatMovedOn(t *testing.T) {
	cutoff := t0.Add(-24 * time.Hour)
	at := func(id string, state statemachine.State, waitSince time.Time) statemachine.Record {
		r := record(statemachine.KindBrand, id, "", state)
		r.WaitSince = waitSince
		return r
	}
	// What the index listed, and what the table holds now.
	listed := marshalRecords(t,
		at("stuck", statemachine.Submitted, cutoff),
		at("moved", statemachine.Submitted, cutoff.Add(-time.Hour)),
		at("restarted", statemachine.Submitted, cutoff.Add(-time.Hour)),
		at("gone", statemachine.Submitted, cutoff.Add(-time.Hour)),
	)
	now := marshalRecords(t,
		at("stuck", statemachine.Submitted, cutoff),
		at("moved", statemachine.Verified, cutoff.Add(-time.Hour)),
		at("restarted", statemachine.Submitted, cutoff.Add(time.Millisecond)),
	)
	got, err := submittedBrands(t, newTableAPI(t, onePage(listed...), now...), cutoff)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := recordIDs(got.Records), []string{"stuck"}; !slices.Equal(got, want) {
		t.Errorf("records %v, want %v", got, want)
	}
	if got, want := got.Examined, int64(4); got != want {
		t.Errorf("examined %d, want %d", got, want)
	}
}

func TestScanStuckFiltersEveryWaitingState(t *testing.T) {
	pages, want := recordPages(t)
	qs := []statemachine.StuckQuery{
		{Kind: statemachine.KindBrand, State: statemachine.Submitted, Cutoff: t0.Add(-24 * time.Hour)},
		{Kind: statemachine.KindNumber, State: statemachine.Registering, Cutoff: t0.Add(-time.Hour)},
	}
	var calls int
	api := &scanAPI{fakeAPI: &fakeAPI{}, scan: func(in *dynamodb.ScanInput) (*dynamodb.ScanOutput, error) {
		if got, want := aws.ToString(in.FilterExpression), "(#w = :w0 AND #t <= :t0) OR (#w = :w1 AND #t <= :t1)"; got != want {
			t.Errorf("filter %q, want %q", got, want)
		}
		for i, q := range qs {
			if got, want := stringValue(in.ExpressionAttributeValues[fmt.Sprintf(":w%d", i)]), string(q.Kind)+"#"+string(q.State); got != want {
				t.Errorf(":w%d = %q, want %q", i, got, want)
			}
			if got, want := numberValue(in.ExpressionAttributeValues[fmt.Sprintf(":t%d", i)]), strconv.FormatInt(q.Cutoff.UnixMilli(), 10); got != want {
				t.Errorf(":t%d = %s, want %s", i, got, want)
			}
		}
		page := calls
		calls++
		if page > 0 && in.ExclusiveStartKey == nil {
			return nil, fmt.Errorf("page %d requested without ExclusiveStartKey", page)
		}
		// Each page read 100 items; the filter kept two.
		return &dynamodb.ScanOutput{
			Items: pages[page], ScannedCount: 100, Count: int32(len(pages[page])), LastEvaluatedKey: lastKey(pages, page),
			ConsumedCapacity: &types.ConsumedCapacity{CapacityUnits: aws.Float64(12.5)},
		}, nil
	}}
	var m Meter
	s, err := New(api, Config{Table: "records", Meter: &m})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.ScanStuck(t.Context(), qs)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := recordIDs(got.Records), recordIDs(want); !slices.Equal(got, want) {
		t.Errorf("records %v, want %v", got, want)
	}
	if got, want := got.Examined, int64(300); got != want {
		t.Errorf("examined %d, want %d (every item scanned, not only the matches)", got, want)
	}
	if got, want := got.ReadUnits, 37.5; got != want {
		t.Errorf("read units %v, want %v", got, want)
	}
	if got, want := m.Snapshot().ByOperation[opStuckScan], (Usage{Requests: 3, ReadUnits: 37.5}); got != want {
		t.Errorf("metered %+v, want %+v", got, want)
	}
}

func TestStuckRefusesStatesThatAreNotWaiting(t *testing.T) {
	s, err := New(&scanAPI{fakeAPI: &fakeAPI{}}, Config{Table: "records"})
	if err != nil {
		t.Fatal(err)
	}
	verified := statemachine.StuckQuery{Kind: statemachine.KindBrand, State: statemachine.Verified}
	if _, err := s.QueryStuck(t.Context(), verified); err == nil {
		t.Error("QueryStuck(brand VERIFIED) = nil error")
	}
	if _, err := s.ScanStuck(t.Context(), []statemachine.StuckQuery{verified}); err == nil {
		t.Error("ScanStuck(brand VERIFIED) = nil error")
	}
	if _, err := s.ScanStuck(t.Context(), nil); err == nil {
		t.Error("ScanStuck(nothing) = nil error")
	}
}

func TestStuckQueryAndScanFindTheSameRecords(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	now := t0
	at := func(r statemachine.Record, age time.Duration) statemachine.Record {
		r.StateEnteredAt, r.WaitSince = now.Add(-age), now.Add(-age)
		return r
	}
	// A record with everything the sweeper decides on: its commands, an
	// outbox entry not yet cleared, its counters.
	full := at(record(statemachine.KindBrand, "b-stuck", "", statemachine.Submitted), 25*time.Hour)
	full.Commands = map[statemachine.Destination]statemachine.CommandRef{
		statemachine.ToRegistry: {EventID: "cmd-1", SentAt: now.Add(-25 * time.Hour)},
	}
	full.Outbox = map[string][]statemachine.Outgoing{
		"ev-1": {{To: statemachine.ToRegistry, Envelope: statemachine.Envelope{EventID: "cmd-1", EntityID: "b-stuck"}}},
	}
	full.Redrives, full.Checks = 2, 1
	for _, r := range []statemachine.Record{
		full,
		at(record(statemachine.KindBrand, "b-recent", "", statemachine.Submitted), 23*time.Hour),
		at(record(statemachine.KindBrand, "b-done", "", statemachine.Verified), 72*time.Hour),
		at(record(statemachine.KindCampaign, "c-stuck", "b-done", statemachine.CarrierReview), 48*time.Hour),
		at(record(statemachine.KindNumber, "+12025550100", "c-stuck", statemachine.Registering), 3*time.Hour),
	} {
		create(t, f.store, r)
	}
	qs := []statemachine.StuckQuery{
		{Kind: statemachine.KindBrand, State: statemachine.Submitted, Cutoff: now.Add(-24 * time.Hour)},
		{Kind: statemachine.KindCampaign, State: statemachine.CarrierReview, Cutoff: now.Add(-24 * time.Hour)},
		// A shorter threshold for numbers.
		{Kind: statemachine.KindNumber, State: statemachine.Registering, Cutoff: now.Add(-2 * time.Hour)},
		{Kind: statemachine.KindNumber, State: statemachine.Pending, Cutoff: now.Add(-2 * time.Hour)},
	}
	want := []string{"+12025550100", "b-stuck", "c-stuck"}

	var indexed statemachine.Stuck
	eventually(t, func() error {
		indexed = statemachine.Stuck{}
		for _, q := range qs {
			got, err := f.store.QueryStuck(t.Context(), q)
			if err != nil {
				return err
			}
			indexed.Records = append(indexed.Records, got.Records...)
			indexed.Examined += got.Examined
			indexed.ReadUnits += got.ReadUnits
		}
		if got := sortedIDs(indexed.Records); !slices.Equal(got, want) {
			return fmt.Errorf("index found %v, want %v", got, want)
		}
		return nil
	})
	scanned, err := f.store.ScanStuck(t.Context(), qs)
	if err != nil {
		t.Fatal(err)
	}
	if got := sortedIDs(scanned.Records); !slices.Equal(got, want) {
		t.Errorf("scan found %v, want %v", got, want)
	}
	for _, r := range scanned.Records {
		if r.Version != 1 || r.StateEnteredAt.IsZero() {
			t.Errorf("scan returned %s %s with version %d, entered %v: not the stored record", r.Kind, r.ID, r.Version, r.StateEnteredAt)
		}
	}
	// The query reads the records themselves, as the scan does, not their
	// copies in the index.
	byID := make(map[string]statemachine.Record)
	for _, r := range scanned.Records {
		byID[r.ID] = r
	}
	for _, r := range indexed.Records {
		if !reflect.DeepEqual(r, byID[r.ID]) {
			t.Errorf("query returned\n %+v\nthe scan\n %+v", r, byID[r.ID])
		}
	}
	if got := byID["b-stuck"]; !reflect.DeepEqual(got.Commands, full.Commands) || len(got.Outbox["ev-1"]) != 1 ||
		got.Redrives != 2 || got.Checks != 1 {
		t.Errorf("b-stuck read as %+v, want its commands, outbox and counters", got)
	}
	// The index reads only what matches; the scan reads every item: five
	// records and their five audit items.
	if got, want := indexed.Examined, int64(3); got != want {
		t.Errorf("index examined %d items, want %d", got, want)
	}
	if got, want := scanned.Examined, int64(10); got != want {
		t.Errorf("scan examined %d items, want %d", got, want)
	}
	if indexed.ReadUnits <= 0 || scanned.ReadUnits <= 0 {
		t.Errorf("read units: index %v, scan %v; want both reported", indexed.ReadUnits, scanned.ReadUnits)
	}
	ops := f.meter.Snapshot().ByOperation
	if got := ops[opStuckScan].ReadUnits; got != scanned.ReadUnits {
		t.Errorf("meter counted %v read units for the scan, want %v", got, scanned.ReadUnits)
	}
	if got := ops[opStuckQuery].ReadUnits; got != indexed.ReadUnits {
		t.Errorf("meter counted %v read units for the queries, want %v", got, indexed.ReadUnits)
	}
}

func TestRecordItemIsWhatTheStoreWrites(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := record(statemachine.KindCampaign, "c1", "b1", statemachine.InReview)
	stored := create(t, f.store, r)
	item, err := RecordItem(stored)
	if err != nil {
		t.Fatal(err)
	}
	if raw := rawItem(t, f, statemachine.KindCampaign, "c1"); !reflect.DeepEqual(item, raw) {
		t.Errorf("RecordItem =\n %v\nthe store wrote\n %v", item, raw)
	}
}

func recordIDs(rs []statemachine.Record) []string {
	var ids []string
	for _, r := range rs {
		ids = append(ids, r.ID)
	}
	return ids
}

func sortedIDs(rs []statemachine.Record) []string {
	ids := recordIDs(rs)
	slices.Sort(ids)
	return ids
}

func stringValue(av types.AttributeValue) string {
	if s, ok := av.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return fmt.Sprintf("not a string: %#v", av)
}

func numberValue(av types.AttributeValue) string {
	if n, ok := av.(*types.AttributeValueMemberN); ok {
		return n.Value
	}
	return fmt.Sprintf("not a number: %#v", av)
}
