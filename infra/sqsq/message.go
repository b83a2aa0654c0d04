package sqsq

import (
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/tendlc/tendlc/message"
)

// System attributes every receive asks for; newMessage reads them.
var systemAttributes = []types.MessageSystemAttributeName{
	types.MessageSystemAttributeNameApproximateReceiveCount,
	types.MessageSystemAttributeNameSentTimestamp,
}

// newMessage converts a received SQS message. String and Number message
// attributes (including custom types such as "Number.int") become text;
// Binary ones are dropped.
func newMessage(m types.Message, queue, queueURL string) *message.Message {
	msg := &message.Message{
		ID:            aws.ToString(m.MessageId),
		Queue:         queue,
		QueueURL:      queueURL,
		ReceiptHandle: aws.ToString(m.ReceiptHandle),
		Body:          []byte(aws.ToString(m.Body)),
		Attributes:    make(map[string]string, len(m.MessageAttributes)),
	}
	for name, v := range m.MessageAttributes {
		if t := aws.ToString(v.DataType); strings.HasPrefix(t, "String") || strings.HasPrefix(t, "Number") {
			msg.Attributes[name] = aws.ToString(v.StringValue)
		}
	}
	if n, err := strconv.Atoi(m.Attributes[string(types.MessageSystemAttributeNameApproximateReceiveCount)]); err == nil {
		msg.ReceiveCount = n
	}
	if ms, err := strconv.ParseInt(m.Attributes[string(types.MessageSystemAttributeNameSentTimestamp)], 10, 64); err == nil {
		msg.SentAt = time.UnixMilli(ms).UTC()
	}
	return msg
}
