package handlers

import (
	"errors"
	"fmt"

	"github.com/tendlc/tendlc/message"
	"github.com/tendlc/tendlc/statemachine"
)

// DecodeMessage decodes a message's envelope and checks that the message
// attributes that mirror it agree with the body, so that routing and tooling
// that read only attributes never act on a lie.
//
// An envelope a newer build wrote (statemachine.ErrNewer: a higher schema
// version, or unknown fields) is a *DeferredError saying so, for instance
// "schema version 2, this build reads 1": during a rolling deploy a newer
// replica takes it on redelivery, and if none does within the deferral budget
// it is dead-lettered with that reason. It returns the other errors of
// statemachine.DecodeEnvelope, and ErrMalformed for a missing or disagreeing
// attribute.
func DecodeMessage(m *message.Message) (statemachine.Envelope, error) {
	env, err := statemachine.DecodeEnvelope(m.Body)
	if newer, ok := errors.AsType[*statemachine.NewerError](err); ok {
		return statemachine.Envelope{}, &message.DeferredError{Reason: newer.Error(), Err: newer}
	}
	if err != nil {
		return statemachine.Envelope{}, err
	}
	for name, want := range map[string]string{
		statemachine.AttrEventType: string(env.Type),
		statemachine.AttrEventID:   env.EventID,
		statemachine.AttrEntityID:  env.EntityID,
	} {
		got, ok := m.Attributes[name]
		if !ok {
			return statemachine.Envelope{}, fmt.Errorf("%w: message attribute %s is missing", statemachine.ErrMalformed, name)
		}
		if got != want {
			return statemachine.Envelope{}, fmt.Errorf("%w: message attribute %s is %q but the body says %q", statemachine.ErrMalformed, name, got, want)
		}
	}
	return env, nil
}
