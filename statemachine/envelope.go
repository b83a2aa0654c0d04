package statemachine

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"time"
)

// SchemaVersion is the envelope schema version this code writes and reads.
const SchemaVersion = 1

// MaxMessageBytes is the largest message the queues take, body and message
// attributes together: SQS's maximum, 1 MiB. infra/resources provisions every
// queue with it (MaximumMessageSize), so this is the one truth for both.
const MaxMessageBytes = 1 << 20

// MaxBodyBytes caps an encoded envelope: MaxMessageBytes less 64 KiB for the
// message attributes, whose names, types and values SQS counts too (the
// envelope's own, a producer's, the retry state and a dead letter's facts).
const MaxBodyBytes = MaxMessageBytes - 64*1024

// Message attribute names that mirror envelope fields, so that routing, logs and
// the dead-letter tooling can read them without decoding the body.
const (
	AttrEventType     = "event_type"
	AttrSchemaVersion = "schema_version"
	AttrEventID       = "event_id"
	AttrEntityID      = "entity_id"
	AttrCorrelationID = "correlation_id"
)

// Envelope is the versioned wrapper of every message on every queue: events on
// the events queue and commands on the outbound queues alike.
type Envelope struct {
	Type          EventType       `json:"type"`
	SchemaVersion int             `json:"schema_version"`
	EventID       string          `json:"event_id"`
	EntityID      string          `json:"entity_id"`
	OccurredAt    time.Time       `json:"occurred_at"`
	CorrelationID string          `json:"correlation_id,omitempty"`
	Actor         string          `json:"actor,omitempty"` // who caused it: producer, webhook, dispatcher, sweeper, regd, operator:<name>
	Payload       json.RawMessage `json:"payload,omitempty"`
}

// Errors returned by [DecodeEnvelope] and [Envelope.Validate]. They are
// permanent: retrying the same bytes gives the same answer. (ErrNewer, the
// other error they return, is not: a newer build reads those bytes.)
var (
	ErrMalformed    = errors.New("malformed envelope")
	ErrUnknownEvent = errors.New("unknown event type")
	ErrTooLarge     = errors.New("envelope too large")
)

// Completed returns e with what a producer leaves out filled in: an empty
// EventID with id, an empty CorrelationID with the EventID (the event starts
// a new chain), a zero SchemaVersion with [SchemaVersion] and a zero
// OccurredAt with now.
func (e Envelope) Completed(id string, now time.Time) Envelope {
	e.EventID = cmp.Or(e.EventID, id)
	e.CorrelationID = cmp.Or(e.CorrelationID, e.EventID)
	e.SchemaVersion = cmp.Or(e.SchemaVersion, SchemaVersion)
	if e.OccurredAt.IsZero() {
		e.OccurredAt = now
	}
	return e
}

// Attributes returns the message attributes that mirror the envelope.
func (e Envelope) Attributes() map[string]string {
	return map[string]string{
		AttrEventType:     string(e.Type),
		AttrSchemaVersion: fmt.Sprint(e.SchemaVersion),
		AttrEventID:       e.EventID,
		AttrEntityID:      e.EntityID,
		AttrCorrelationID: e.CorrelationID,
	}
}

// Encode validates e and returns its JSON form.
// It returns the errors of [Envelope.Validate] and ErrTooLarge.
func (e Envelope) Encode() ([]byte, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	// Without HTML escaping, so that an envelope that decoded within the size
	// cap does not grow past it when encoded again.
	b, err := marshal(e)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(b) > MaxBodyBytes {
		return nil, fmt.Errorf("%w: %d bytes (max %d)", ErrTooLarge, len(b), MaxBodyBytes)
	}
	return b, nil
}

// DecodeEnvelope parses and validates a message body.
//
// It returns errors wrapping ErrTooLarge; ErrMalformed for what is not an
// envelope by any build's rules (invalid JSON, a missing or empty required
// field, a field of the wrong type, an invalid payload); ErrUnknownEvent; or
// a *NewerError (ErrNewer) for an envelope a newer build wrote: a schema
// version above SchemaVersion (its other fields are not judged, a newer
// schema may change them), or, when nothing else is wrong, fields this build
// does not know, in the envelope or its payload. Those are not dropped in
// silence: the consumer defers the message for a newer replica.
func DecodeEnvelope(body []byte) (Envelope, error) {
	if len(body) > MaxBodyBytes {
		return Envelope{}, fmt.Errorf("%w: %d bytes (max %d)", ErrTooLarge, len(body), MaxBodyBytes)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return Envelope{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if fields == nil {
		return Envelope{}, fmt.Errorf("%w: null is not a JSON object", ErrMalformed)
	}
	var head struct {
		SchemaVersion json.RawMessage `json:"schema_version"`
	}
	if err := json.Unmarshal(body, &head); err != nil {
		return Envelope{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	var version int
	if head.SchemaVersion == nil {
		return Envelope{}, fmt.Errorf("%w: schema_version is missing", ErrMalformed)
	}
	if err := json.Unmarshal(head.SchemaVersion, &version); err != nil {
		return Envelope{}, fmt.Errorf("%w: schema_version: %v", ErrMalformed, err)
	}
	if version > SchemaVersion {
		return Envelope{}, &NewerError{Version: version}
	}
	var e Envelope
	if err := json.Unmarshal(body, &e); err != nil {
		return Envelope{}, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if err := e.validate(unknownFields(fields, reflect.TypeFor[Envelope](), "")); err != nil {
		return Envelope{}, err
	}
	return e, nil
}

// Validate checks the envelope fields and the payload of known event and
// command types. It collects every problem, wrapping ErrMalformed or
// ErrUnknownEvent; when there is none, it returns a *NewerError for a higher
// schema version or payload fields this build does not know.
func (e Envelope) Validate() error { return e.validate(nil) }

// validate is Validate for an envelope that came with the unknown fields.
func (e Envelope) validate(unknown []string) error {
	if e.SchemaVersion > SchemaVersion {
		return &NewerError{Version: e.SchemaVersion}
	}
	var errs []error
	if e.SchemaVersion < SchemaVersion {
		errs = append(errs, fmt.Errorf("%w: schema_version %d (this build reads %d)", ErrMalformed, e.SchemaVersion, SchemaVersion))
	}
	if e.EventID == "" {
		errs = append(errs, fmt.Errorf("%w: event_id is empty", ErrMalformed))
	}
	if e.EntityID == "" {
		errs = append(errs, fmt.Errorf("%w: entity_id is empty", ErrMalformed))
	}
	if e.OccurredAt.IsZero() {
		errs = append(errs, fmt.Errorf("%w: occurred_at is missing", ErrMalformed))
	}
	if v, ok := payloadValidators[e.Type]; !ok {
		errs = append(errs, fmt.Errorf("%w: %q", ErrUnknownEvent, e.Type))
	} else if inPayload, err := v(e.Payload); err != nil {
		errs = append(errs, fmt.Errorf("%w: payload of %s: %v", ErrMalformed, e.Type, err))
	} else {
		unknown = slices.Concat(unknown, inPayload)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return &NewerError{Unknown: unknown}
	}
	return nil
}
