package flow

import (
	"fmt"

	"github.com/tendlc/tendlc/statemachine"
)

// TaskQueue is the task queue of every workflow of the flow. Each
// downstream's activities run on a task queue of their own
// (ActivityQueue), so that its rate limit is the task queue's.
const TaskQueue = "registrations"

// Names that workers, the webhook sink, regtemporal and the benchmark share.
const (
	// SignalEvent carries one statemachine.Envelope to the workflow of its
	// record: a webhook's answer, translated as for the baseline's events
	// queue, or an operator's (the reviewer's verdict).
	SignalEvent = "event"
	// QueryRecord answers the record as the workflow sees it: a
	// statemachine.Record with its kind, id, parent, state, times, reason,
	// carriers and numbers.
	QueryRecord = "record"
	// AttrState is the keyword search attribute every workflow keeps equal
	// to its record's state, so that progress is one visibility query.
	AttrState = "RegistrationState"
)

// WorkflowID is the id of the workflow of record id of kind k: one workflow
// per record, so that a second start or a signal-with-start finds it.
func WorkflowID(k statemachine.Kind, id string) string { return fmt.Sprintf("%s/%s", k, id) }

// ActivityQueue is the task queue of the calls to downstream d.
func ActivityQueue(d statemachine.Destination) string { return "downstream-" + string(d) }
