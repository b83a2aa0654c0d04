package flow

import (
	"go.temporal.io/sdk/workflow"

	"github.com/tendlc/tendlc/statemachine"
)

// numberOutcomes are the answers of number registration.
var numberOutcomes = []statemachine.EventType{statemachine.NumberRegistered, statemachine.NumberFailed}

// Number is the workflow of one phone number, a child of its campaign's
// workflow, started by its registration reg (a statemachine.NumberRegister
// envelope): it asks number registration for it (PENDING, then REGISTERING
// once the request was accepted) and ends REGISTERED or FAILED with the
// answer's reason, or FAILED with 30901 after its SLA.
func Number(ctx workflow.Context, reg statemachine.Envelope) (statemachine.Record, error) {
	p, err := statemachine.DecodePayload[statemachine.NumberRegistration](reg.Payload)
	if err != nil {
		return statemachine.Record{}, err
	}
	r, err := begin(ctx, statemachine.KindNumber, reg, p.CampaignID)
	if err != nil {
		return statemachine.Record{}, err
	}
	register := func(ctx workflow.Context, n int) error {
		return r.send(ctx, statemachine.ToNumbers, statemachine.CmdRegisterNumber, p, n)
	}
	if err := register(ctx, 0); err != nil {
		return r.failed(ctx, err)
	}
	if err := r.enter(ctx, statemachine.Registering); err != nil {
		return statemachine.Record{}, err
	}
	outcome := ofType(r.rec.ID, numberOutcomes...)
	err = r.await(ctx, wait{
		done: func() bool { _, ok := r.inbox.first(outcome); return ok },
		owed: func() []statemachine.Lookup {
			return []statemachine.Lookup{{To: statemachine.ToNumbers, Kind: statemachine.KindNumber, ID: r.rec.ID}}
		},
		resend: func(ctx workflow.Context, _ statemachine.Lookup, n int) error { return register(ctx, n) },
	})
	if err != nil {
		return r.failed(ctx, err)
	}
	ev, _ := r.inbox.first(outcome)
	r.applied(ev)
	if ev.Type == statemachine.NumberFailed {
		return r.end(ctx, statemachine.Failed, reasonOf(ev))
	}
	return r.end(ctx, statemachine.Registered, nil)
}
