package dynamo

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/tendlc/tendlc/infra/resources"
	"github.com/tendlc/tendlc/statemachine"
)

// Sort keys and the record attributes that expressions name. They must match
// the dynamodbav tags of recordItem.
const (
	skRecord    = "record"
	auditPrefix = "audit#"

	attrState   = "state"
	attrVersion = "version"
	attrOutbox  = "outbox"
)

// parentKinds names the kind of a record's parent: a campaign belongs to a
// brand, a number to a campaign.
var parentKinds = map[statemachine.Kind]statemachine.Kind{
	statemachine.KindCampaign: statemachine.KindBrand,
	statemachine.KindNumber:   statemachine.KindCampaign,
}

// recordItem is a statemachine.Record as stored. Times are RFC3339Nano
// strings in UTC; Waiting and Parent feed the sparse indexes.
type recordItem struct {
	PK string `dynamodbav:"pk"`
	SK string `dynamodbav:"sk"`

	Kind     statemachine.Kind `dynamodbav:"kind"`
	ID       string            `dynamodbav:"id"`
	ParentID string            `dynamodbav:"parent_id,omitempty"`
	Parent   string            `dynamodbav:"parent,omitempty"` // "<parent kind>#<parent id>": the children index
	// Flow is the flow the record started on; absent for v1 (and for the
	// records written before flows were versioned).
	Flow statemachine.Flow `dynamodbav:"flow,omitempty"`

	State          statemachine.State `dynamodbav:"state"`
	Waiting        string             `dynamodbav:"waiting,omitempty"` // "<kind>#<state>" in watched states only
	Version        int64              `dynamodbav:"version"`
	CreatedAt      time.Time          `dynamodbav:"created_at"`
	StateEnteredAt time.Time          `dynamodbav:"state_entered_at"`
	StateEnteredMS int64              `dynamodbav:"state_entered_ms"`
	WaitSince      time.Time          `dynamodbav:"wait_since"`
	WaitSinceMS    int64              `dynamodbav:"wait_since_ms"` // the waiting index's sort key
	UpdatedAt      time.Time          `dynamodbav:"updated_at"`

	LastMessageID string            `dynamodbav:"last_message_id,omitempty"`
	Applied       []string          `dynamodbav:"applied,omitempty"`
	Outbox        map[string]string `dynamodbav:"outbox,omitempty"` // event id -> JSON list of statemachine.Outgoing

	CorrelationID string      `dynamodbav:"correlation_id,omitempty"`
	ExternalID    string      `dynamodbav:"external_id,omitempty"`
	Reason        *reasonItem `dynamodbav:"reason,omitempty"`

	Carriers map[statemachine.Carrier]statemachine.CarrierStatus `dynamodbav:"carriers,omitempty"`
	Numbers  map[string]statemachine.NumberStatus                `dynamodbav:"numbers,omitempty"`
	Redrives int                                                 `dynamodbav:"redrives,omitempty"`
	Checks   int                                                 `dynamodbav:"checks,omitempty"`
	Commands map[statemachine.Destination]commandItem            `dynamodbav:"commands,omitempty"`
	Data     string                                              `dynamodbav:"data,omitempty"` // JSON text, verbatim
}

// commandItem is a statemachine.CommandRef as stored. The outbound
// dispatcher's marks (MarkAttempted, MarkAccepted) set its optional times.
type commandItem struct {
	EventID     string     `dynamodbav:"event_id"`
	SentAt      time.Time  `dynamodbav:"sent_at"`
	AttemptedAt *time.Time `dynamodbav:"attempted_at,omitempty"`
	AcceptedAt  *time.Time `dynamodbav:"accepted_at,omitempty"`
}

// Attribute names of commandItem that expressions name.
const (
	attrCommands   = "commands"
	attrEventID    = "event_id"
	attrAttempted  = "attempted_at"
	attrAcceptedAt = "accepted_at"
)

func toCommandItems(cmds map[statemachine.Destination]statemachine.CommandRef) map[statemachine.Destination]commandItem {
	if cmds == nil {
		return nil
	}
	out := make(map[statemachine.Destination]commandItem, len(cmds))
	for d, c := range cmds {
		out[d] = toCommandItem(c)
	}
	return out
}

func toCommandItem(c statemachine.CommandRef) commandItem {
	it := commandItem{EventID: c.EventID, SentAt: c.SentAt.UTC()}
	if !c.AttemptedAt.IsZero() {
		t := c.AttemptedAt.UTC()
		it.AttemptedAt = &t
	}
	if !c.AcceptedAt.IsZero() {
		t := c.AcceptedAt.UTC()
		it.AcceptedAt = &t
	}
	return it
}

func fromCommandItems(items map[statemachine.Destination]commandItem) map[statemachine.Destination]statemachine.CommandRef {
	if items == nil {
		return nil
	}
	out := make(map[statemachine.Destination]statemachine.CommandRef, len(items))
	for d, it := range items {
		c := statemachine.CommandRef{EventID: it.EventID, SentAt: it.SentAt}
		if it.AttemptedAt != nil {
			c.AttemptedAt = *it.AttemptedAt
		}
		if it.AcceptedAt != nil {
			c.AcceptedAt = *it.AcceptedAt
		}
		out[d] = c
	}
	return out
}

// auditItem is a statemachine.AuditEntry as stored. It carries no waiting or
// parent attribute, so it stays out of both indexes.
type auditItem struct {
	PK string `dynamodbav:"pk"`
	SK string `dynamodbav:"sk"`

	Kind          statemachine.Kind      `dynamodbav:"kind"`
	RecordID      string                 `dynamodbav:"record_id"`
	Version       int64                  `dynamodbav:"version"`
	From          statemachine.State     `dynamodbav:"from"`
	To            statemachine.State     `dynamodbav:"to"`
	Event         statemachine.EventType `dynamodbav:"event"`
	MessageID     string                 `dynamodbav:"message_id,omitempty"`
	At            time.Time              `dynamodbav:"at"`
	Actor         string                 `dynamodbav:"actor,omitempty"`
	CorrelationID string                 `dynamodbav:"correlation_id,omitempty"`
	Reason        *reasonItem            `dynamodbav:"reason,omitempty"`
	Note          bool                   `dynamodbav:"note,omitempty"`
}

// reasonItem is a statemachine.Reason as stored.
type reasonItem struct {
	Code        int    `dynamodbav:"code,omitempty"`
	Description string `dynamodbav:"description,omitempty"`
}

func recordPK(kind statemachine.Kind, id string) string { return string(kind) + "#" + id }

// AuditSK is the sort key of a record's audit item of the given version.
func AuditSK(version int64) string { return fmt.Sprintf("%s%012d", auditPrefix, version) }

// NoteSK is the sort key of the audit item of a note (statemachine.Note)
// written on the given version, decided at at by message id: after the
// version's own item, before the next version's, the notes of a version by
// the time they were decided (by each deciding replica's clock: a carrier's
// review before its approval, unless the clocks disagree by more than the
// time between them). The id is hashed, so the key's length does not depend
// on a producer's ids.
func NoteSK(version int64, at time.Time, id string) string {
	sum := sha256.Sum256([]byte(id))
	var ns int64
	if !at.IsZero() {
		ns = max(at.UnixNano(), 0)
	}
	return fmt.Sprintf("%s#%019d#%s", AuditSK(version), ns, hex.EncodeToString(sum[:8]))
}

// auditSK is the sort key of audit entry a.
func auditSK(a statemachine.AuditEntry) string {
	if a.Note {
		return NoteSK(a.Version, a.At, a.MessageID)
	}
	return AuditSK(a.Version)
}

// recordKey is the primary key of a record item.
func recordKey(kind statemachine.Kind, id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		resources.AttrPK: &types.AttributeValueMemberS{Value: recordPK(kind, id)},
		resources.AttrSK: &types.AttributeValueMemberS{Value: skRecord},
	}
}

func marshalRecord(r statemachine.Record) (map[string]types.AttributeValue, error) {
	it := recordItem{
		PK: recordPK(r.Kind, r.ID), SK: skRecord,
		Kind: r.Kind, ID: r.ID, ParentID: r.ParentID, Flow: r.Flow,
		State: r.State, Version: r.Version,
		CreatedAt: r.CreatedAt.UTC(), StateEnteredAt: r.StateEnteredAt.UTC(),
		StateEnteredMS: r.StateEnteredAt.UnixMilli(), UpdatedAt: r.UpdatedAt.UTC(),
		WaitSince: r.WaitSince.UTC(), WaitSinceMS: r.WaitSince.UnixMilli(),
		LastMessageID: r.LastMessageID, Applied: r.Applied,
		CorrelationID: r.CorrelationID, ExternalID: r.ExternalID, Reason: toReasonItem(r.Reason),
		Carriers: r.Carriers, Numbers: r.Numbers, Redrives: r.Redrives, Checks: r.Checks, Data: string(r.Data),
		Commands: toCommandItems(r.Commands),
	}
	if statemachine.IsWatched(r.Kind, r.State) {
		it.Waiting = string(r.Kind) + "#" + string(r.State)
	}
	if pk, ok := parentKinds[r.Kind]; ok && r.ParentID != "" {
		it.Parent = recordPK(pk, r.ParentID)
	}
	if r.Outbox != nil {
		it.Outbox = make(map[string]string, len(r.Outbox))
		for eventID, out := range r.Outbox {
			b, err := json.Marshal(out)
			if err != nil {
				return nil, fmt.Errorf("encode outbox entry %s: %w", eventID, err)
			}
			it.Outbox[eventID] = string(b)
		}
	}
	av, err := attributevalue.MarshalMap(it)
	if err != nil {
		return nil, fmt.Errorf("encode %s %s: %w", r.Kind, r.ID, err)
	}
	return av, nil
}

func unmarshalRecord(av map[string]types.AttributeValue) (statemachine.Record, error) {
	var it recordItem
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return statemachine.Record{}, fmt.Errorf("decode record item: %w", err)
	}
	r := statemachine.Record{
		Kind: it.Kind, ID: it.ID, ParentID: it.ParentID, Flow: it.Flow,
		State: it.State, Version: it.Version,
		CreatedAt: it.CreatedAt, StateEnteredAt: it.StateEnteredAt, WaitSince: it.WaitSince, UpdatedAt: it.UpdatedAt,
		LastMessageID: it.LastMessageID, Applied: it.Applied,
		CorrelationID: it.CorrelationID, ExternalID: it.ExternalID, Reason: fromReasonItem(it.Reason),
		Carriers: it.Carriers, Numbers: it.Numbers, Redrives: it.Redrives, Checks: it.Checks,
		Commands: fromCommandItems(it.Commands),
	}
	if it.Data != "" {
		r.Data = json.RawMessage(it.Data)
	}
	if it.Outbox != nil {
		r.Outbox = make(map[string][]statemachine.Outgoing, len(it.Outbox))
		for eventID, s := range it.Outbox {
			var out []statemachine.Outgoing
			if err := json.Unmarshal([]byte(s), &out); err != nil {
				return statemachine.Record{}, fmt.Errorf("decode outbox entry %s of %s %s: %w", eventID, it.Kind, it.ID, err)
			}
			r.Outbox[eventID] = out
		}
	}
	return r, nil
}

func marshalAudit(a statemachine.AuditEntry) (map[string]types.AttributeValue, error) {
	av, err := attributevalue.MarshalMap(auditItem{
		PK: recordPK(a.Kind, a.RecordID), SK: auditSK(a),
		Kind: a.Kind, RecordID: a.RecordID, Version: a.Version,
		From: a.From, To: a.To, Event: a.Event, MessageID: a.MessageID, At: a.At.UTC(),
		Actor: a.Actor, CorrelationID: a.CorrelationID, Reason: toReasonItem(a.Reason), Note: a.Note,
	})
	if err != nil {
		return nil, fmt.Errorf("encode audit entry %d of %s %s: %w", a.Version, a.Kind, a.RecordID, err)
	}
	return av, nil
}

func unmarshalAudit(av map[string]types.AttributeValue) (statemachine.AuditEntry, error) {
	var it auditItem
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return statemachine.AuditEntry{}, fmt.Errorf("decode audit item: %w", err)
	}
	return statemachine.AuditEntry{
		Kind: it.Kind, RecordID: it.RecordID, Version: it.Version,
		From: it.From, To: it.To, Event: it.Event, MessageID: it.MessageID, At: it.At,
		Actor: it.Actor, CorrelationID: it.CorrelationID, Reason: fromReasonItem(it.Reason), Note: it.Note,
	}, nil
}

func toReasonItem(r *statemachine.Reason) *reasonItem {
	if r == nil {
		return nil
	}
	return &reasonItem{Code: r.Code, Description: r.Description}
}

func fromReasonItem(r *reasonItem) *statemachine.Reason {
	if r == nil {
		return nil
	}
	return &statemachine.Reason{Code: r.Code, Description: r.Description}
}
