package awsclient

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

func TestExplainUnreachableEndpoint(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	c := sqs.New(sqs.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://" + addr),
		Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1})
	_, err = c.GetQueueUrl(context.Background(), &sqs.GetQueueUrlInput{QueueName: aws.String("q")})
	got := Explain(err)
	if msg := got.Error(); !strings.Contains(msg, "cannot reach") || strings.Contains(msg, "\n") || len(msg) > 300 {
		t.Errorf("Explain = %q, want one short line saying the endpoint cannot be reached", msg)
	}
	if !errors.Is(got, err) {
		t.Error("the explained error no longer wraps the SDK error")
	}
}

func TestExplainLeavesOtherErrorsAlone(t *testing.T) {
	e := errors.New("plain")
	if got := Explain(e); got != e {
		t.Errorf("Explain(plain) = %v, want it unchanged", got)
	}
	if Explain(nil) != nil {
		t.Error("Explain(nil) != nil")
	}
}
