package dynamo

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tendlc/tendlc/statemachine"
)

const (
	// opNote is the operation a Meter counts Note under.
	opNote = "Note"
	// attrLastMessageID and attrApplied are the record attributes of its
	// last applied message and its applied list; like the
	// statemachine.NoteMap names, they must match recordItem's tags.
	attrLastMessageID = "last_message_id"
	attrApplied       = "applied"
)

// Note writes note n, decided on prev, with its audit entry in one
// transaction: the entry of the record's carriers or numbers, updated_at
// (audit.At), last_message_id (audit.MessageID) and n.ID appended to the
// applied list. It leaves the version as it is (see statemachine.Note), so
// that another note of the same version, another carrier's answer applied at
// the same moment, goes in too. The write succeeds only while n.Holds on the
// stored record, which the condition expresses: prev's state and version,
// n.ID not applied, the entry one of n.From, and one of the entries n.Open
// names not in n.Done. The audit item is stamped with prev's version and
// keyed after that version's own item (NoteSK).
//
// When the condition fails it returns a *statemachine.ConflictError and
// writes nothing: re-read and decide again. Other errors are the SDK's,
// wrapped.
func (s *Store) Note(ctx context.Context, prev statemachine.Record, n statemachine.Note, audit statemachine.AuditEntry) error {
	conflict := &statemachine.ConflictError{Kind: prev.Kind, ID: prev.ID, ExpectedState: prev.State, ExpectedVersion: prev.Version}
	audit.Kind, audit.RecordID, audit.Version, audit.Note = prev.Kind, prev.ID, prev.Version, true
	auditAV, err := marshalAudit(audit)
	if err != nil {
		return err
	}
	at, err := attributevalue.Marshal(audit.At.UTC()) // as marshalRecord writes times
	if err != nil {
		return fmt.Errorf("note on %s %s: encode time: %w", prev.Kind, prev.ID, err)
	}
	id := &types.AttributeValueMemberS{Value: n.ID}
	names := map[string]string{"#state": attrState, "#version": attrVersion, "#map": string(n.Map), "#key": n.Key,
		"#updated": attrUpdatedAt, "#last": attrLastMessageID, "#applied": attrApplied}
	values := map[string]types.AttributeValue{
		":state": &types.AttributeValueMemberS{Value: string(prev.State)}, ":version": num(prev.Version),
		":value": &types.AttributeValueMemberS{Value: n.Value}, ":at": at,
		":last": &types.AttributeValueMemberS{Value: audit.MessageID}, ":id": id,
		":ids": &types.AttributeValueMemberL{Value: []types.AttributeValue{id}}, ":none": &types.AttributeValueMemberL{},
	}
	cond := "#state = :state AND #version = :version AND NOT contains(#applied, :id) AND " +
		noteFrom(n, values) + noteOpen(n, names, values)
	write := types.TransactWriteItem{Update: &types.Update{
		TableName:                 aws.String(s.table),
		Key:                       recordKey(prev.Kind, prev.ID),
		UpdateExpression:          aws.String("SET #map.#key = :value, #updated = :at, #last = :last, #applied = list_append(if_not_exists(#applied, :none), :ids)"),
		ConditionExpression:       aws.String(cond),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	}}
	switch conflicted, err := s.withAudit(ctx, opNote, write, auditAV); {
	case conflicted:
		return conflict
	case err != nil:
		return fmt.Errorf("note on %s %s at version %d: %w", prev.Kind, prev.ID, prev.Version, err)
	}
	return nil
}

// noteFrom is the condition that the entry is one of n.From.
func noteFrom(n statemachine.Note, values map[string]types.AttributeValue) string {
	from := make([]string, len(n.From))
	for i, v := range n.From {
		from[i] = ":from" + strconv.Itoa(i)
		values[from[i]] = &types.AttributeValueMemberS{Value: v}
	}
	return "#map.#key IN (" + strings.Join(from, ", ") + ")"
}

// noteOpen is the condition (after an AND) that one of n.Open is not in
// n.Done, or "" when n.Open is empty.
func noteOpen(n statemachine.Note, names map[string]string, values map[string]types.AttributeValue) string {
	if len(n.Open) == 0 {
		return ""
	}
	done := make([]string, len(n.Done))
	for i, d := range n.Done {
		done[i] = ":done" + strconv.Itoa(i)
		values[done[i]] = &types.AttributeValueMemberS{Value: d}
	}
	open := make([]string, len(n.Open))
	for i, k := range n.Open {
		p := "#open" + strconv.Itoa(i)
		names[p] = k
		open[i] = "NOT (#map." + p + " IN (" + strings.Join(done, ", ") + "))"
	}
	return " AND (" + strings.Join(open, " OR ") + ")"
}
