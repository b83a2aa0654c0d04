package sqsq

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/tendlc/tendlc/infra/awstest"
	"github.com/tendlc/tendlc/message"
)

// receiveCounter is an API that counts the ReceiveMessage calls SQS answered:
// all of them, the empty ones, the messages they returned and how many each
// asked for. It adds latency to each answer, the round trip to an SQS region
// that a local emulator lacks.
type receiveCounter struct {
	API
	latency time.Duration

	mu                     sync.Mutex
	calls, empty, messages int
	asked                  map[int32]int // MaxNumberOfMessages -> calls
}

func (c *receiveCounter) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	out, err := c.API.ReceiveMessage(ctx, in, opts...)
	time.Sleep(c.latency)
	if err != nil {
		return out, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	c.messages += len(out.Messages)
	if len(out.Messages) == 0 {
		c.empty++
	}
	if c.asked == nil {
		c.asked = make(map[int32]int)
	}
	c.asked[in.MaxNumberOfMessages]++
	return out, nil
}

// report returns the counts for a test's log.
func (c *receiveCounter) report() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var asked []string
	for _, n := range slices.Sorted(maps.Keys(c.asked)) {
		asked = append(asked, fmt.Sprintf("%d:%d", n, c.asked[n]))
	}
	return fmt.Sprintf("%d receives (%d empty) returned %d messages; receives by messages asked for: %v",
		c.calls, c.empty, c.messages, asked)
}

// An idle queue with four receive loops configured, then single messages one
// at a time: the emulator answers every waiting long poll when a message
// arrives, one with the message and the others empty. Only one loop stays
// polling an idle queue, so the empty receives do not grow with the messages:
// 0 for the 20 here, where four loops always polling got 57 and 60 (77 and 80
// receives) in two runs.
func TestConsumerIdleQueueIntegration(t *testing.T) {
	t.Parallel()
	client := awstest.SQS(t)
	api := &receiveCounter{API: client}
	url := createQueue(t, client, 30*time.Second)
	cfg := ConsumerConfig{QueueURL: url, Queue: "q", Pollers: 4, Concurrency: 40, VisibilityTimeout: 30 * time.Second}
	c, err := NewConsumer(api, cfg)
	if err != nil {
		t.Fatal(err)
	}
	const messages = 20
	handled := make(chan string, messages)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- c.Run(ctx, func(_ context.Context, m *message.Message) error { handled <- string(m.Body); return nil })
	}()
	// Messages arrive 50 ms apart, as events do on a quiet queue: each finds
	// the consumer long polling.
	arrivals := time.NewTicker(50 * time.Millisecond)
	defer arrivals.Stop()
	start := time.Now()
	for i := range messages {
		<-arrivals.C
		body := fmt.Sprint("single-", i)
		sendBodies(t, client, url, body)
		select {
		case got := <-handled:
			if got != body {
				t.Fatalf("handled %q, want %q", got, body)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("timed out waiting for %q", body)
		}
	}
	elapsed := time.Since(start)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	t.Logf("%d single messages in %v, pollers %d: %s", messages, elapsed.Round(time.Millisecond), cfg.Pollers, api.report())
	api.mu.Lock()
	defer api.mu.Unlock()
	// Each loop may come back empty once when it parks, and the one active
	// loop once per long-poll wait that passes.
	if limit := cfg.Pollers + int(elapsed/maxWaitTime); api.empty > limit {
		t.Errorf("%d empty receives for %d messages, want at most %d", api.empty, messages, limit)
	}
}

// A backlog and a stream of sends on top of it, with the round trip of a
// real region, need several receive loops at once: the parked loops wake, and
// every message is handled within a deadline that one loop cannot meet.
func TestConsumerDrainsUnderLoadIntegration(t *testing.T) {
	t.Parallel()
	client := awstest.SQS(t)
	api := &receiveCounter{API: client, latency: 50 * time.Millisecond}
	url := createQueue(t, client, 30*time.Second)
	const backlog, stream = 500, 500
	bodies := func(prefix string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("%s-%04d", prefix, i)
		}
		return out
	}
	sendBodies(t, client, url, bodies("backlog", backlog)...)
	c, err := NewConsumer(api, ConsumerConfig{QueueURL: url, Queue: "q", Pollers: 4, Concurrency: 40, VisibilityTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := make(map[string]bool)
	all := make(chan struct{})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		done <- c.Run(ctx, func(_ context.Context, m *message.Message) error {
			time.Sleep(5 * time.Millisecond) // the handler's work
			mu.Lock()
			defer mu.Unlock()
			if !seen[string(m.Body)] {
				seen[string(m.Body)] = true
				if len(seen) == backlog+stream {
					close(all)
				}
			}
			return nil
		})
	}()
	sendBodies(t, client, url, bodies("stream", stream)...)
	// Every receive takes 50 ms and returns at most 10 messages: one loop
	// alone needs at least 5 s for the 1,000; four took about 1.6 s, before
	// and after the loops were scaled to the traffic.
	const deadline = 4 * time.Second
	select {
	case <-all:
	case <-time.After(deadline - time.Since(start)):
		mu.Lock()
		t.Errorf("handled %d of %d messages within %v", len(seen), backlog+stream, deadline)
		mu.Unlock()
	}
	elapsed := time.Since(start)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	t.Logf("%d messages in %v: %s", backlog+stream, elapsed.Round(time.Millisecond), api.report())
}
