package sqsq

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/tendlc/tendlc/statemachine"
)

// Producer puts events on the events queue for systems outside tendlc: the
// API that accepts registrations, webhook receivers, operators' tools.
type Producer struct {
	pub *Publisher
}

// NewProducer returns a producer that sends to the events queue at
// eventsQueueURL. It returns an error if api is nil or the URL is empty.
func NewProducer(api API, eventsQueueURL string) (*Producer, error) {
	pub, err := NewPublisher(api, map[statemachine.Destination]string{statemachine.ToEvents: eventsQueueURL})
	if err != nil {
		return nil, fmt.Errorf("sqsq producer: %w", err)
	}
	return &Producer{pub: pub}, nil
}

// Send sends envs to the events queue. An empty EventID is filled with a
// random UUID, an empty CorrelationID with the EventID (the event starts a
// new chain, which every message, downstream call and audit entry it causes
// carries on), a zero SchemaVersion with [statemachine.SchemaVersion] and a
// zero OccurredAt with the current time. Every envelope is validated first: if
// any is invalid nothing is sent and the error joins every problem (wrapping
// statemachine.ErrMalformed, ErrUnknownEvent, ErrNewer or ErrTooLarge). If some were not sent it returns a *SendError naming them and
// the caller sends them all again; a caller that retries sets EventID itself,
// so that the events queue recognises the duplicates.
func (p *Producer) Send(ctx context.Context, envs ...statemachine.Envelope) error {
	out := make([]statemachine.Outgoing, len(envs))
	for i, e := range envs {
		if e.EventID == "" {
			e.EventID = newUUID()
		}
		out[i] = statemachine.Outgoing{To: statemachine.ToEvents, Envelope: e.Completed(e.EventID, time.Now().UTC())}
	}
	return p.pub.Send(ctx, out)
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails: it crashes the program instead
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
