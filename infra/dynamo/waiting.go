package dynamo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tendlc/tendlc/infra/resources"
	"github.com/tendlc/tendlc/statemachine"
)

// Operation names a Meter counts the searches for stuck records under.
const (
	opStuckQuery = "StuckQuery"
	opStuckScan  = "StuckScan"
)

// QueryStuck finds the records q selects through the sparse waiting index,
// which holds only their keys: one Query per page, keyed on "<kind>#<state>"
// with wait_since_ms at or before the cutoff, oldest first, then a strongly
// consistent BatchGetItem of the records it listed, 100 keys a call. It reads
// only matching items, so its cost follows the number of stuck records, not
// the size of the table.
//
// The index is eventually consistent; the records are read as they are now,
// in the index's order, and one that has moved on since (another state, a
// later wait) or is gone is left out. A found record may still move on before
// the caller acts on it: act with a write conditional on what was read
// ([Store.RecordRedrive]). Examined is DynamoDB's ScannedCount of the index,
// summed over the pages; ReadUnits counts the index and the record reads.
//
// It returns an error when q names no waiting state, and when DynamoDB leaves
// keys unprocessed five times in a row; other errors are the SDK's, wrapped.
// Every request is metered as "StuckQuery".
func (s *Store) QueryStuck(ctx context.Context, q statemachine.StuckQuery) (statemachine.Stuck, error) {
	if err := checkStuck(q); err != nil {
		return statemachine.Stuck{}, err
	}
	in := &dynamodb.QueryInput{
		TableName:                aws.String(s.table),
		IndexName:                aws.String(resources.IndexWaiting),
		KeyConditionExpression:   aws.String("#w = :w AND #t <= :t"),
		ExpressionAttributeNames: map[string]string{"#w": resources.AttrWaiting, "#t": resources.AttrWaitSince},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":w": waitingKey(q),
			":t": cutoffMS(q),
		},
		ScanIndexForward:       aws.Bool(true),
		ReturnConsumedCapacity: types.ReturnConsumedCapacityIndexes,
	}
	var found statemachine.Stuck
	var cost Meter // this search's share, for found.ReadUnits
	var keys []map[string]types.AttributeValue
	for p := dynamodb.NewQueryPaginator(s.api, in); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		if err != nil {
			s.meter.add(opStuckQuery, reads, nil)
			return statemachine.Stuck{}, fmt.Errorf("query stuck %s in %s: %w", q.Kind, q.State, err)
		}
		s.meter.add(opStuckQuery, reads, one(out.ConsumedCapacity))
		cost.add(opStuckQuery, reads, one(out.ConsumedCapacity))
		found.Examined += int64(out.ScannedCount)
		for _, it := range out.Items {
			keys = append(keys, map[string]types.AttributeValue{
				resources.AttrPK: it[resources.AttrPK], resources.AttrSK: it[resources.AttrSK],
			})
		}
	}
	records, err := s.batchGet(ctx, keys, &cost)
	if err != nil {
		return statemachine.Stuck{}, fmt.Errorf("query stuck %s in %s: %w", q.Kind, q.State, err)
	}
	for _, r := range records {
		if r.Kind == q.Kind && r.State == q.State && r.WaitSince.UnixMilli() <= q.Cutoff.UnixMilli() {
			found.Records = append(found.Records, r)
		}
	}
	found.ReadUnits = cost.Snapshot().Total.ReadUnits
	return found, nil
}

// BatchGetItem's limits: the most keys one call takes, and the calls
// batchGet makes for one chunk of keys before it gives up on the ones
// DynamoDB leaves unprocessed (over its 16 MB response limit, or throttled).
const (
	batchGetKeys  = 100
	batchGetTries = 5
)

// batchGet reads the record items of keys with strongly consistent reads, in
// the order of keys; a key with no item is left out. Each call is metered as
// "StuckQuery" and added to cost. Keys DynamoDB leaves unprocessed are asked
// for again after a pause that doubles from 10 ms.
func (s *Store) batchGet(ctx context.Context, keys []map[string]types.AttributeValue, cost *Meter) ([]statemachine.Record, error) {
	byPK := make(map[string]statemachine.Record, len(keys))
	for chunk := range slices.Chunk(keys, batchGetKeys) {
		pending := chunk
		for try := 0; len(pending) > 0; try++ {
			if try == batchGetTries {
				return nil, fmt.Errorf("%d records left unprocessed by %d BatchGetItem calls", len(pending), try)
			}
			if try > 0 {
				if err := sleepCtx(ctx, 10*time.Millisecond<<(try-1)); err != nil {
					return nil, err
				}
			}
			out, err := s.api.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{
				RequestItems:           map[string]types.KeysAndAttributes{s.table: {Keys: pending, ConsistentRead: aws.Bool(true)}},
				ReturnConsumedCapacity: types.ReturnConsumedCapacityIndexes,
			})
			if err != nil {
				s.meter.add(opStuckQuery, reads, nil)
				return nil, err
			}
			s.meter.add(opStuckQuery, reads, out.ConsumedCapacity)
			cost.add(opStuckQuery, reads, out.ConsumedCapacity)
			for _, it := range out.Responses[s.table] {
				r, err := unmarshalRecord(it)
				if err != nil {
					return nil, err
				}
				byPK[recordPK(r.Kind, r.ID)] = r
			}
			pending = out.UnprocessedKeys[s.table].Keys
		}
	}
	records := make([]statemachine.Record, 0, len(byPK))
	for _, k := range keys {
		if pk, ok := k[resources.AttrPK].(*types.AttributeValueMemberS); ok {
			if r, ok := byPK[pk.Value]; ok {
				records = append(records, r)
			}
		}
	}
	return records, nil
}

// ScanStuck finds the records any of qs selects the legacy way: one Scan of
// the whole table, page by page, with a filter on the waiting attribute and
// wait_since_ms. DynamoDB reads, and bills, every item of the table (audit
// items included) before the filter drops the ones that do not match, so its
// cost follows the size of the table.
//
// It returns an error when qs is empty or names a state that is not waiting;
// other errors are the SDK's, wrapped. Every page is metered as "StuckScan".
func (s *Store) ScanStuck(ctx context.Context, qs []statemachine.StuckQuery) (statemachine.Stuck, error) {
	if len(qs) == 0 {
		return statemachine.Stuck{}, errors.New("scan stuck: no states to look for")
	}
	in := &dynamodb.ScanInput{
		TableName:                 aws.String(s.table),
		ExpressionAttributeNames:  map[string]string{"#w": resources.AttrWaiting, "#t": resources.AttrWaitSince},
		ExpressionAttributeValues: map[string]types.AttributeValue{},
		ReturnConsumedCapacity:    types.ReturnConsumedCapacityIndexes,
	}
	var terms []string
	var errs []error
	for i, q := range qs {
		if err := checkStuck(q); err != nil {
			errs = append(errs, err)
			continue
		}
		w, t := ":w"+strconv.Itoa(i), ":t"+strconv.Itoa(i)
		terms = append(terms, fmt.Sprintf("(#w = %s AND #t <= %s)", w, t))
		in.ExpressionAttributeValues[w] = waitingKey(q)
		in.ExpressionAttributeValues[t] = cutoffMS(q)
	}
	if err := errors.Join(errs...); err != nil {
		return statemachine.Stuck{}, fmt.Errorf("scan stuck: %w", err)
	}
	in.FilterExpression = aws.String(strings.Join(terms, " OR "))

	var found statemachine.Stuck
	var cost Meter
	for p := dynamodb.NewScanPaginator(s.api, in); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		if err != nil {
			s.meter.add(opStuckScan, reads, nil)
			return statemachine.Stuck{}, fmt.Errorf("scan stuck: %w", err)
		}
		s.meter.add(opStuckScan, reads, one(out.ConsumedCapacity))
		cost.add(opStuckScan, reads, one(out.ConsumedCapacity))
		if err := addPage(&found, out.Items, out.ScannedCount); err != nil {
			return statemachine.Stuck{}, fmt.Errorf("scan stuck: %w", err)
		}
	}
	found.ReadUnits = cost.Snapshot().Total.ReadUnits
	return found, nil
}

// RecordItem returns the item the store writes for r, waiting and parent
// attributes included. Bulk loaders (the sweeper benchmark seeds its tables
// with BatchWriteItem) use it so that the indexes see their items exactly as
// they see the store's. It returns an error when r does not encode.
func RecordItem(r statemachine.Record) (map[string]types.AttributeValue, error) {
	return marshalRecord(r)
}

// addPage decodes a page of record items into f and counts what DynamoDB
// examined.
func addPage(f *statemachine.Stuck, items []map[string]types.AttributeValue, scanned int32) error {
	f.Examined += int64(scanned)
	for _, it := range items {
		r, err := unmarshalRecord(it)
		if err != nil {
			return err
		}
		f.Records = append(f.Records, r)
	}
	return nil
}

// checkStuck rejects a query for a state the sweeper does not watch: the
// index holds no such records.
func checkStuck(q statemachine.StuckQuery) error {
	if !statemachine.IsWatched(q.Kind, q.State) {
		return fmt.Errorf("%s %s is not a watched state", q.Kind, q.State)
	}
	return nil
}

// waitingKey is the waiting attribute of the records q selects.
func waitingKey(q statemachine.StuckQuery) types.AttributeValue {
	return &types.AttributeValueMemberS{Value: string(q.Kind) + "#" + string(q.State)}
}

// cutoffMS is q's cutoff in the unit of wait_since_ms.
func cutoffMS(q statemachine.StuckQuery) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(q.Cutoff.UnixMilli(), 10)}
}
