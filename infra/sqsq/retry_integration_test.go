package sqsq_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/tendlc/tendlc/infra/awstest"
	"github.com/tendlc/tendlc/infra/resources"
	"github.com/tendlc/tendlc/infra/sqsq"
	"github.com/tendlc/tendlc/message"
	"github.com/tendlc/tendlc/retry"
	"github.com/tendlc/tendlc/statemachine"
)

// queues is an events queue and its dead-letter queue on the emulator,
// created as the resource set defines them (RedrivePolicy included).
type queues struct {
	client   *sqs.Client
	src, dlq string
}

func newQueues(tb testing.TB) queues {
	tb.Helper()
	client := awstest.SQS(tb)
	s := resources.Default(awstest.Prefix(tb))
	create := func(logical, dlqARN string) string {
		tb.Helper()
		q, ok := s.Queue(logical)
		if !ok {
			tb.Fatalf("the resource set has no queue %s", logical)
		}
		out, err := client.CreateQueue(tb.Context(), &sqs.CreateQueueInput{
			QueueName: aws.String(s.QueueName(logical)), Attributes: q.Attributes(dlqARN),
		})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() {
			if _, err := client.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: out.QueueUrl}); err != nil {
				tb.Errorf("delete queue %s: %v", logical, err)
			}
		})
		return aws.ToString(out.QueueUrl)
	}
	dlq := create(resources.DLQ(string(statemachine.ToEvents)), "")
	attrs, err := client.GetQueueAttributes(tb.Context(), &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(dlq), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn},
	})
	if err != nil {
		tb.Fatal(err)
	}
	src := create(string(statemachine.ToEvents), attrs.Attributes[string(types.QueueAttributeNameQueueArn)])
	return queues{client: client, src: src, dlq: dlq}
}

// retrier returns a Retrier on the emulator that retries without delay (the
// jitter always draws 0), so that the test does not wait for time to pass.
func (q queues) retrier(tb testing.TB, pol retry.Policy) *retry.Retrier {
	tb.Helper()
	copier, err := sqsq.NewCopier(q.client, sqsq.CopierConfig{DeadLetters: map[string]string{q.src: q.dlq}})
	if err != nil {
		tb.Fatal(err)
	}
	r, err := retry.New(retry.Config{
		Requeuer: copier, DeadLetterer: copier, Classify: sqsq.ClassifyAWS,
		Policies: retry.Policies{Default: pol}, Rand: zeroRand{},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// produce sends the first delivery of an envelope to the events queue, as a
// producer does.
func (q queues) produce(tb testing.TB, e statemachine.Envelope) {
	tb.Helper()
	body, err := e.Encode()
	if err != nil {
		tb.Fatal(err)
	}
	attrs := map[string]types.MessageAttributeValue{}
	for k, v := range e.Attributes() {
		attrs[k] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	if _, err := q.client.SendMessage(tb.Context(), &sqs.SendMessageInput{
		QueueUrl: aws.String(q.src), MessageBody: aws.String(string(body)), MessageAttributes: attrs,
	}); err != nil {
		tb.Fatal(err)
	}
}

// receive receives what is visible on queueURL, checking the attribute limit
// on every message. With peek, it makes them visible again at once.
func (q queues) receive(tb testing.TB, queueURL string, peek bool) []types.Message {
	tb.Helper()
	out, err := q.client.ReceiveMessage(tb.Context(), &sqs.ReceiveMessageInput{
		QueueUrl: aws.String(queueURL), MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 30,
		MessageAttributeNames: []string{"All"},
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{
			types.MessageSystemAttributeNameSentTimestamp, types.MessageSystemAttributeNameApproximateReceiveCount},
	})
	if err != nil {
		tb.Fatal(err)
	}
	for _, m := range out.Messages {
		if got, limit := len(m.MessageAttributes), sqsAttributeLimit; got > limit {
			tb.Errorf("message %s on %s carries %d attributes, SQS allows %d", aws.ToString(m.MessageId), queueURL, got, limit)
		}
		if peek {
			if _, err := q.client.ChangeMessageVisibility(tb.Context(), &sqs.ChangeMessageVisibilityInput{
				QueueUrl: aws.String(queueURL), ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0,
			}); err != nil {
				tb.Fatal(err)
			}
		}
	}
	return out.Messages
}

// consumeUntil runs h over the events queue the way the consumer runtime
// does (delete on nil, leave otherwise) until done reports true, failing tb
// after 15 seconds.
func (q queues) consumeUntil(tb testing.TB, h message.Handler, done func() bool) {
	tb.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !done() {
		if time.Now().After(deadline) {
			tb.Fatal("consumer: condition not reached within 15 s")
		}
		for _, m := range q.receive(tb, q.src, false) {
			sentMs, _ := strconv.ParseInt(m.Attributes["SentTimestamp"], 10, 64)
			count, _ := strconv.Atoi(m.Attributes["ApproximateReceiveCount"])
			attrs := map[string]string{}
			for k, v := range m.MessageAttributes {
				attrs[k] = aws.ToString(v.StringValue)
			}
			msg := &message.Message{
				ID: aws.ToString(m.MessageId), Queue: string(statemachine.ToEvents), QueueURL: q.src,
				ReceiptHandle: aws.ToString(m.ReceiptHandle), Body: []byte(aws.ToString(m.Body)),
				Attributes: attrs, ReceiveCount: count, SentAt: time.UnixMilli(sentMs),
			}
			if err := h(tb.Context(), msg); err != nil {
				tb.Fatalf("handler left message %s for redelivery: %v", msg.ID, err)
			}
			if _, err := q.client.DeleteMessage(tb.Context(), &sqs.DeleteMessageInput{
				QueueUrl: aws.String(q.src), ReceiptHandle: m.ReceiptHandle,
			}); err != nil {
				tb.Fatal(err)
			}
		}
	}
}

// attempts records the attempt number of every run of a handler.
type attempts struct {
	mu   sync.Mutex
	seen []int
}

func (a *attempts) record(tb testing.TB, m *message.Message) int {
	tb.Helper()
	st, err := retry.DecodeAttrs(m.Attributes, m.SentAt)
	if err != nil {
		tb.Fatal(err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seen = append(a.seen, st.Attempt)
	return len(a.seen)
}

func (a *attempts) count() int { a.mu.Lock(); defer a.mu.Unlock(); return len(a.seen) }

func TestIntegrationRetriesUntilSuccess(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		fail     func(run int) error // the handler's outcome on run 1, 2, ...
		wantRuns int
	}{
		{name: "transient failures", wantRuns: 3, fail: func(run int) error {
			if run < 3 {
				return statusError(503)
			}
			return nil
		}},
		{name: "a panic", wantRuns: 2, fail: func(run int) error {
			if run < 2 {
				panic("nil record")
			}
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := newQueues(t)
			r := q.retrier(t, retry.Policy{MaxAttempts: 3, Base: time.Second, Cap: time.Second})
			var seen attempts
			succeeded := false
			h := message.Chain(func(_ context.Context, m *message.Message) error {
				err := tt.fail(seen.record(t, m))
				succeeded = err == nil
				return err
			}, r.Middleware(), message.Recover())

			q.produce(t, envelope(t, statemachine.CampaignCarrierApproved))
			q.consumeUntil(t, h, func() bool { return succeeded })

			if got, want := seen.count(), tt.wantRuns; got != want {
				t.Errorf("handler ran %d times, want %d", got, want)
			}
			for i, a := range seen.seen {
				if got, want := a, i+1; got != want {
					t.Errorf("run %d saw attempt %d, want %d", i+1, got, want)
				}
			}
			if got, want := awstest.Depth(t, q.client, q.src)+awstest.Depth(t, q.client, q.dlq), 0; got != want {
				t.Errorf("%d messages left on the queues, want %d", got, want)
			}
		})
	}
}

func TestIntegrationDeadLetterRedrivePurge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		err         error
		wantRuns    int
		wantReason  string
		wantClass   retry.Class
		wantAttempt int
	}{
		{name: "retries exhausted", err: statusError(503), wantRuns: 3, wantReason: retry.ReasonExhausted, wantClass: retry.ClassServer, wantAttempt: 3},
		{name: "permanent rejection", err: &message.RejectedError{Reason: "unknown record", Code: statemachine.CodeBrandStillPending},
			wantRuns: 1, wantReason: "rejected", wantClass: retry.ClassRejected, wantAttempt: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := newQueues(t)
			r := q.retrier(t, retry.Policy{MaxAttempts: 3, Base: time.Second, Cap: time.Second})
			var seen attempts
			h := message.Chain(func(_ context.Context, m *message.Message) error {
				seen.record(t, m)
				return tt.err
			}, r.Middleware(), message.Recover())
			e := envelope(t, statemachine.CampaignCarrierApproved)
			q.produce(t, e)
			q.consumeUntil(t, h, func() bool { return seen.count() == tt.wantRuns && awstest.Depth(t, q.client, q.src) == 0 })

			// Exactly one copy on the real DLQ, with the facts.
			if got, want := awstest.Depth(t, q.client, q.dlq), 1; got != want {
				t.Fatalf("%d messages on the DLQ, want %d", got, want)
			}
			raw := q.receive(t, q.dlq, true)
			if len(raw) != 1 {
				t.Fatalf("received %d dead letters, want 1", len(raw))
			}
			if got, want := aws.ToString(raw[0].MessageAttributes[retry.AttrDeadLetter].StringValue), "reason="+tt.wantReason+";"; !strings.HasPrefix(got, want) {
				t.Errorf("dead_letter = %q, want it to start with %q", got, want)
			}
			list, err := sqsq.ListDeadLetters(t.Context(), q.client, q.dlq, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 1 {
				t.Fatalf("List returned %d dead letters, want 1", len(list))
			}
			d := list[0]
			body, _ := e.Encode()
			if d.Reason != tt.wantReason || d.Class != tt.wantClass || d.Attempt != tt.wantAttempt ||
				d.SourceQueue != q.src || d.EventType != e.Type || d.EntityID != e.EntityID || d.Body != string(body) || d.Error != tt.err.Error() {
				t.Errorf("List = %+v, want reason %s, class %s, attempt %d, source %s, the envelope and error %q",
					d, tt.wantReason, tt.wantClass, tt.wantAttempt, q.src, tt.err)
			}
			if got, want := awstest.Depth(t, q.client, q.dlq), 1; got != want {
				t.Errorf("%d messages on the DLQ after List, want %d (List only peeks)", got, want)
			}

			// Redrive puts it back on its source queue with a fresh attempt.
			n, err := sqsq.Redrive(t.Context(), q.client, q.dlq, nil)
			if err != nil || n != 1 {
				t.Fatalf("Redrive = %d, %v; want 1, nil", n, err)
			}
			if got, want := awstest.Depth(t, q.client, q.dlq), 0; got != want {
				t.Errorf("%d messages on the DLQ after Redrive, want %d", got, want)
			}
			back := q.receive(t, q.src, true)
			if len(back) != 1 {
				t.Fatalf("%d messages on the source queue after Redrive, want 1", len(back))
			}
			st, err := retry.DecodeAttrs(map[string]string{retry.AttrRetry: aws.ToString(back[0].MessageAttributes[retry.AttrRetry].StringValue)}, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if st.Attempt != 1 || st.Redriven != 1 || st.Deferrals != 0 || st.LastError != "" {
				t.Errorf("redriven retry state = %+v, want attempt 1, redriven 1, nothing else but first_seen", st)
			}
			for _, name := range []string{retry.AttrDeadLetter, retry.AttrDeadLetterError} {
				if _, ok := back[0].MessageAttributes[name]; ok {
					t.Errorf("redriven message still carries %s", name)
				}
			}

			// It fails again, and Purge empties the DLQ only when confirmed.
			q.consumeUntil(t, h, func() bool { return seen.count() == 2*tt.wantRuns && awstest.Depth(t, q.client, q.src) == 0 })
			if err := sqsq.Purge(t.Context(), q.client, q.dlq, false); !errors.Is(err, sqsq.ErrNotConfirmed) {
				t.Errorf("Purge without confirmation = %v, want %v", err, sqsq.ErrNotConfirmed)
			}
			if got, want := awstest.Depth(t, q.client, q.dlq), 1; got != want {
				t.Errorf("%d messages on the DLQ after an unconfirmed Purge, want %d", got, want)
			}
			if err := sqsq.Purge(t.Context(), q.client, q.dlq, true); err != nil {
				t.Fatal(err)
			}
			if got, want := awstest.Depth(t, q.client, q.dlq), 0; got != want {
				t.Errorf("%d messages on the DLQ after Purge, want %d", got, want)
			}
		})
	}
}
