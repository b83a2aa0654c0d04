package resources_test

import (
	"strconv"
	"testing"

	"github.com/tendlc/tendlc/infra/resources"
	"github.com/tendlc/tendlc/statemachine"
)

// The queues are provisioned with the message size the envelope cap is
// derived from, so the two cannot drift apart: an envelope the code accepts
// is one every queue takes, with room left for its message attributes.
func TestQueuesTakeTheLargestEnvelope(t *testing.T) {
	for _, q := range resources.Default("t-").Queues {
		if got, want := q.Attributes("arn")["MaximumMessageSize"], strconv.Itoa(statemachine.MaxMessageBytes); got != want {
			t.Errorf("queue %s: MaximumMessageSize = %q, want %s", q.Logical, got, want)
		}
	}
	if got, want := statemachine.MaxMessageBytes, 1<<20; got != want {
		t.Errorf("MaxMessageBytes = %d, want SQS's maximum %d", got, want)
	}
	if room := statemachine.MaxMessageBytes - statemachine.MaxBodyBytes; room < 16*1024 {
		t.Errorf("MaxBodyBytes %d leaves %d bytes for message attributes", statemachine.MaxBodyBytes, room)
	}
}
