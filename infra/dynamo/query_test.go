package dynamo

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tendlc/tendlc/infra/resources"
	"github.com/tendlc/tendlc/statemachine"
)

func TestHistoryReadsEveryPage(t *testing.T) {
	var want []statemachine.AuditEntry
	var pages [][]map[string]types.AttributeValue
	for page := range 3 {
		var items []map[string]types.AttributeValue
		for i := range 2 {
			e := statemachine.AuditEntry{Kind: statemachine.KindBrand, RecordID: "b1", Version: int64(2*page + i + 1), At: t0}
			av, err := marshalAudit(e)
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, e)
			items = append(items, av)
		}
		pages = append(pages, items)
	}
	var calls int
	api := &fakeAPI{query: func(in *dynamodb.QueryInput) (*dynamodb.QueryOutput, error) {
		if !aws.ToBool(in.ConsistentRead) {
			t.Error("History query is not strongly consistent")
		}
		page := calls
		calls++
		if page > 0 && in.ExclusiveStartKey == nil {
			return nil, fmt.Errorf("page %d requested without ExclusiveStartKey", page)
		}
		out := &dynamodb.QueryOutput{Items: pages[page], ConsumedCapacity: &types.ConsumedCapacity{CapacityUnits: aws.Float64(0.5)}}
		if page < len(pages)-1 {
			out.LastEvaluatedKey = pages[page][len(pages[page])-1]
		}
		return out, nil
	}}
	var m Meter
	s, err := New(api, Config{Table: "records", Meter: &m})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.History(t.Context(), statemachine.KindBrand, "b1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("History =\n %+v\nwant\n %+v", got, want)
	}
	if got, want := m.Snapshot().ByOperation[opHistory], (Usage{Requests: 3, ReadUnits: 1.5}); got != want {
		t.Errorf("metered %+v, want %+v", got, want)
	}
}

func TestHistoryOfAbsentRecordIsEmpty(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	got, err := f.store.History(t.Context(), statemachine.KindBrand, "nope")
	if err != nil || len(got) != 0 {
		t.Errorf("History = %v, %v; want empty, nil", got, err)
	}
}

func TestWaitingIndex(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	older := record(statemachine.KindBrand, "b-old", "", statemachine.Submitted)
	older.StateEnteredAt, older.WaitSince = t0.Add(-72*time.Hour), t0.Add(-48*time.Hour)
	b1 := create(t, f.store, older)
	// Entered long ago, but its downstream accepted its command lately: its
	// wait is measured from the acceptance, so it is not stuck.
	accepted := record(statemachine.KindBrand, "b-new", "", statemachine.Submitted)
	accepted.StateEnteredAt = t0.Add(-72 * time.Hour)
	create(t, f.store, accepted)
	create(t, f.store, record(statemachine.KindBrand, "b-verified", "", statemachine.Verified))
	create(t, f.store, record(statemachine.KindCampaign, "c1", "b-new", statemachine.CarrierReview))

	// What the sweeper asks: brands stuck in SUBMITTED since before a cutoff.
	cutoff := t0.Add(-24 * time.Hour)
	eventually(t, func() error {
		return wantPKs(waitingSince(t, f, "brand#SUBMITTED", time.Time{}), "brand#b-old", "brand#b-new")
	})
	eventually(t, func() error {
		return wantPKs(waitingSince(t, f, "brand#SUBMITTED", cutoff), "brand#b-old")
	})
	eventually(t, func() error {
		return wantPKs(waitingSince(t, f, "campaign#CARRIER_REVIEW", time.Time{}), "campaign#c1")
	})
	if got := rawItem(t, f, statemachine.KindBrand, "b-verified")[resources.AttrWaiting]; got != nil {
		t.Errorf("settled brand has %s = %#v, want none", resources.AttrWaiting, got)
	}

	next := b1
	next.State = statemachine.Verified
	move(t, f.store, &b1, next)
	if got := rawItem(t, f, statemachine.KindBrand, "b-old")[resources.AttrWaiting]; got != nil {
		t.Errorf("brand left SUBMITTED but has %s = %#v", resources.AttrWaiting, got)
	}
	eventually(t, func() error {
		return wantPKs(waitingSince(t, f, "brand#SUBMITTED", time.Time{}), "brand#b-new")
	})
}

func TestChildren(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	create(t, f.store, record(statemachine.KindBrand, "b1", "", statemachine.Verified))
	create(t, f.store, record(statemachine.KindCampaign, "c2", "b1", statemachine.InReview))
	create(t, f.store, record(statemachine.KindCampaign, "c1", "b1", statemachine.Active))
	create(t, f.store, record(statemachine.KindCampaign, "c3", "b2", statemachine.Active))
	create(t, f.store, record(statemachine.KindNumber, "+15555550100", "c1", statemachine.Registered))

	// The children index projects a child's kind, id and state, nothing else.
	child := func(kind statemachine.Kind, id string, state statemachine.State) statemachine.Record {
		return statemachine.Record{Kind: kind, ID: id, State: state}
	}
	tests := []struct {
		name string
		kind statemachine.Kind
		id   string
		want []statemachine.Record
	}{
		{"campaigns of a brand", statemachine.KindBrand, "b1", []statemachine.Record{
			child(statemachine.KindCampaign, "c1", statemachine.Active),
			child(statemachine.KindCampaign, "c2", statemachine.InReview),
		}},
		{"numbers of a campaign", statemachine.KindCampaign, "c1", []statemachine.Record{
			child(statemachine.KindNumber, "+15555550100", statemachine.Registered),
		}},
		{"no children", statemachine.KindCampaign, "c2", []statemachine.Record{}},
		{"kind is part of the parent", statemachine.KindCampaign, "b1", []statemachine.Record{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eventually(t, func() error {
				got, err := f.store.Children(t.Context(), tt.kind, tt.id)
				if err != nil {
					return err
				}
				if !reflect.DeepEqual(got, tt.want) {
					return fmt.Errorf("children =\n %+v\nwant\n %+v", got, tt.want)
				}
				return nil
			})
		})
	}
}

// waitingSince queries the waiting index as the sweeper would: records in a
// waiting state (key "<kind>#<state>") that entered it at or before until
// (zero: any time). It returns their pks in index order.
func waitingSince(tb testing.TB, f fixture, key string, until time.Time) []string {
	tb.Helper()
	in := &dynamodb.QueryInput{
		TableName:                aws.String(f.set.TableName()),
		IndexName:                aws.String(resources.IndexWaiting),
		KeyConditionExpression:   aws.String("#w = :w"),
		ExpressionAttributeNames: map[string]string{"#w": resources.AttrWaiting},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":w": &types.AttributeValueMemberS{Value: key},
		},
	}
	if !until.IsZero() {
		in.KeyConditionExpression = aws.String("#w = :w AND #t <= :t")
		in.ExpressionAttributeNames["#t"] = resources.AttrWaitSince
		in.ExpressionAttributeValues[":t"] = &types.AttributeValueMemberN{Value: fmt.Sprint(until.UnixMilli())}
	}
	out, err := f.api.Query(tb.Context(), in)
	if err != nil {
		tb.Fatal(err)
	}
	var pks []string
	for _, it := range out.Items {
		pks = append(pks, stringAttr(it, resources.AttrPK))
	}
	return pks
}

// wantPKs compares pks in order.
func wantPKs(got []string, want ...string) error {
	if !slices.Equal(got, want) {
		return fmt.Errorf("pks = %v, want %v", got, want)
	}
	return nil
}

// rawItem reads a record item as stored.
func rawItem(tb testing.TB, f fixture, kind statemachine.Kind, id string) map[string]types.AttributeValue {
	tb.Helper()
	out, err := f.api.GetItem(tb.Context(), &dynamodb.GetItemInput{
		TableName: aws.String(f.set.TableName()), Key: recordKey(kind, id), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		tb.Fatal(err)
	}
	if out.Item == nil {
		tb.Fatalf("%s %s not stored", kind, id)
	}
	return out.Item
}

// eventually polls check until it returns nil, failing tb with its last error
// after a deadline: global secondary indexes are eventually consistent.
func eventually(tb testing.TB, check func() error) {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatal(err)
		}
		select {
		case <-tb.Context().Done():
			tb.Fatal(tb.Context().Err())
		case <-tick.C:
		}
	}
}
