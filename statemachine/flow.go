package statemachine

import "fmt"

// Flow is a version of the registration flow. A record keeps the flow it
// started on for its whole life, so that a deploy that changes the flow
// leaves every registration in flight a defined path; a build knows every
// flow up to the newest, and runs new registrations on the one it is told.
type Flow int

// The flows.
const (
	// FlowV1 is the flow as first built. A record without a flow (written
	// before flows were versioned) is on it.
	FlowV1 Flow = 1
	// FlowV2 adds the registry's review of a campaign's opt-in evidence
	// between the reviewer's approval and the carriers' review
	// (EVIDENCE_REVIEW).
	FlowV2 Flow = 2
)

// Flows lists every flow, oldest first.
var Flows = []Flow{FlowV1, FlowV2}

// ParseFlow returns the flow named s ("v1", "v2"), or an error naming the
// flows.
func ParseFlow(s string) (Flow, error) {
	for _, f := range Flows {
		if f.String() == s {
			return f, nil
		}
	}
	return 0, fmt.Errorf("unknown flow %q (want v1 or v2)", s)
}

// String returns "v1" or "v2".
func (f Flow) String() string { return fmt.Sprintf("v%d", int(f)) }

// OrV1 returns f, or FlowV1 for the zero flow of a record written before
// flows were versioned.
func (f Flow) OrV1() Flow {
	if f == 0 {
		return FlowV1
	}
	return f
}
