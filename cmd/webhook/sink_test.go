package main

import (
	"errors"
	"net"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/tendlc/tendlc/infra/awsclient"
	"github.com/tendlc/tendlc/infra/sqsq"
	"github.com/tendlc/tendlc/infra/tcr/tcrhook"
	"github.com/tendlc/tendlc/statemachine"
)

// closedPort returns the address of a local TCP port nothing listens on.
func closedPort(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		tb.Fatal(err)
	}
	return addr
}

// A send SQS did not take is tcrhook.ErrUnavailable (the handler answers
// 503 and the sender retries); an envelope the producer refuses is not.
func TestQueueSinkErrors(t *testing.T) {
	// An SQS client for an endpoint where nothing listens, trying once: the
	// SDK's retries would only make the test slower.
	api := awsclient.SQS(aws.Config{Region: "us-east-1", Credentials: aws.AnonymousCredentials{}}, func(o *sqs.Options) {
		o.BaseEndpoint = aws.String("http://" + closedPort(t))
		o.RetryMaxAttempts = 1
	})
	producer, err := sqsq.NewProducer(api, "http://"+closedPort(t)+"/000000000000/tendlc-events")
	if err != nil {
		t.Fatal(err)
	}
	sink := queueSink{producer}
	valid := statemachine.Envelope{Type: statemachine.CampaignReviewApproved, EntityID: "camp-c91e", EventID: "e-1", Actor: "webhook", Payload: []byte(`{}`)}
	if err := sink.Send(t.Context(), valid); !errors.Is(err, tcrhook.ErrUnavailable) {
		t.Errorf("Send to an unreachable queue = %v, want tcrhook.ErrUnavailable", err)
	}
	invalid := valid
	invalid.Type = "campaign.no_such_event"
	if err := sink.Send(t.Context(), invalid); err == nil || errors.Is(err, tcrhook.ErrUnavailable) {
		t.Errorf("Send of an unknown event type = %v, want an error that is not tcrhook.ErrUnavailable", err)
	}
}
