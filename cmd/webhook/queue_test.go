package main

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/tendlc/tendlc/infra/awstest"
	"github.com/tendlc/tendlc/infra/resources"
	"github.com/tendlc/tendlc/infra/sqsq"
	"github.com/tendlc/tendlc/statemachine"
)

// Helpers for the tests against the SQS emulator: an events queue of a
// deployment of its own, and what is on it.

// testQueue is an events queue on the emulator.
type testQueue struct {
	api    *sqs.Client
	prefix string // the deployment prefix its name starts with
	url    string
}

// newEventsQueue creates the events queue of a deployment with a prefix of
// its own (resources.Default naming) and deletes it when the test ends.
func newEventsQueue(tb testing.TB) testQueue {
	tb.Helper()
	api := awstest.SQS(tb)
	prefix := awstest.Prefix(tb)
	out, err := api.CreateQueue(tb.Context(), &sqs.CreateQueueInput{
		QueueName: aws.String(resources.Default(prefix).QueueName(string(statemachine.ToEvents))),
	})
	if err != nil {
		tb.Fatal(err)
	}
	q := testQueue{api: api, prefix: prefix, url: aws.ToString(out.QueueUrl)}
	tb.Cleanup(func() {
		if _, err := api.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: aws.String(q.url)}); err != nil {
			tb.Errorf("delete queue: %v", err)
		}
	})
	return q
}

// producer returns the producer the shim sends with.
func (q testQueue) producer(tb testing.TB) *sqsq.Producer {
	tb.Helper()
	p, err := sqsq.NewProducer(q.api, q.url)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// takeOne receives the one message on the queue, deletes it and returns its
// envelope and message attributes. It fails the test if no message arrives
// within 5 s or the message is not a valid envelope.
//
// A received message stays hidden for 1 s only: the SDK sometimes loses the
// response of a ReceiveMessage whose body is larger than a few KiB ("use of
// closed network connection", aws/aws-sdk-go-v2#2737) and retries, and the
// message the lost response carried must come back quickly.
func (q testQueue) takeOne(tb testing.TB) (statemachine.Envelope, map[string]string) {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		out, err := q.api.ReceiveMessage(tb.Context(), &sqs.ReceiveMessageInput{
			QueueUrl:              aws.String(q.url),
			MaxNumberOfMessages:   10,
			WaitTimeSeconds:       1,
			MessageAttributeNames: []string{"All"},
			VisibilityTimeout:     1,
		})
		if err != nil {
			tb.Fatal(err)
		}
		if len(out.Messages) == 0 {
			continue
		}
		if got := len(out.Messages); got != 1 {
			tb.Fatalf("received %d messages, want 1", got)
		}
		m := out.Messages[0]
		if _, err := q.api.DeleteMessage(tb.Context(), &sqs.DeleteMessageInput{QueueUrl: aws.String(q.url), ReceiptHandle: m.ReceiptHandle}); err != nil {
			tb.Fatal(err)
		}
		env, err := statemachine.DecodeEnvelope([]byte(aws.ToString(m.Body)))
		if err != nil {
			tb.Fatalf("message on the queue: %v", err)
		}
		attrs := map[string]string{}
		for name, v := range m.MessageAttributes {
			attrs[name] = aws.ToString(v.StringValue)
		}
		return env, attrs
	}
	tb.Fatalf("no message on the events queue after 5s (%d on it)", awstest.Depth(tb, q.api, q.url))
	return statemachine.Envelope{}, nil
}
