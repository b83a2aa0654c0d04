package main

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/tendlc/tendlc/infra/awstest"
	"github.com/tendlc/tendlc/infra/fault"
	"github.com/tendlc/tendlc/infra/sqsq"
	"github.com/tendlc/tendlc/statemachine"
	"github.com/tendlc/tendlc/temporal/flow"
)

// With dup-send=1 a delegated review's result reaches the legacy events
// queue twice, with the one event id (the state machine applies it once),
// and /metrics counts the duplicate as regd counts its own.
func TestDuplicatedResultEventKeepsItsID(t *testing.T) {
	api := awstest.SQS(t)
	out, err := api.CreateQueue(t.Context(), &sqs.CreateQueueInput{QueueName: aws.String(awstest.Prefix(t) + "events")})
	if err != nil {
		t.Fatal(err)
	}
	url := aws.ToString(out.QueueUrl)
	t.Cleanup(func() { _, _ = api.DeleteQueue(t.Context(), &sqs.DeleteQueueInput{QueueUrl: out.QueueUrl}) })
	cfg, err := sendFaults{spec: "dup-send=1"}.check()
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	faulty, err := withSendFaults(api, cfg, reg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := sqsq.NewProducer(faulty, url)
	if err != nil {
		t.Fatal(err)
	}
	env := flow.GaveUp(flow.DelegatedEvidenceID("c-1", "cmd-1"), "c-1", statemachine.Reason{Code: 30901}, time.Now())
	if err := (&flow.Activities{Events: p}).ReportResult(t.Context(), env); err != nil {
		t.Fatal(err)
	}
	var ids []string
	deadline := time.Now().Add(20 * time.Second)
	for len(ids) < 2 && time.Now().Before(deadline) {
		r, err := api.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range r.Messages {
			got, err := statemachine.DecodeEnvelope([]byte(aws.ToString(m.Body)))
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, got.EventID)
		}
	}
	if len(ids) != 2 || ids[0] != env.EventID || ids[1] != env.EventID {
		t.Errorf("events queue got event ids %v, want %s twice", ids, env.EventID)
	}
	want := `
# HELP tendlc_faults_injected_total Faults the fault layer injected into the AWS clients, by fault (dup-send, fail-send, throttle, ...).
# TYPE tendlc_faults_injected_total counter
tendlc_faults_injected_total{fault="` + fault.DuplicatedSends + `"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "tendlc_faults_injected_total"); err != nil {
		t.Error(err)
	}
}
