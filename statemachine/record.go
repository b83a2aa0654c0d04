package statemachine

import (
	"cmp"
	"encoding/json"
	"time"
)

// MaxApplied bounds [Record.Applied] as a transition writes it: the most
// recent event ids a record remembers for recognising duplicates. Notes
// ([Note]) add theirs past it until the next transition trims the list.
// Older duplicates fall back to the (state, event) disposition, which ignores
// stale events.
const MaxApplied = 32

// NumberStatus is the registration status of one phone number, as the
// campaign record keeps it.
type NumberStatus string

// Number statuses on a campaign record.
const (
	NumberPendingStatus      NumberStatus = "PENDING"
	NumberRegisteredStatus   NumberStatus = "REGISTERED"
	NumberFailedStatus       NumberStatus = "FAILED"
	NumberDeregisteredStatus NumberStatus = "DEREGISTERED"
)

// Record is the stored state of one brand, campaign or number.
type Record struct {
	Kind     Kind   `json:"kind"`
	ID       string `json:"id"`
	ParentID string `json:"parent_id,omitempty"` // the brand of a campaign, the campaign of a number
	// Flow is the flow the record started on (0: FlowV1, a record written
	// before flows were versioned). It never changes.
	Flow Flow `json:"flow,omitempty"`

	State          State     `json:"state"`
	Version        int64     `json:"version"` // 1 after creation; +1 on every write
	CreatedAt      time.Time `json:"created_at"`
	StateEnteredAt time.Time `json:"state_entered_at"`
	UpdatedAt      time.Time `json:"updated_at"`

	// LastMessageID is the envelope event id of the last applied event, and
	// Applied the most recent ones (newest last, at most MaxApplied after a
	// transition; notes append theirs).
	LastMessageID string   `json:"last_message_id,omitempty"`
	Applied       []string `json:"applied,omitempty"`
	// Outbox holds, per applied event id, the messages that event emitted and
	// that are not yet confirmed sent. It is written with the transition and
	// cleared after the sends, so a crash between the two is repaired by the
	// redelivered message.
	Outbox map[string][]Outgoing `json:"outbox,omitempty"`

	CorrelationID string  `json:"correlation_id,omitempty"`
	ExternalID    string  `json:"external_id,omitempty"` // the registry's or carrier's id
	Reason        *Reason `json:"reason,omitempty"`      // why it was rejected, suspended or failed

	Carriers map[Carrier]CarrierStatus `json:"carriers,omitempty"` // campaign: one status per carrier
	Numbers  map[string]NumberStatus   `json:"numbers,omitempty"`  // campaign: one status per number

	// WaitSince is when the record's current wait started: when it entered
	// its state, when a downstream accepted the command it waits on, or the
	// last re-drive, whichever is latest. The sweeper looks at a record once
	// WaitSince is older than its state's threshold, so re-drives are spaced
	// by at least the threshold and a command still queued is not stuck.
	WaitSince time.Time `json:"wait_since"`
	// Redrives counts the sweeper's re-drives in the current state that
	// re-sent something or had nothing to do; Checks those that found the
	// downstream still deciding or recovered answers it had made. Each has
	// its own maximum (statemachine.Limits); both restart in a new state.
	Redrives int `json:"redrives,omitempty"`
	Checks   int `json:"checks,omitempty"`

	// Commands holds, per downstream, the last command the record sent it
	// and what the outbound dispatcher learned of it: the sweeper tells a
	// command still in its queue from one the downstream lost by it.
	Commands map[Destination]CommandRef `json:"commands,omitempty"`

	// Data is the registration payload (BrandRegistration, CampaignRegistration
	// or NumberRegistration), as last submitted.
	Data json.RawMessage `json:"data,omitempty"`
}

// CommandRef is the last command a record sent to one downstream.
type CommandRef struct {
	EventID string    `json:"event_id"` // the command's envelope id: its idempotency key
	SentAt  time.Time `json:"sent_at"`
	// AttemptedAt is when a call with it first failed (a 429, a 5xx, a
	// timeout): it left its queue and is retried, or was dead-lettered.
	AttemptedAt time.Time `json:"attempted_at,omitzero"`
	// AcceptedAt is when the downstream accepted it, for the commands whose
	// acceptance moves no state (a carrier review, a revet, a deregistration).
	AcceptedAt time.Time `json:"accepted_at,omitzero"`
}

// AuditEntry is one line of a record's history, written in the same
// transaction as the change it describes.
type AuditEntry struct {
	Kind     Kind   `json:"kind"`
	RecordID string `json:"record_id"`
	// Version is the record version this change produced; for a note, the
	// version it was written on, which it leaves as it is.
	Version       int64     `json:"version"`
	Note          bool      `json:"note,omitempty"` // written as a Note
	From          State     `json:"from"`
	To            State     `json:"to"`
	Event         EventType `json:"event"`
	MessageID     string    `json:"message_id"` // envelope event id
	At            time.Time `json:"at"`
	Actor         string    `json:"actor,omitempty"`
	CorrelationID string    `json:"correlation_id,omitempty"`
	Reason        *Reason   `json:"reason,omitempty"`
}

// CompareAudit orders the audit entries of one record as they were made: by
// version, a version's own entry before the notes written on it, the notes
// by the time they were decided (by the deciding replica's clock), then by
// message id.
func CompareAudit(a, b AuditEntry) int {
	note := func(e AuditEntry) int {
		if e.Note {
			return 1
		}
		return 0
	}
	return cmp.Or(cmp.Compare(a.Version, b.Version), cmp.Compare(note(a), note(b)), a.At.Compare(b.At),
		cmp.Compare(a.MessageID, b.MessageID))
}
