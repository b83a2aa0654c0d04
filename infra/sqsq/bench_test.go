package sqsq

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/tendlc/tendlc/message"
)

// instantSQS answers every receive at once with as many messages as asked
// for, and every delete with success: what is left to measure is the
// runtime's own cost per message. It hands out a ring of prepared messages
// whose receipt handles are unique among those in flight.
type instantSQS struct {
	API
	ring []types.Message
	next atomic.Int64
}

func newInstantSQS() *instantSQS {
	f := &instantSQS{ring: make([]types.Message, 1000)}
	for i := range f.ring {
		id := strconv.Itoa(i)
		f.ring[i] = types.Message{
			MessageId:     aws.String(id),
			ReceiptHandle: aws.String("r" + id),
			Body:          aws.String(`{"type":"brand.register"}`),
			MessageAttributes: map[string]types.MessageAttributeValue{
				"event_type":     {DataType: aws.String("String"), StringValue: aws.String("brand.register")},
				"schema_version": {DataType: aws.String("Number"), StringValue: aws.String("1")},
			},
			Attributes: map[string]string{"ApproximateReceiveCount": "1", "SentTimestamp": "1700000000000"},
		}
	}
	return f
}

func (f *instantSQS) ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n := int64(in.MaxNumberOfMessages)
	start := (f.next.Add(n) - n) % int64(len(f.ring))
	if start+n > int64(len(f.ring)) {
		start = 0 // rare: a few receipt handles repeat
	}
	return &sqs.ReceiveMessageOutput{Messages: f.ring[start : start+n]}, nil
}

func (f *instantSQS) DeleteMessageBatch(context.Context, *sqs.DeleteMessageBatchInput, ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	return &sqs.DeleteMessageBatchOutput{}, nil
}

// BenchmarkConsumer measures the runtime's cost per message with a handler
// that does nothing: b.N messages through 4 pollers and 40 handler slots.
func BenchmarkConsumer(b *testing.B) {
	c, err := NewConsumer(newInstantSQS(), ConsumerConfig{QueueURL: "q", Pollers: 4, Concurrency: 40})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(b.Context())
	var n atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	if err := c.Run(ctx, func(context.Context, *message.Message) error {
		if n.Add(1) == int64(b.N) {
			cancel()
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
}
