package dynamo

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tendlc/tendlc/infra/resources"
	"github.com/tendlc/tendlc/statemachine"
)

// Cancellation reason codes of TransactionCanceledException that mean another
// writer got there first.
const (
	reasonConditionFailed     = "ConditionalCheckFailed"
	reasonTransactionConflict = "TransactionConflict"
)

// Transition writes next and its audit entry in one transaction. prev is the
// record as the caller read it, or nil to create next. The write succeeds only
// if the stored record is still in prev's state and version (for a create:
// only if it does not exist). Transition sets next.Version to prev.Version+1
// (1 on create) and stamps audit with next's kind, id and version; it returns
// next with that version. An update writes only what differs between prev and
// next, so the stored record keeps what the writers that make no new version
// (ClearOutbox, MarkAccepted, MarkAttempted) changed since prev was read,
// unless next changes it too.
//
// When another writer got there first it returns a *statemachine.ConflictError
// (errors.Is(err, statemachine.ErrConflict)) and writes nothing, not even the
// audit entry: re-read and decide again. It returns an error without writing
// when next names no known kind or id, or prev another record; other errors
// are the SDK's, wrapped.
func (s *Store) Transition(ctx context.Context, prev *statemachine.Record, next statemachine.Record, audit statemachine.AuditEntry) (statemachine.Record, error) {
	if err := checkTransition(prev, next); err != nil {
		return statemachine.Record{}, err
	}
	conflict := &statemachine.ConflictError{Kind: next.Kind, ID: next.ID, ExpectedState: statemachine.StateNone}
	next.Version = 1
	if prev != nil {
		next.Version = prev.Version + 1
		conflict.ExpectedState, conflict.ExpectedVersion = prev.State, prev.Version
	}
	audit.Kind, audit.RecordID, audit.Version = next.Kind, next.ID, next.Version

	write, err := s.recordWrite(prev, next)
	if err != nil {
		return statemachine.Record{}, err
	}
	auditAV, err := marshalAudit(audit)
	if err != nil {
		return statemachine.Record{}, err
	}
	switch conflicted, err := s.withAudit(ctx, opTransition, write, auditAV); {
	case conflicted:
		return statemachine.Record{}, conflict
	case err != nil:
		return statemachine.Record{}, fmt.Errorf("transition %s %s to version %d: %w", next.Kind, next.ID, next.Version, err)
	}
	return next, nil
}

// withAudit writes record, a conditional write of a record, and its audit
// item (which must not exist yet) in one transaction, metered under op. It
// reports whether the transaction failed because another writer got there
// first (the record's condition, or a concurrent transaction), or the SDK's
// error.
func (s *Store) withAudit(ctx context.Context, op string, record types.TransactWriteItem, audit map[string]types.AttributeValue) (conflicted bool, err error) {
	out, err := s.api.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		TransactItems: []types.TransactWriteItem{
			record, // first: isConflict reads its cancellation reason
			{Put: &types.Put{
				TableName:                aws.String(s.table),
				Item:                     audit,
				ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
				ExpressionAttributeNames: map[string]string{"#pk": resources.AttrPK},
			}},
		},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityIndexes,
	})
	if err != nil {
		s.meter.add(op, writes, nil)
		return isConflict(err), err
	}
	s.meter.add(op, writes, out.ConsumedCapacity)
	return false, nil
}

// recordWrite is the record's part of a transition: a Put of next that
// requires the record to be absent, or an update from prev to next that
// requires the stored record to be still in prev's state and version, with
// every entry of its carriers and numbers that next does not change as prev
// has it (a note changes an entry without a new version: a decision that did
// not see it is decided again), and writes only what the decision changed
// (see diffUpdate). The attributes the
// other writers change without a new version (outbox entries, the marks on
// commands, the wait a mark restarts) thus keep their stored values unless
// the decision itself changed them.
func (s *Store) recordWrite(prev *statemachine.Record, next statemachine.Record) (types.TransactWriteItem, error) {
	item, err := marshalRecord(next)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	if prev == nil {
		return types.TransactWriteItem{Put: &types.Put{
			TableName:                aws.String(s.table),
			Item:                     item,
			ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
			ExpressionAttributeNames: map[string]string{"#pk": resources.AttrPK},
		}}, nil
	}
	was, err := marshalRecord(*prev)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	u := diffUpdate(was, item)
	cond := u.name(attrState) + " = " + u.value(&types.AttributeValueMemberS{Value: string(prev.State)}) +
		" AND " + u.name(attrVersion) + " = " + u.value(num(prev.Version)) + u.unnoted(was, item)
	return types.TransactWriteItem{Update: &types.Update{
		TableName:                 aws.String(s.table),
		Key:                       recordKey(next.Kind, next.ID),
		UpdateExpression:          aws.String(u.expression()),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  u.names,
		ExpressionAttributeValues: u.values,
	}}, nil
}

// checkTransition rejects a transition that names no record or that changes a
// record's identity.
func checkTransition(prev *statemachine.Record, next statemachine.Record) error {
	var errs []error
	if _, err := statemachine.ParseKind(string(next.Kind)); err != nil {
		errs = append(errs, err)
	}
	if next.ID == "" {
		errs = append(errs, errors.New("record id is empty"))
	}
	if prev != nil && (prev.Kind != next.Kind || prev.ID != next.ID) {
		errs = append(errs, fmt.Errorf("next is %s %s but prev is %s %s", next.Kind, next.ID, prev.Kind, prev.ID))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("transition: %w", err)
	}
	return nil
}

// isConflict reports whether a TransactWriteItems error means a concurrent
// writer: the record's condition failed (the record is the first item), or
// DynamoDB cancelled the transaction because another one was changing the same
// items.
func isConflict(err error) bool {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return false
	}
	for i, r := range tce.CancellationReasons {
		switch aws.ToString(r.Code) {
		case reasonConditionFailed:
			if i == 0 {
				return true
			}
		case reasonTransactionConflict:
			return true
		}
	}
	return false
}
