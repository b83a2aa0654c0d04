package handlers

import (
	"fmt"

	"github.com/tendlc/tendlc/statemachine"
)

// DecodeMessage decodes a message's envelope and checks that the message
// attributes that mirror it agree with the body, so that routing and tooling
// that read only attributes never act on a lie.
// It returns the errors of statemachine.DecodeEnvelope, and ErrMalformed for a
// missing or disagreeing attribute.
func DecodeMessage(m *Message) (statemachine.Envelope, error) {
	env, err := statemachine.DecodeEnvelope(m.Body)
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
