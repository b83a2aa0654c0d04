package sqsq

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/tendlc/tendlc/infra/awstest"
	"github.com/tendlc/tendlc/infra/resources"
	"github.com/tendlc/tendlc/message"
	"github.com/tendlc/tendlc/statemachine"
)

// Integration tests against the SQS emulator. Each makes its own queues and
// deletes them.

// createQueue creates a queue with the given visibility timeout and returns
// its URL.
func createQueue(tb testing.TB, api *sqs.Client, visibility time.Duration) string {
	tb.Helper()
	out, err := api.CreateQueue(tb.Context(), &sqs.CreateQueueInput{
		QueueName:  aws.String(awstest.Prefix(tb) + "q"),
		Attributes: map[string]string{"VisibilityTimeout": strconv.Itoa(int(visibility / time.Second))},
	})
	if err != nil {
		tb.Fatal(err)
	}
	url := aws.ToString(out.QueueUrl)
	tb.Cleanup(func() {
		if _, err := api.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: aws.String(url)}); err != nil {
			tb.Errorf("delete queue: %v", err)
		}
	})
	return url
}

// sendBodies puts messages with the given bodies on a queue.
func sendBodies(tb testing.TB, api *sqs.Client, url string, bodies ...string) {
	tb.Helper()
	for chunk := range slices.Chunk(bodies, maxBatch) {
		in := &sqs.SendMessageBatchInput{QueueUrl: aws.String(url)}
		for i, b := range chunk {
			in.Entries = append(in.Entries, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(b)})
		}
		out, err := api.SendMessageBatch(tb.Context(), in)
		if err != nil {
			tb.Fatal(err)
		}
		if len(out.Failed) > 0 {
			tb.Fatalf("send failed: %+v", out.Failed)
		}
	}
}

// waitFor polls cond every 100 ms until it holds or timeout passes.
func waitFor(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// receiveBodies receives from url until it has n distinct bodies or timeout
// passes, without deleting them.
func receiveBodies(tb testing.TB, api *sqs.Client, url string, n int, timeout time.Duration) []string {
	tb.Helper()
	seen := map[string]bool{}
	deadline := time.Now().Add(timeout)
	for len(seen) < n && time.Now().Before(deadline) {
		out, err := api.ReceiveMessage(tb.Context(), &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(url), MaxNumberOfMessages: maxBatch, WaitTimeSeconds: 1,
		})
		if err != nil {
			tb.Fatal(err)
		}
		for _, m := range out.Messages {
			seen[aws.ToString(m.Body)] = true
		}
	}
	return slices.Sorted(func(yield func(string) bool) {
		for b := range seen {
			if !yield(b) {
				return
			}
		}
	})
}

func TestProvisionIntegration(t *testing.T) {
	t.Parallel()
	api := awstest.SQS(t)
	s := resources.Default(awstest.Prefix(t))
	t.Cleanup(func() {
		for _, q := range s.Queues {
			out, err := api.GetQueueUrl(context.Background(), &sqs.GetQueueUrlInput{QueueName: aws.String(s.QueueName(q.Logical))})
			if err == nil {
				_, err = api.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: out.QueueUrl})
			}
			if err != nil {
				t.Errorf("delete queue %s: %v", q.Logical, err)
			}
		}
	})
	actions := func(rep Report) map[string]Action {
		m := map[string]Action{}
		for _, r := range rep.Queues {
			m[r.Logical] = r.Action
		}
		return m
	}
	all := func(a Action) map[string]Action {
		m := map[string]Action{}
		for _, q := range s.Queues {
			m[q.Logical] = a
		}
		return m
	}

	first, err := Provision(t.Context(), api, s)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := actions(first), all(Created); !maps.Equal(got, want) {
		t.Errorf("first run: %v, want %v", got, want)
	}
	urls, err := QueueURLs(t.Context(), api, s)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range first.Queues {
		if got, want := r.URL, urls[r.Logical]; got != want {
			t.Errorf("%s: report URL %q, GetQueueUrl %q", r.Logical, got, want)
		}
	}
	attrs, err := api.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(urls["events"]), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameAll},
	})
	if err != nil {
		t.Fatal(err)
	}
	dlq, err := api.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(urls["events-dlq"]), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantPolicy := fmt.Sprintf(`{"deadLetterTargetArn":"%s","maxReceiveCount":"10"}`, dlq.Attributes["QueueArn"])
	if got := attrs.Attributes["RedrivePolicy"]; !sameRedrivePolicy(got, wantPolicy) {
		t.Errorf("events RedrivePolicy %s, want %s", got, wantPolicy)
	}
	visibility := strconv.Itoa(int(resources.DefaultVisibilityTimeout / time.Second))
	if got, want := attrs.Attributes["VisibilityTimeout"], visibility; got != want {
		t.Errorf("events VisibilityTimeout %s, want %s", got, want)
	}

	second, err := Provision(t.Context(), api, s)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := actions(second), all(Unchanged); !maps.Equal(got, want) {
		t.Errorf("second run: %v, want %v", got, want)
	}

	// Drift: one queue changed behind Provision's back, one changed in the resource set.
	if _, err := api.SetQueueAttributes(t.Context(), &sqs.SetQueueAttributesInput{
		QueueUrl: aws.String(urls["events"]), Attributes: map[string]string{"VisibilityTimeout": "30"},
	}); err != nil {
		t.Fatal(err)
	}
	changed := s
	changed.Queues = slices.Clone(s.Queues)
	for i := range changed.Queues {
		if changed.Queues[i].Logical == "registry" {
			changed.Queues[i].MaxReceiveCount = 3
		}
	}
	third, err := Provision(t.Context(), api, changed)
	if err != nil {
		t.Fatal(err)
	}
	want := all(Unchanged)
	want["events"], want["registry"] = Drifted, Drifted
	if got := actions(third); !maps.Equal(got, want) {
		t.Errorf("after drift: %v, want %v", got, want)
	}
	for _, r := range third.Queues {
		switch r.Logical {
		case "events":
			if want := []Diff{{"VisibilityTimeout", visibility, "30"}}; !slices.Equal(r.Diffs, want) {
				t.Errorf("events diffs %+v, want %+v", r.Diffs, want)
			}
		case "registry":
			if len(r.Diffs) != 1 || r.Diffs[0].Attribute != "RedrivePolicy" {
				t.Errorf("registry diffs %+v, want one for RedrivePolicy", r.Diffs)
			}
		}
	}
	after, err := api.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(urls["events"]), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameVisibilityTimeout},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := after.Attributes["VisibilityTimeout"], "30"; got != want {
		t.Errorf("Provision changed a drifted queue: VisibilityTimeout %s, want %s", got, want)
	}
}

func TestConsumerHeartbeatIntegration(t *testing.T) {
	t.Parallel()
	api := awstest.SQS(t)
	const visibility = 2 * time.Second
	url := createQueue(t, api, visibility)
	c, err := NewConsumer(api, ConsumerConfig{
		QueueURL: url, Queue: "q", VisibilityTimeout: visibility,
		HeartbeatEvery: 500 * time.Millisecond, WaitTime: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	started, release := make(chan struct{}), make(chan struct{})
	calls := 0
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- c.Run(ctx, func(context.Context, *message.Message) error {
			calls++
			close(started)
			<-release // the handler works until the test has watched the queue
			return nil
		})
	}()
	sendBodies(t, api, url, "long job")
	<-started

	// For twice the visibility timeout, another receiver sees nothing.
	deadline := time.Now().Add(2 * visibility)
	for time.Now().Before(deadline) {
		out, err := api.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) > 0 {
			t.Fatalf("another receiver got %q while the handler ran", aws.ToString(out.Messages[0].Body))
		}
	}
	close(release)
	waitFor(t, 5*time.Second, "the message to be deleted", func() bool { return awstest.Depth(t, api, url) == 0 })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if calls != 1 {
		t.Errorf("handler called %d times, want 1", calls)
	}
}

func TestConsumerShutdownIntegration(t *testing.T) {
	t.Parallel()
	api := awstest.SQS(t)
	const visibility = 3 * time.Second
	url := createQueue(t, api, visibility)
	c, err := NewConsumer(api, ConsumerConfig{
		QueueURL: url, Queue: "q", VisibilityTimeout: visibility, WaitTime: time.Second,
		HeartbeatEvery: time.Second, ShutdownGrace: time.Second, Concurrency: 10,
	})
	if err != nil {
		t.Fatal(err)
	}
	fast := []string{"fast-0", "fast-1", "fast-2", "fast-3", "fast-4", "fast-5"}
	slow := []string{"slow-0", "slow-1", "slow-2", "slow-3"}
	sendBodies(t, api, url, append(fast, slow...)...)

	started := make(chan string, 10)
	var late sync.WaitGroup
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- c.Run(ctx, func(hctx context.Context, m *message.Message) error {
			started <- string(m.Body)
			if slices.Contains(fast, string(m.Body)) {
				return nil
			}
			late.Add(1)
			defer late.Done()
			<-hctx.Done() // cancelled at the grace deadline
			return nil    // and then succeeds, too late
		})
	}()
	timeout := time.After(10 * time.Second)
	for range 10 {
		select {
		case <-started:
		case <-timeout:
			t.Fatal("timed out waiting for the 10 handlers to start")
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	late.Wait()
	if got, want := awstest.Depth(t, api, url), len(slow); got != want {
		t.Errorf("%d messages on the queue after shutdown, want %d", got, want)
	}
	if got := receiveBodies(t, api, url, len(slow), 3*visibility); !slices.Equal(got, slow) {
		t.Errorf("redelivered %q, want %q", got, slow)
	}
}

func TestProducerToConsumerIntegration(t *testing.T) {
	t.Parallel()
	api := awstest.SQS(t)
	url := createQueue(t, api, 30*time.Second)
	p, err := NewProducer(api, url)
	if err != nil {
		t.Fatal(err)
	}
	env := envelope(t, "evt-1", 0)
	env.CorrelationID = "corr-1"
	before := time.Now()
	if err := p.Send(t.Context(), env); err != nil {
		t.Fatal(err)
	}
	c, err := NewConsumer(api, ConsumerConfig{QueueURL: url, Queue: "events", VisibilityTimeout: 30 * time.Second, WaitTime: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan *message.Message, 1)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- c.Run(ctx, func(_ context.Context, m *message.Message) error { got <- m; return nil })
	}()
	var m *message.Message
	select {
	case m = <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting for the message")
	}
	waitFor(t, 5*time.Second, "the message to be deleted", func() bool { return awstest.Depth(t, api, url) == 0 })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}

	decoded, err := statemachine.DecodeEnvelope(m.Body)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := decoded.EventID, env.EventID; got != want {
		t.Errorf("EventID %q, want %q", got, want)
	}
	want := env.Attributes()
	if !maps.Equal(m.Attributes, want) {
		t.Errorf("attributes %v, want %v", m.Attributes, want)
	}
	if got, want := m.ReceiveCount, 1; got != want {
		t.Errorf("ReceiveCount %d, want %d", got, want)
	}
	if m.SentAt.Before(before.Add(-time.Second).Truncate(time.Millisecond)) || m.SentAt.After(time.Now()) {
		t.Errorf("SentAt %v, want between %v and now", m.SentAt, before)
	}
	if got, want := m.Queue, "events"; got != want {
		t.Errorf("Queue %q, want %q", got, want)
	}
}
