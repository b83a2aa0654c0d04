package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

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

// QueryStuck reads the records q selects from the sparse waiting index: one
// Query per page, keyed on "<kind>#<state>" with wait_since_ms at or before
// the cutoff, oldest first. It reads only matching items, so its cost follows
// the number of stuck records, not the size of the table.
//
// The index is eventually consistent: a record that moved on a moment ago may
// still be listed. Act on a found record with a write conditional on what was
// read ([Store.RecordRedrive]). Examined is DynamoDB's ScannedCount, summed
// over the pages. It returns an error when q names no waiting state; other
// errors are the SDK's, wrapped. Every page is metered as "StuckQuery".
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
	for p := dynamodb.NewQueryPaginator(s.api, in); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		if err != nil {
			s.meter.add(opStuckQuery, reads, nil)
			return statemachine.Stuck{}, fmt.Errorf("query stuck %s in %s: %w", q.Kind, q.State, err)
		}
		s.meter.add(opStuckQuery, reads, one(out.ConsumedCapacity))
		cost.add(opStuckQuery, reads, one(out.ConsumedCapacity))
		if err := addPage(&found, out.Items, out.ScannedCount); err != nil {
			return statemachine.Stuck{}, fmt.Errorf("query stuck %s in %s: %w", q.Kind, q.State, err)
		}
	}
	found.ReadUnits = cost.Snapshot().Total.ReadUnits
	return found, nil
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
