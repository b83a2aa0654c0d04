package sqsq

import (
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/tendlc/tendlc/infra/awstest"
	"github.com/tendlc/tendlc/infra/resources"
	"github.com/tendlc/tendlc/statemachine"
)

// A queue with the resource set's attributes takes the largest envelope the code
// accepts, with its attributes, in one batch; one byte more is refused before
// anything is sent.
func TestLargestEnvelopeIntegration(t *testing.T) {
	t.Parallel()
	api := awstest.SQS(t)
	q := resources.Default("").Queues[0]
	url := createQueue(t, api, q.VisibilityTimeout)
	if _, err := api.SetQueueAttributes(t.Context(), &sqs.SetQueueAttributesInput{QueueUrl: aws.String(url),
		Attributes: resources.Queue{VisibilityTimeout: q.VisibilityTimeout, Retention: q.Retention, ReceiveWait: q.ReceiveWait}.Attributes("")}); err != nil {
		t.Fatal(err)
	}
	p, err := NewPublisher(api, map[statemachine.Destination]string{statemachine.ToEvents: url})
	if err != nil {
		t.Fatal(err)
	}
	small, err := envelope(t, "big-1", 0).Encode()
	if err != nil {
		t.Fatal(err)
	}
	largest := envelope(t, "big-1", statemachine.MaxBodyBytes-len(small))
	if err := p.Send(t.Context(), []statemachine.Outgoing{{To: statemachine.ToEvents, Envelope: largest}}); err != nil {
		t.Fatalf("send the largest envelope: %v", err)
	}
	if got := receiveBodies(t, api, url, 1, 10*time.Second); len(got) != 1 || len(got[0]) != statemachine.MaxBodyBytes {
		t.Errorf("received %d bodies, want one of %d bytes", len(got), statemachine.MaxBodyBytes)
	}
	over := envelope(t, "big-2", statemachine.MaxBodyBytes-len(small)+1)
	if err := p.Send(t.Context(), []statemachine.Outgoing{{To: statemachine.ToEvents, Envelope: over}}); !errors.Is(err, statemachine.ErrTooLarge) {
		t.Errorf("send one byte over: %v, want ErrTooLarge", err)
	}
}
