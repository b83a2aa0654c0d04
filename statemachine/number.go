package statemachine

import "slices"

// outcomeTaken: the number is held by another campaign than the one asking.
const outcomeTaken = ":taken"

// numberHeld are the states of a number that a campaign holds. FAILED is
// one: the number stays with the campaign that asked for it, whose
// resubmission may ask again, until that campaign lets it go
// (DEREGISTERED), as a provider's number inventory keeps a number assigned.
var numberHeld = []State{Pending, Registering, Registered, Failed, Deregistering}

var numberSpec = kindSpec{
	NumberRegister: {
		class: followUp,
		moves: append([]move{{name: string(NumberRegister), src: []State{StateNone, Deregistered}, dst: Pending}},
			heldMoves(string(NumberRegister)+outcomeTaken)...),
		guard: func(d *decider) (string, *verdict) {
			reg := payload[NumberRegistration](d)
			if d.prev != nil && slices.Contains(numberHeld, d.prev.State) {
				if d.prev.ParentID == reg.CampaignID {
					return "", ignoreBecause("stale or duplicate")
				}
				// Another campaign holds it: the asking one can never have
				// it, so it is told at once instead of waiting for the
				// sweeper. The holder's record keeps its state.
				d.send(ToEvents, CampaignNumberSettled, reg.CampaignID,
					NumberSettled{Number: d.next.ID, Status: NumberFailedStatus, Code: CodeNumberTaken})
				return string(NumberRegister) + outcomeTaken, nil
			}
			d.next.Data = d.env.Payload
			d.next.ParentID = reg.CampaignID
			d.next.Reason = nil
			d.send(ToNumbers, CmdRegisterNumber, d.next.ID, reg)
			return string(NumberRegister), nil
		},
	},
	NumberSubmitted: {
		class: answer,
		moves: []move{{name: string(NumberSubmitted), src: []State{Pending}, dst: Registering}},
		guard: func(d *decider) (string, *verdict) {
			d.next.ExternalID = payload[Receipt](d).ExternalID
			return string(NumberSubmitted), nil
		},
	},
	NumberRegistered: {
		class: answer,
		moves: []move{{name: string(NumberRegistered), src: []State{Registering}, dst: Registered}},
		early: []State{Pending}, // the webhook overtook the dispatcher's answer
		guard: func(d *decider) (string, *verdict) {
			d.settle(NumberRegisteredStatus, 0)
			return string(NumberRegistered), nil
		},
	},
	NumberFailed: {
		class: answer,
		// Deregistering: the sweeper gives up on a deregistration nobody answered.
		moves: []move{{name: string(NumberFailed), src: []State{Pending, Registering, Deregistering}, dst: Failed}},
		guard: func(d *decider) (string, *verdict) {
			r := payload[Reason](d)
			d.setReason(r)
			d.settle(NumberFailedStatus, r.Code)
			return string(NumberFailed), nil
		},
	},
	NumberDeregister: {
		class: followUp,
		moves: []move{{name: string(NumberDeregister), src: []State{Registered}, dst: Deregistering}},
		early: []State{Pending, Registering}, // deregister once the registration settled
		guard: func(d *decider) (string, *verdict) {
			d.send(ToNumbers, CmdDeregisterNumber, d.next.ID, stored[NumberRegistration](d))
			return string(NumberDeregister), nil
		},
	},
	NumberDeregistered: {
		class: answer,
		moves: []move{{name: string(NumberDeregistered), src: []State{Deregistering}, dst: Deregistered}},
		guard: always(NumberDeregistered),
	},
}

// heldMoves returns the move named name that leaves each held state for
// itself.
func heldMoves(name string) []move {
	var out []move
	for _, s := range numberHeld {
		out = append(out, move{name: name, src: []State{s}, dst: s})
	}
	return out
}

// settle tells the number's campaign that the number's registration ended.
func (d *decider) settle(s NumberStatus, code int) {
	d.send(ToEvents, CampaignNumberSettled, d.next.ParentID, NumberSettled{Number: d.next.ID, Status: s, Code: code})
}
