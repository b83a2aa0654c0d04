package dynamo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
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
// same state, with the same counters: a re-drive that counts nothing still
// restarts the wait, and two sweepers cannot both make it). The marks make no
// new version: one set since rec was read stays on the commands plan does not
// send again (a mark that restarted the wait is overtaken by the re-drive's). Of
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
		names["#commands"] = attrCommands
		if err := setCommands(&update, values, names, rec.Commands, plan.Commands); err != nil {
			return statemachine.Record{}, fmt.Errorf("record redrive of %s %s: %w", rec.Kind, rec.ID, err)
		}
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

// setCommands adds the commands sent to update: entry by entry where the
// record has commands already, so that a mark set since the record was read
// (marks make no new version) stays on the commands not sent again; the
// whole map where it has none.
func setCommands(update *string, values map[string]types.AttributeValue, names map[string]string,
	had, sent map[statemachine.Destination]statemachine.CommandRef) error {
	if had == nil {
		av, err := attributevalue.Marshal(toCommandItems(sent))
		if err != nil {
			return fmt.Errorf("encode commands: %w", err)
		}
		*update += ", #commands = :commands"
		values[":commands"] = av
		return nil
	}
	for i, to := range slices.Sorted(maps.Keys(sent)) {
		av, err := attributevalue.Marshal(toCommandItem(sent[to]))
		if err != nil {
			return fmt.Errorf("encode the command to %s: %w", to, err)
		}
		n, v := "#to"+strconv.Itoa(i), ":cmd"+strconv.Itoa(i)
		*update += ", #commands." + n + " = " + v
		names[n], values[v] = string(to), av
	}
	return nil
}

func number(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}
