package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/tendlc/tendlc/infra/awstest"
	"github.com/tendlc/tendlc/infra/resources"
	"github.com/tendlc/tendlc/statemachine"
)

func TestQueuesShowsDepthsWithoutHidingMessages(t *testing.T) {
	s, _, q := deployment(t)
	events := queueURL(t, q, s, string(statemachine.ToEvents))
	for i, delay := range []int32{0, 0, 0, 900} {
		if _, err := q.SendMessage(t.Context(), &sqs.SendMessageInput{
			QueueUrl: aws.String(events), MessageBody: aws.String(fmt.Sprint("message ", i)), DelaySeconds: delay,
		}); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := q.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(events), MaxNumberOfMessages: 1, VisibilityTimeout: 30,
	}); err != nil || len(out.Messages) != 1 {
		t.Fatalf("receive one message to put it in flight: %v", err)
	}

	if _, err := q.SendMessage(t.Context(), &sqs.SendMessageInput{
		QueueUrl: aws.String(queueURL(t, q, s, resources.DLQ(string(statemachine.ToEvents)))), MessageBody: aws.String("a dead letter"),
	}); err != nil {
		t.Fatal(err)
	}

	// By default, counts only.
	r := run(t, nil, nil, withPrefix(s, "queues", "-o", "json")...)
	if r.code != exitOK {
		t.Fatalf("queues: exit %d: %s", r.code, r.stderr)
	}
	var rep queuesReport
	decodeJSON(t, r.stdout, &rep)
	if got, want := len(rep.Queues), len(s.Queues); got != want {
		t.Fatalf("%d queues, want %d", got, want)
	}
	for i, st := range rep.Queues {
		wantName := string(statemachine.Queues()[i/2])
		if i%2 == 1 {
			wantName = resources.DLQ(wantName)
		}
		if st.Queue != wantName || st.Name != s.QueueName(wantName) || st.DeadLetter != (i%2 == 1) {
			t.Errorf("queue %d is %s (%s, dead letter %v), want %s: each queue, then its dead-letter queue", i, st.Queue, st.Name, st.DeadLetter, wantName)
		}
		if st.Sampled != 0 || st.OldestAgeSeconds != nil {
			t.Errorf("queue %s %+v: sampled without --peek", st.Queue, st)
		}
	}
	if ev := rep.Queues[0]; ev.Visible != 2 || ev.InFlight != 1 || ev.Delayed != 1 {
		t.Errorf("events queue %+v, want 2 visible, 1 in flight, 1 delayed", ev)
	}

	// --peek samples the dead-letter queues only.
	r = run(t, nil, nil, withPrefix(s, "queues", "--peek", "-o", "json")...)
	decodeJSON(t, r.stdout, &rep)
	if ev := rep.Queues[0]; ev.Sampled != 0 || ev.OldestAgeSeconds != nil {
		t.Errorf("--peek: events queue %+v, want counts only", ev)
	}
	if dlq := rep.Queues[1]; dlq.Visible != 1 || dlq.Sampled != 1 || dlq.OldestAgeSeconds == nil || *dlq.OldestAgeSeconds > 60 {
		t.Errorf("--peek: events-dlq %+v, want its dead letter sampled, a moment old", dlq)
	}
	if r.stderr != "" {
		t.Errorf("--peek: stderr %q, want nothing: it spent no receive of a live message", r.stderr)
	}

	// --peek-live samples the live queues too, and says what it cost.
	r = run(t, nil, nil, withPrefix(s, "queues", "--peek-live", "-o", "json")...)
	decodeJSON(t, r.stdout, &rep)
	ev := rep.Queues[0]
	if ev.Visible != 2 || ev.Sampled != 2 {
		t.Errorf("--peek-live: events queue %+v, want 2 visible, both sampled", ev)
	}
	if ev.OldestAgeSeconds == nil || *ev.OldestAgeSeconds < 0 || *ev.OldestAgeSeconds > 60 || ev.OldestSentAt == nil {
		t.Errorf("oldest %v, %v seconds; want the age of a message sent a moment ago", ev.OldestSentAt, ev.OldestAgeSeconds)
	}
	if want := "received 2 messages of live queues, one receive each toward their maxReceiveCount"; !strings.Contains(r.stderr, want) {
		t.Errorf("--peek-live: stderr %q, want %q", r.stderr, want)
	}
	// The sample made the messages it received visible again.
	if visible, inFlight, _ := depth(t, q, events); visible != "2" || inFlight != "1" {
		t.Errorf("after the sample: %s visible, %s in flight; want 2 and 1", visible, inFlight)
	}
}

func TestQueuesMarksAnOutboundBacklog(t *testing.T) {
	s, _, q := deployment(t)
	registry := queueURL(t, q, s, string(statemachine.ToRegistry))
	if _, err := q.SendMessage(t.Context(), &sqs.SendMessageInput{
		QueueUrl: aws.String(registry), MessageBody: aws.String("a queued command"),
	}); err != nil {
		t.Fatal(err)
	}
	// Two hours on, the command is older than the registry states' shortest
	// threshold (1 h in the production policy).
	later := map[string]string{envNow: time.Now().Add(2 * time.Hour).UTC().Format(time.RFC3339)}
	var reg queueStats
	for deadline := time.Now().Add(5 * time.Second); ; {
		r := run(t, nil, later, withPrefix(s, "queues", "--peek-live", "-o", "json")...)
		if r.code != exitOK {
			t.Fatalf("queues: exit %d: %s", r.code, r.stderr)
		}
		var rep queuesReport
		decodeJSON(t, r.stdout, &rep)
		reg = rep.Queues[2]
		if ev := rep.Queues[0]; ev.Backlog || ev.BacklogThresholdSeconds != 0 {
			t.Errorf("events queue %+v: no state waits on it, want no backlog", ev)
		}
		if reg.Backlog || time.Now().After(deadline) {
			break
		}
	}
	if reg.Queue != string(statemachine.ToRegistry) || !reg.Backlog || reg.BacklogThresholdSeconds != 3600 {
		t.Errorf("registry queue %+v, want a backlog over its 1 h threshold", reg)
	}
}

func TestQueuesFailsOnAMissingDeployment(t *testing.T) {
	awstest.Config(t)
	r := run(t, nil, nil, "--prefix", awstest.Prefix(t), "queues")
	if r.code != exitFailure || r.stdout != "" || !strings.Contains(r.stderr, "get URL of queue events") {
		t.Errorf("exit %d, stdout %q, stderr %q; want 1 and the missing queue", r.code, r.stdout, r.stderr)
	}
}

// An operator's read must never move a live message: more runs than the
// queues' maxReceiveCount, with and without --peek, leave a valid event on its
// queue, never received, and nothing in the dead-letter queue.
func TestQueuesNeverMovesALiveMessage(t *testing.T) {
	s, _, q := deployment(t)
	events, dlq := queueURL(t, q, s, string(statemachine.ToEvents)), queueURL(t, q, s, resources.DLQ(string(statemachine.ToEvents)))
	if _, err := q.SendMessage(t.Context(), &sqs.SendMessageInput{
		QueueUrl: aws.String(events), MessageBody: aws.String("a valid event"),
	}); err != nil {
		t.Fatal(err)
	}
	for i := range resources.DefaultMaxReceiveCount + 2 {
		args := []string{"queues", "-o", "json"}
		if i%2 == 1 {
			args = append(args, "--peek")
		}
		r := run(t, nil, nil, withPrefix(s, args...)...)
		if r.code != exitOK {
			t.Fatalf("run %d of queues: exit %d: %s", i+1, r.code, r.stderr)
		}
		var rep queuesReport
		decodeJSON(t, r.stdout, &rep)
		if ev := rep.Queues[0]; ev.Sampled != 0 {
			t.Errorf("run %d of %v sampled %d messages of the events queue, want none", i+1, args, ev.Sampled)
		}
	}
	if visible, inFlight, _ := depth(t, q, dlq); visible != "0" || inFlight != "0" {
		t.Errorf("events-dlq holds %s visible and %s in flight, want nothing", visible, inFlight)
	}
	out, err := q.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(events), MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 30,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameApproximateReceiveCount},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 1 {
		t.Fatalf("%d messages on the events queue, want the one sent", len(out.Messages))
	}
	if got := out.Messages[0].Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)]; got != "1" {
		t.Errorf("receive count %s on the first receive by a consumer, want 1: regctl spent receives", got)
	}
}
