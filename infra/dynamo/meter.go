package dynamo

import (
	"maps"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Operation names a Meter counts under: the Store methods.
const (
	opGet         = "Get"
	opTransition  = "Transition"
	opClearOutbox = "ClearOutbox"
	opHistory     = "History"
	opChildren    = "Children"
)

// Meter totals the requests a Store sends and the capacity units DynamoDB
// reports they consumed, per Store method. Write units include the writes to
// the global secondary indexes. It is safe for concurrent use; its zero value
// is ready to use, and a nil *Meter counts nothing.
type Meter struct {
	mu  sync.Mutex
	ops map[string]Usage
}

// Usage is what a set of requests consumed.
type Usage struct {
	Requests   int64   // requests sent, failed ones included (they report no capacity)
	ReadUnits  float64 // read capacity units
	WriteUnits float64 // write capacity units, table and indexes
}

// Capacity is a copy of a Meter's totals.
type Capacity struct {
	Total Usage
	// ByOperation is keyed by Store method: Get, Transition, ClearOutbox,
	// History, Children.
	ByOperation map[string]Usage
}

// Snapshot returns the totals so far.
func (m *Meter) Snapshot() Capacity {
	if m == nil {
		return Capacity{ByOperation: map[string]Usage{}}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	c := Capacity{ByOperation: maps.Clone(m.ops)}
	if c.ByOperation == nil {
		c.ByOperation = map[string]Usage{}
	}
	for _, u := range m.ops {
		c.Total = c.Total.plus(u)
	}
	return c
}

func (u Usage) plus(v Usage) Usage {
	return Usage{
		Requests:   u.Requests + v.Requests,
		ReadUnits:  u.ReadUnits + v.ReadUnits,
		WriteUnits: u.WriteUnits + v.WriteUnits,
	}
}

// side says which units a request consumes when DynamoDB reports only a total
// (CapacityUnits) without splitting it into read and write units.
type side int

const (
	reads side = iota
	writes
)

// add counts one request of op and the capacity it consumed (nil for a failed
// request).
func (m *Meter) add(op string, s side, consumed []types.ConsumedCapacity) {
	if m == nil {
		return
	}
	u := Usage{Requests: 1}
	for _, c := range consumed {
		switch {
		case c.ReadCapacityUnits != nil || c.WriteCapacityUnits != nil:
			u.ReadUnits += aws.ToFloat64(c.ReadCapacityUnits)
			u.WriteUnits += aws.ToFloat64(c.WriteCapacityUnits)
		case s == reads:
			u.ReadUnits += aws.ToFloat64(c.CapacityUnits)
		default:
			u.WriteUnits += aws.ToFloat64(c.CapacityUnits)
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ops == nil {
		m.ops = make(map[string]Usage)
	}
	m.ops[op] = m.ops[op].plus(u)
}

// one turns the single consumed capacity of an item or query call into the
// list add takes.
func one(c *types.ConsumedCapacity) []types.ConsumedCapacity {
	if c == nil {
		return nil
	}
	return []types.ConsumedCapacity{*c}
}
