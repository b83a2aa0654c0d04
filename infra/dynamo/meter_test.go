package dynamo

import (
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tendlc/tendlc/statemachine"
)

func TestMeterAdd(t *testing.T) {
	tests := []struct {
		name     string
		side     side
		consumed []types.ConsumedCapacity
		want     Usage
	}{
		{"failed request", writes, nil, Usage{Requests: 1}},
		{"total counted as reads", reads, []types.ConsumedCapacity{{CapacityUnits: aws.Float64(0.5)}}, Usage{Requests: 1, ReadUnits: 0.5}},
		{"total counted as writes", writes, []types.ConsumedCapacity{{CapacityUnits: aws.Float64(3)}}, Usage{Requests: 1, WriteUnits: 3}},
		{"split units win over the total", writes, []types.ConsumedCapacity{
			{CapacityUnits: aws.Float64(5), ReadCapacityUnits: aws.Float64(1), WriteCapacityUnits: aws.Float64(4)},
		}, Usage{Requests: 1, ReadUnits: 1, WriteUnits: 4}},
		{"one entry per table", writes, []types.ConsumedCapacity{
			{CapacityUnits: aws.Float64(2)}, {CapacityUnits: aws.Float64(4)},
		}, Usage{Requests: 1, WriteUnits: 6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m Meter
			m.add(opTransition, tt.side, tt.consumed)
			c := m.Snapshot()
			if got := c.ByOperation[opTransition]; got != tt.want {
				t.Errorf("ByOperation[%s] = %+v, want %+v", opTransition, got, tt.want)
			}
			if got := c.Total; got != tt.want {
				t.Errorf("Total = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestMeterConcurrentTotals(t *testing.T) {
	const goroutines, each = 8, 100
	var m Meter
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range each {
				m.add(opGet, reads, one(&types.ConsumedCapacity{CapacityUnits: aws.Float64(0.5)}))
				m.add(opTransition, writes, []types.ConsumedCapacity{{CapacityUnits: aws.Float64(2)}})
			}
		})
	}
	wg.Wait()
	c := m.Snapshot()
	if got, want := c.Total, (Usage{Requests: 2 * goroutines * each, ReadUnits: 0.5 * goroutines * each, WriteUnits: 2 * goroutines * each}); got != want {
		t.Errorf("Total = %+v, want %+v", got, want)
	}
	if got, want := c.ByOperation[opGet].Requests, int64(goroutines*each); got != want {
		t.Errorf("Get requests = %d, want %d", got, want)
	}
}

func TestMeterSnapshotIsACopy(t *testing.T) {
	var m Meter
	m.add(opGet, reads, nil)
	c := m.Snapshot()
	m.add(opGet, reads, nil)
	if got, want := c.ByOperation[opGet].Requests, int64(1); got != want {
		t.Errorf("earlier snapshot changed: requests = %d, want %d", got, want)
	}
}

func TestNilMeterCountsNothing(t *testing.T) {
	var m *Meter
	m.add(opGet, reads, nil)
	if got := m.Snapshot(); got.Total != (Usage{}) || len(got.ByOperation) != 0 {
		t.Errorf("Snapshot = %+v, want empty", got)
	}
}

func TestMeterCountsStoreRequests(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()

	// A settled brand is in neither index; a registering number is in both.
	create(t, f.store, record(statemachine.KindBrand, "b1", "", statemachine.Verified))
	tableOnly := f.meter.Snapshot().ByOperation[opTransition].WriteUnits
	create(t, f.store, record(statemachine.KindNumber, "+15555550100", "c1", statemachine.Registering))
	withIndexes := f.meter.Snapshot().ByOperation[opTransition].WriteUnits - tableOnly
	if tableOnly <= 0 || withIndexes <= tableOnly {
		t.Errorf("transition write units: %v without index entries, %v with two; want 0 < first < second", tableOnly, withIndexes)
	}

	if _, err := f.store.Get(ctx, statemachine.KindBrand, "b1"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.History(ctx, statemachine.KindBrand, "b1"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Children(ctx, statemachine.KindCampaign, "c1"); err != nil {
		t.Fatal(err)
	}
	if err := f.store.ClearOutbox(ctx, statemachine.KindBrand, "b1", "gone"); err != nil {
		t.Fatal(err)
	}

	c := f.meter.Snapshot()
	for op, want := range map[string]int64{opTransition: 2, opGet: 1, opHistory: 1, opChildren: 1, opClearOutbox: 1} {
		if got := c.ByOperation[op].Requests; got != want {
			t.Errorf("%s requests = %d, want %d", op, got, want)
		}
	}
	if c.Total.ReadUnits <= 0 || c.Total.WriteUnits <= 0 {
		t.Errorf("Total = %+v, want read and write units", c.Total)
	}
	for _, op := range []string{opGet, opHistory} {
		if got := c.ByOperation[op].ReadUnits; got <= 0 {
			t.Errorf("%s read units = %v, want > 0", op, got)
		}
	}
	t.Logf("capacity: %+v", c)
}
