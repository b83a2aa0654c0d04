package dynamo

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
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
// restarts the wait, and two sweepers cannot both make it). The marks and the
// outbox clears make no new version, so it also requires the wait rec saw (a
// MarkAccepted restarts it), no mark rec did not see on a command plan sends
// again, and every outbox entry plan replays; a mark on another command stays. Of
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
		":wassince": number(rec.WaitSince.UnixMilli()),
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
		ConditionExpression:       aws.String("#state = :state AND #version = :was AND #sincems = :wassince" + unmarkedSince(rec, plan, names)),
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

// unmarkedSince returns the conditions (each after an AND) that what the
// writers that make no new version could have changed since rec was read is
// as rec has it: no mark on a command plan sends again that rec saw without
// one (a MarkAccepted also moves the wait, which the caller checks), and
// every outbox entry plan replays still there. A re-drive planned on an older
// read then conflicts, and the next sweep plans on a fresh one.
func unmarkedSince(rec statemachine.Record, plan statemachine.RedrivePlan, names map[string]string) string {
	var b strings.Builder
	for _, to := range slices.Sorted(maps.Keys(plan.Commands)) {
		ref, ok := rec.Commands[to]
		if !ok {
			continue
		}
		n := "#commands.#to_" + string(to) + "."
		names["#commands"], names["#to_"+string(to)] = attrCommands, string(to)
		if ref.AcceptedAt.IsZero() {
			names["#acc"] = attrAcceptedAt
			b.WriteString(" AND attribute_not_exists(" + n + "#acc)")
		}
		if ref.AttemptedAt.IsZero() {
			names["#att"] = attrAttempted
			b.WriteString(" AND attribute_not_exists(" + n + "#att)")
		}
	}
	for i, id := range plan.Replayed {
		p := "#replayed" + strconv.Itoa(i)
		names["#outbox"], names[p] = attrOutbox, id
		b.WriteString(" AND attribute_exists(#outbox." + p + ")")
	}
	return b.String()
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
		n, v := "#to_"+string(to), ":cmd"+strconv.Itoa(i)
		*update += ", #commands." + n + " = " + v
		names[n], values[v] = string(to), av
	}
	return nil
}

func number(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}
