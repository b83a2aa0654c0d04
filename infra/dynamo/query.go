package dynamo

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tendlc/tendlc/infra/resources"
	"github.com/tendlc/tendlc/statemachine"
)

// History returns the audit entries of a record in ascending version order,
// read with strong consistency. A record that does not exist has an empty
// history (and no error). Errors are the SDK's, wrapped.
func (s *Store) History(ctx context.Context, kind statemachine.Kind, id string) ([]statemachine.AuditEntry, error) {
	items, err := s.query(ctx, opHistory, &dynamodb.QueryInput{
		TableName:                aws.String(s.table),
		KeyConditionExpression:   aws.String("#pk = :pk AND begins_with(#sk, :audit)"),
		ExpressionAttributeNames: map[string]string{"#pk": resources.AttrPK, "#sk": resources.AttrSK},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":    &types.AttributeValueMemberS{Value: recordPK(kind, id)},
			":audit": &types.AttributeValueMemberS{Value: auditPrefix},
		},
		ConsistentRead:   aws.Bool(true),
		ScanIndexForward: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("history of %s %s: %w", kind, id, err)
	}
	entries := make([]statemachine.AuditEntry, 0, len(items))
	for _, it := range items {
		e, err := unmarshalAudit(it)
		if err != nil {
			return nil, fmt.Errorf("history of %s %s: %w", kind, id, err)
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// Children returns the records whose parent is the given record (a brand's
// campaigns, a campaign's numbers), ordered by kind and id. Each carries only
// its Kind, ID and State: the children index projects nothing else. It reads
// that index, which is eventually consistent: a child written a moment ago
// may be missing, and a child's state may be stale. Get a child for its
// current state or its other fields. Errors are the SDK's, wrapped.
func (s *Store) Children(ctx context.Context, parentKind statemachine.Kind, parentID string) ([]statemachine.Record, error) {
	items, err := s.query(ctx, opChildren, &dynamodb.QueryInput{
		TableName:                aws.String(s.table),
		IndexName:                aws.String(resources.IndexByParent),
		KeyConditionExpression:   aws.String("#parent = :parent"),
		ExpressionAttributeNames: map[string]string{"#parent": resources.AttrParent},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":parent": &types.AttributeValueMemberS{Value: recordPK(parentKind, parentID)},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("children of %s %s: %w", parentKind, parentID, err)
	}
	records := make([]statemachine.Record, 0, len(items))
	for _, it := range items {
		r, err := unmarshalRecord(it)
		if err != nil {
			return nil, fmt.Errorf("children of %s %s: %w", parentKind, parentID, err)
		}
		records = append(records, r)
	}
	return records, nil
}

// query runs in to the last page, metering each page as op.
func (s *Store) query(ctx context.Context, op string, in *dynamodb.QueryInput) ([]map[string]types.AttributeValue, error) {
	in.ReturnConsumedCapacity = types.ReturnConsumedCapacityIndexes
	var items []map[string]types.AttributeValue
	for p := dynamodb.NewQueryPaginator(s.api, in); p.HasMorePages(); {
		out, err := p.NextPage(ctx)
		if err != nil {
			s.meter.add(op, reads, nil)
			return nil, err
		}
		s.meter.add(op, reads, one(out.ConsumedCapacity))
		items = append(items, out.Items...)
	}
	return items, nil
}
