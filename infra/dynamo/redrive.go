package dynamo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tendlc/tendlc/infra/resources"
	"github.com/tendlc/tendlc/statemachine"
)

// opRecordRedrive is the operation a Meter counts RecordRedrive under.
const opRecordRedrive = "RecordRedrive"

// Record attributes RecordRedrive and the marks name besides those of
// item.go. They must match the dynamodbav tags of recordItem.
const (
	attrRedrives  = "redrives"
	attrChecks    = "checks"
	attrUpdatedAt = "updated_at"
	attrWaitSince = "wait_since"
)

// RecordRedrive counts one sweeper re-drive of rec: it sets the record's
// redrives and checks to plan's, the commands plan sends again, starts its
// wait again at at (wait_since), sets updated_at and increments its version
// (a dispatcher that read the record before then conflicts and re-reads),
// provided the stored record is still the version rec is (so also in the
// same state, with the same counters and wait: a re-drive that counts
// nothing still restarts the wait, and two sweepers cannot both make it). Of
// two sweepers that read the same record, exactly one succeeds: the one that
// re-drives it. It writes no audit entry; the give-up a re-drive may end in
// does, through the state machine.
//
// It returns the record as stored after the update, or a
// *statemachine.ConflictError (errors.Is(err, statemachine.ErrConflict)) when
// the record changed, was re-driven by someone else or does not exist; other
// errors are the SDK's, wrapped.
func (s *Store) RecordRedrive(ctx context.Context, rec statemachine.Record, plan statemachine.RedrivePlan, at time.Time) (statemachine.Record, error) {
	when, err := attributevalue.Marshal(at.UTC()) // as marshalRecord writes times
	if err != nil {
		return statemachine.Record{}, fmt.Errorf("record redrive of %s %s: encode time: %w", rec.Kind, rec.ID, err)
	}
	update := "SET #redrives = :redrives, #checks = :checks, #version = #version + :one, " +
		"#updated = :at, #since = :at, #sincems = :atms"
	names := map[string]string{
		"#redrives": attrRedrives, "#checks": attrChecks, "#version": attrVersion, "#updated": attrUpdatedAt,
		"#since": attrWaitSince, "#sincems": resources.AttrWaitSince, "#state": attrState,
	}
	values := map[string]types.AttributeValue{
		":redrives": number(int64(plan.Redrives)),
		":checks":   number(int64(plan.Checks)),
		":one":      number(1),
		":at":       when,
		":atms":     number(at.UnixMilli()),
		":state":    &types.AttributeValueMemberS{Value: string(rec.State)},
		":was":      number(rec.Version),
	}
	if len(plan.Commands) > 0 {
		cmds := maps.Clone(rec.Commands)
		if cmds == nil {
			cmds = map[statemachine.Destination]statemachine.CommandRef{}
		}
		maps.Copy(cmds, plan.Commands)
		av, err := attributevalue.Marshal(toCommandItems(cmds))
		if err != nil {
			return statemachine.Record{}, fmt.Errorf("record redrive of %s %s: encode commands: %w", rec.Kind, rec.ID, err)
		}
		update += ", #commands = :commands"
		names["#commands"], values[":commands"] = attrCommands, av
	}
	out, err := s.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       recordKey(rec.Kind, rec.ID),
		UpdateExpression:          aws.String(update),
		ConditionExpression:       aws.String("#state = :state AND #version = :was"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		ReturnValues:              types.ReturnValueAllNew,
		ReturnConsumedCapacity:    types.ReturnConsumedCapacityIndexes,
	})
	if err != nil {
		s.meter.add(opRecordRedrive, writes, nil)
		if _, ok := errors.AsType[*types.ConditionalCheckFailedException](err); ok {
			return statemachine.Record{}, &statemachine.ConflictError{
				Kind: rec.Kind, ID: rec.ID, ExpectedState: rec.State, ExpectedVersion: rec.Version,
			}
		}
		return statemachine.Record{}, fmt.Errorf("record redrive of %s %s: %w", rec.Kind, rec.ID, err)
	}
	s.meter.add(opRecordRedrive, writes, one(out.ConsumedCapacity))
	r, err := unmarshalRecord(out.Attributes)
	if err != nil {
		return statemachine.Record{}, fmt.Errorf("record redrive of %s %s: %w", rec.Kind, rec.ID, err)
	}
	return r, nil
}

func number(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}
