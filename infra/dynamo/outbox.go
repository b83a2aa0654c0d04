package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tendlc/tendlc/statemachine"
)

// ClearOutbox removes the outbox entry of eventID from a record, once its
// messages are sent. It leaves the version as it is: a transition decided on
// a read from before writes only the entries it changed (see Transition), so
// it neither writes the sent entry back nor conflicts with the clear; a
// re-drive that would replay the entry conflicts (see RecordRedrive).
//
// It returns nil without writing when the entry is already gone (or the record
// does not exist), so it is safe to repeat. Other errors are the SDK's, wrapped.
func (s *Store) ClearOutbox(ctx context.Context, kind statemachine.Kind, id, eventID string) error {
	out, err := s.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(s.table),
		Key:                 recordKey(kind, id),
		UpdateExpression:    aws.String("REMOVE #outbox.#event"),
		ConditionExpression: aws.String("attribute_exists(#outbox.#event)"),
		ExpressionAttributeNames: map[string]string{
			"#outbox": attrOutbox, "#event": eventID,
		},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityIndexes,
	})
	if err != nil {
		s.meter.add(opClearOutbox, writes, nil)
		if _, ok := errors.AsType[*types.ConditionalCheckFailedException](err); ok {
			return nil
		}
		return fmt.Errorf("clear outbox %s of %s %s: %w", eventID, kind, id, err)
	}
	s.meter.add(opClearOutbox, writes, one(out.ConsumedCapacity))
	return nil
}
