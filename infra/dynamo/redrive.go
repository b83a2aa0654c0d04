package dynamo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tendlc/tendlc/infra/spec"
	"github.com/tendlc/tendlc/statemachine"
)

// opRecordRedrive is the operation a Meter counts RecordRedrive under.
const opRecordRedrive = "RecordRedrive"

// Record attributes RecordRedrive names besides those of item.go. They must
// match the dynamodbav tags of recordItem.
const (
	attrRedrives  = "redrives"
	attrUpdatedAt = "updated_at"
)

// RecordRedrive counts one sweeper re-drive of rec: it sets the record's
// redrives to rec.Redrives+1, its updated_at to at, and increments its version
// (a dispatcher that read the record before then conflicts and re-reads),
// provided the stored record is still in rec's state, entered it at the same
// time and has the same re-drive count. Of two sweepers that read the same
// record, exactly one succeeds: the one that re-drives it. It writes no audit
// entry; the give-up a re-drive may end in does, through the state machine.
//
// It returns the record as stored after the update, or a
// *statemachine.ConflictError (errors.Is(err, statemachine.ErrConflict)) when
// the record moved on, was re-driven by someone else or does not exist; other
// errors are the SDK's, wrapped.
func (s *Store) RecordRedrive(ctx context.Context, rec statemachine.Record, at time.Time) (statemachine.Record, error) {
	updated, err := attributevalue.Marshal(at.UTC()) // as marshalRecord writes times
	if err != nil {
		return statemachine.Record{}, fmt.Errorf("record redrive of %s %s: encode time: %w", rec.Kind, rec.ID, err)
	}
	count := "#redrives = :count"
	if rec.Redrives == 0 {
		count = "(attribute_not_exists(#redrives) OR #redrives = :count)" // a zero count is not stored
	}
	out, err := s.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(s.table),
		Key:                 recordKey(rec.Kind, rec.ID),
		UpdateExpression:    aws.String("SET #redrives = :next, #version = #version + :one, #updated = :at"),
		ConditionExpression: aws.String("#state = :state AND #entered = :entered AND " + count),
		ExpressionAttributeNames: map[string]string{
			"#redrives": attrRedrives, "#version": attrVersion, "#updated": attrUpdatedAt,
			"#state": attrState, "#entered": spec.AttrStateEntered,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":count":   &types.AttributeValueMemberN{Value: strconv.Itoa(rec.Redrives)},
			":next":    &types.AttributeValueMemberN{Value: strconv.Itoa(rec.Redrives + 1)},
			":one":     &types.AttributeValueMemberN{Value: "1"},
			":at":      updated,
			":state":   &types.AttributeValueMemberS{Value: string(rec.State)},
			":entered": &types.AttributeValueMemberN{Value: strconv.FormatInt(rec.StateEnteredAt.UnixMilli(), 10)},
		},
		ReturnValues:           types.ReturnValueAllNew,
		ReturnConsumedCapacity: types.ReturnConsumedCapacityIndexes,
	})
	if err != nil {
		s.meter.add(opRecordRedrive, writes, nil)
		if _, ok := errors.AsType[*types.ConditionalCheckFailedException](err); ok {
			return statemachine.Record{}, &statemachine.ConflictError{
				Kind: rec.Kind, ID: rec.ID, ExpectedState: rec.State, ExpectedVersion: rec.Version,
			}
		}
		return statemachine.Record{}, fmt.Errorf("record redrive %d of %s %s: %w", rec.Redrives+1, rec.Kind, rec.ID, err)
	}
	s.meter.add(opRecordRedrive, writes, one(out.ConsumedCapacity))
	r, err := unmarshalRecord(out.Attributes)
	if err != nil {
		return statemachine.Record{}, fmt.Errorf("record redrive of %s %s: %w", rec.Kind, rec.ID, err)
	}
	return r, nil
}
