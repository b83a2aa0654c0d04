package dynamo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tendlc/tendlc/infra/spec"
	"github.com/tendlc/tendlc/statemachine"
)

// opMarkAccepted is the operation a Meter counts MarkAccepted under.
const opMarkAccepted = "MarkAccepted"

// MarkAccepted records that a downstream accepted a command for a record whose
// state does not change on acceptance (a carrier took a campaign for review,
// the registry took a revet request, number registration a deregistration):
// the record's wait starts again at at, so the sweeper measures the wait from
// the downstream's acceptance rather than from the state entry, and a command
// that sat in its queue does not count as waiting. It increments the version,
// so that a writer that read the record before does not write the old wait
// back.
//
// It writes only a record the sweeper watches whose wait started before at;
// otherwise (moved on, absent, or a later acceptance or re-drive already
// recorded) it returns nil without writing. Other errors are the SDK's,
// wrapped.
func (s *Store) MarkAccepted(ctx context.Context, kind statemachine.Kind, id string, at time.Time) error {
	when, err := attributevalue.Marshal(at.UTC())
	if err != nil {
		return fmt.Errorf("mark %s %s accepted: encode time: %w", kind, id, err)
	}
	out, err := s.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(s.table),
		Key:                 recordKey(kind, id),
		UpdateExpression:    aws.String("SET #since = :at, #sincems = :atms, #version = #version + :one"),
		ConditionExpression: aws.String("attribute_exists(#waiting) AND #sincems < :atms"),
		ExpressionAttributeNames: map[string]string{
			"#since": attrWaitSince, "#sincems": spec.AttrWaitSince, "#waiting": spec.AttrWaiting, "#version": attrVersion,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":at": when, ":atms": number(at.UnixMilli()), ":one": number(1),
		},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityIndexes,
	})
	if err != nil {
		s.meter.add(opMarkAccepted, writes, nil)
		if _, ok := errors.AsType[*types.ConditionalCheckFailedException](err); ok {
			return nil
		}
		return fmt.Errorf("mark %s %s accepted: %w", kind, id, err)
	}
	s.meter.add(opMarkAccepted, writes, one(out.ConsumedCapacity))
	return nil
}
