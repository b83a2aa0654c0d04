package sqsq_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/tendlc/tendlc/infra/sqsq"
	"github.com/tendlc/tendlc/message"
	"github.com/tendlc/tendlc/retry"
	"github.com/tendlc/tendlc/statemachine"
)

const (
	srcURL = "https://sqs.us-east-1.amazonaws.com/123456789012/events"
	dlqURL = "https://sqs.us-east-1.amazonaws.com/123456789012/events-dlq"
)

// t0 is when the test messages were first sent.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// recordingSQS records every SendMessage; sendErr, when set, fails them all.
type recordingSQS struct {
	mu      sync.Mutex
	sent    []*sqs.SendMessageInput
	sendErr error
}

func (f *recordingSQS) SendMessage(_ context.Context, in *sqs.SendMessageInput, _ ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.sendErr != nil {
		return nil, f.sendErr
	}
	f.sent = append(f.sent, in)
	return &sqs.SendMessageOutput{MessageId: aws.String(fmt.Sprintf("copy-%d", len(f.sent)))}, nil
}

// last returns the most recent send, failing tb if there was none.
func (f *recordingSQS) last(tb testing.TB) *sqs.SendMessageInput {
	tb.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.sent) == 0 {
		tb.Fatal("nothing was sent")
	}
	return f.sent[len(f.sent)-1]
}

func (f *recordingSQS) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.sent)
}

// clock is an injected clock the test moves by hand.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time          { return c.now }
func (c *clock) advance(d time.Duration) { c.now = c.now.Add(d) }

// maxRand always draws the top of the range, so that every backoff equals its
// bound and the delays are exact.
type maxRand struct{}

func (maxRand) Int64N(n int64) int64 { return n - 1 }

// zeroRand always draws 0: no delay at all.
type zeroRand struct{}

func (zeroRand) Int64N(int64) int64 { return 0 }

// statusError is a downstream error carrying an HTTP status.
type statusError int

func (e statusError) Error() string       { return "downstream answered " + strconv.Itoa(int(e)) }
func (e statusError) HTTPStatusCode() int { return int(e) }

// envelope returns a valid envelope of type t.
func envelope(tb testing.TB, t statemachine.EventType) statemachine.Envelope {
	tb.Helper()
	e := statemachine.Envelope{
		Type: t, SchemaVersion: statemachine.SchemaVersion, EventID: "evt-1", EntityID: "cmp-1",
		OccurredAt: t0, CorrelationID: "corr-1", Actor: "webhook",
	}
	switch t {
	case statemachine.CampaignCarrierApproved:
		e.Payload = []byte(`{"carrier":"att"}`)
	case statemachine.CampaignReviewApproved:
	default:
		tb.Fatalf("envelope: no payload written for %s", t)
	}
	return e
}

// message returns a first delivery of an envelope of type t, with extra
// attributes besides the envelope mirror.
func newMessage(tb testing.TB, t statemachine.EventType, extra map[string]string) *message.Message {
	tb.Helper()
	e := envelope(tb, t)
	body, err := e.Encode()
	if err != nil {
		tb.Fatal(err)
	}
	attrs := e.Attributes()
	for k, v := range extra {
		attrs[k] = v
	}
	return &message.Message{
		ID: "orig-1", Queue: "events", QueueURL: srcURL, ReceiptHandle: "rh-1",
		Body: body, Attributes: attrs, ReceiveCount: 1, SentAt: t0,
	}
}

// redeliver returns the message SQS would deliver for a copy that was sent.
func redeliver(in *sqs.SendMessageInput, sentAt time.Time) *message.Message {
	attrs := map[string]string{}
	for k, v := range in.MessageAttributes {
		attrs[k] = aws.ToString(v.StringValue)
	}
	queue := "events"
	if aws.ToString(in.QueueUrl) == dlqURL {
		queue = "events-dlq"
	}
	return &message.Message{
		ID: "copy", Queue: queue, QueueURL: aws.ToString(in.QueueUrl), ReceiptHandle: "rh-copy",
		Body: []byte(aws.ToString(in.MessageBody)), Attributes: attrs, ReceiveCount: 1, SentAt: sentAt,
	}
}

// attr returns a String message attribute of a send, or "".
func attr(in *sqs.SendMessageInput, name string) string {
	return aws.ToString(in.MessageAttributes[name].StringValue)
}

// rig is a Retrier over the SQS Copier over a recording SQS, with an
// injected clock.
type rig struct {
	sqs   *recordingSQS
	clock *clock
	r     *retry.Retrier
}

func newRig(tb testing.TB, pol retry.Policy) *rig {
	tb.Helper()
	g := &rig{sqs: &recordingSQS{}, clock: &clock{now: t0}}
	copier, err := sqsq.NewCopier(g.sqs, sqsq.CopierConfig{DeadLetters: map[string]string{srcURL: dlqURL}})
	if err != nil {
		tb.Fatal(err)
	}
	g.r, err = retry.New(retry.Config{Requeuer: copier, DeadLetterer: copier, Classify: sqsq.ClassifyAWS,
		Policies: retry.Policies{Default: pol}, Rand: maxRand{}, Now: g.clock.Now})
	if err != nil {
		tb.Fatal(err)
	}
	return g
}

// handler wraps h in the retry middleware and Recover, in production order.
func (g *rig) handler(h message.Handler) message.Handler {
	return message.Chain(h, g.r.Middleware(), message.Recover())
}

var testPolicy = retry.Policy{MaxAttempts: 5, Base: 2 * time.Second, Cap: 10 * time.Second,
	MaxDeferrals: 3, DeferBase: time.Minute, DeferCap: time.Hour}

// fakeDLQ serves its messages once each (as a queue whose messages stay
// hidden after a receive) and records sends, deletes, releases and purges.
type fakeDLQ struct {
	recordingSQS
	queue    []types.Message
	deleted  []string // receipt handles
	released []string // receipt handles
	purged   int
}

func (f *fakeDLQ) ReceiveMessage(_ context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	n := min(int(in.MaxNumberOfMessages), len(f.queue))
	out := f.queue[:n]
	f.queue = f.queue[n:]
	return &sqs.ReceiveMessageOutput{Messages: out}, nil
}

func (f *fakeDLQ) ChangeMessageVisibilityBatch(_ context.Context, in *sqs.ChangeMessageVisibilityBatchInput, _ ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityBatchOutput, error) {
	for _, e := range in.Entries {
		f.released = append(f.released, aws.ToString(e.ReceiptHandle))
	}
	return &sqs.ChangeMessageVisibilityBatchOutput{}, nil
}

func (f *fakeDLQ) DeleteMessage(_ context.Context, in *sqs.DeleteMessageInput, _ ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error) {
	f.deleted = append(f.deleted, aws.ToString(in.ReceiptHandle))
	return &sqs.DeleteMessageOutput{}, nil
}

func (f *fakeDLQ) PurgeQueue(context.Context, *sqs.PurgeQueueInput, ...func(*sqs.Options)) (*sqs.PurgeQueueOutput, error) {
	f.purged++
	return &sqs.PurgeQueueOutput{}, nil
}

// received turns a send into the message a receive would return, with id.
func received(in *sqs.SendMessageInput, id string) types.Message {
	return types.Message{
		MessageId: aws.String(id), ReceiptHandle: aws.String("rh-" + id),
		Body: in.MessageBody, MessageAttributes: in.MessageAttributes,
	}
}
