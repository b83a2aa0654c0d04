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

	"github.com/tendlc/tendlc/infra/resources"
	"github.com/tendlc/tendlc/statemachine"
)

// Operation names a Meter counts the marks under.
const (
	opMarkAccepted  = "MarkAccepted"
	opMarkAttempted = "MarkAttempted"
)

// MarkAccepted records that downstream to accepted command eventID of a
// record whose state does not change on acceptance (a carrier took a
// campaign for review, the registry took a revet request, number
// registration a deregistration): the command's accepted time is set, and
// the record's wait starts again at at, so the sweeper measures the wait from
// the downstream's acceptance rather than from the state entry, and knows the
// command left its queue. It leaves the version as it is: a transition decided
// on a read from before writes only what it changed (see Transition), so it
// keeps the mark unless it sends a new command to to, or moves the record on
// and so starts a new wait; a re-drive planned on a read from before
// conflicts (see RecordRedrive).
//
// It writes only a record the sweeper watches whose command to to is still
// eventID; otherwise (moved on, absent, a newer command sent) it returns nil
// without writing. Other errors are the SDK's, wrapped.
func (s *Store) MarkAccepted(ctx context.Context, kind statemachine.Kind, id string, to statemachine.Destination, eventID string, at time.Time) error {
	return s.mark(ctx, opMarkAccepted, attrAcceptedAt, true, kind, id, to, eventID, at,
		"SET #commands.#to.#mark = :at, #since = :at, #sincems = :atms",
		"attribute_exists(#waiting)")
}

// MarkAttempted records that a call with command eventID to downstream to
// failed (a 429, a 5xx, a timeout): the command left its queue and is
// retried, or will be dead-lettered. Only the first failure is written. The
// sweeper then sends a command the downstream has no record of again, as it
// was, instead of waiting for it to come out of the queue. It leaves the
// version as it is, like MarkAccepted.
//
// It returns nil without writing when the record's command to to is not
// eventID, or a failure was recorded already. Other errors are the SDK's,
// wrapped.
func (s *Store) MarkAttempted(ctx context.Context, kind statemachine.Kind, id string, to statemachine.Destination, eventID string, at time.Time) error {
	return s.mark(ctx, opMarkAttempted, attrAttempted, false, kind, id, to, eventID, at,
		"SET #commands.#to.#mark = :at",
		"attribute_not_exists(#commands.#to.#mark)")
}

// mark sets the time attribute mark of the record's command to to, if it is
// eventID and cond holds; with wait, update restarts the record's wait too.
func (s *Store) mark(ctx context.Context, op, mark string, wait bool, kind statemachine.Kind, id string,
	to statemachine.Destination, eventID string, at time.Time, update, cond string) error {
	when, err := attributevalue.Marshal(at.UTC())
	if err != nil {
		return fmt.Errorf("%s %s %s: encode time: %w", op, kind, id, err)
	}
	names := map[string]string{
		"#commands": attrCommands, "#to": string(to), "#eid": attrEventID, "#mark": mark,
	}
	values := map[string]types.AttributeValue{
		":at": when, ":id": &types.AttributeValueMemberS{Value: eventID},
	}
	if wait {
		names["#since"], names["#sincems"], names["#waiting"] = attrWaitSince, resources.AttrWaitSince, resources.AttrWaiting
		values[":atms"] = number(at.UnixMilli())
	}
	out, err := s.api.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(s.table),
		Key:                       recordKey(kind, id),
		UpdateExpression:          aws.String(update),
		ConditionExpression:       aws.String("#commands.#to.#eid = :id AND " + cond),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		ReturnConsumedCapacity:    types.ReturnConsumedCapacityIndexes,
	})
	if err != nil {
		s.meter.add(op, writes, nil)
		if _, ok := errors.AsType[*types.ConditionalCheckFailedException](err); ok {
			return nil
		}
		return fmt.Errorf("%s %s %s: %w", op, kind, id, err)
	}
	s.meter.add(op, writes, one(out.ConsumedCapacity))
	return nil
}
