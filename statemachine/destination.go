package statemachine

import (
	"slices"
	"time"
)

// Destination names the queue a message is sent to: the events queue that every
// inbound event goes to, or one outbound queue per downstream.
type Destination string

// The destinations. The carrier destinations equal the [Carrier] values.
const (
	ToEvents   Destination = "events"
	ToRegistry Destination = "registry"
	ToATT      Destination = Destination(CarrierATT)
	ToTMobile  Destination = Destination(CarrierTMobile)
	ToVerizon  Destination = Destination(CarrierVerizon)
	ToNumbers  Destination = "numbers"
	// ToTemporal is the bridge's queue: the commands of the steps a replica
	// delegates to a Temporal workflow (regd --delegate), drained by the
	// bridge (regtemporal bridge), not by regd. It is not in Destinations.
	ToTemporal Destination = "temporal"
)

// Destinations lists every destination: the events queue first, then the
// outbound queues.
var Destinations = []Destination{ToEvents, ToRegistry, ToATT, ToTMobile, ToVerizon, ToNumbers}

// Bridges lists the queues that carry commands to another system, which
// drains them: this system provisions them with their dead-letter queues and
// sends to them, and runs no dispatcher for them.
var Bridges = []Destination{ToTemporal}

// Queues lists every queue this system provisions and sends to:
// [Destinations], then [Bridges].
func Queues() []Destination { return slices.Concat(Destinations, Bridges) }

// Outgoing is a message a decision emits: a follow-up event for the events
// queue or a command for a downstream. Its envelope's EventID is derived from
// the causing event, so a re-send after a crash is recognisable as the same
// message.
type Outgoing struct {
	To       Destination   `json:"to"`
	Envelope Envelope      `json:"envelope"`
	Delay    time.Duration `json:"delay,omitempty"` // SQS DelaySeconds, at most 15 minutes
}
