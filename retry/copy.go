package retry

import (
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/tendlc/tendlc/statemachine"
)

// MaxMessageAttributes is the SQS limit of message attributes on one message.
const MaxMessageAttributes = 10

// ownAttributes are the attributes this package writes, in the order a copy
// keeps them. A copy never inherits them: each copy writes its own.
var ownAttributes = []string{AttrRetry, AttrDeadLetter, AttrDeadLetterError}

// envelopeAttributes mirror the envelope; a copy keeps them before any other.
var envelopeAttributes = []string{
	statemachine.AttrEventType, statemachine.AttrSchemaVersion, statemachine.AttrEventID,
	statemachine.AttrEntityID, statemachine.AttrCorrelationID,
}

// copyInput returns the SendMessage input that puts a copy of a message (body
// and attributes in) on queueURL. The copy carries own, this package's
// attributes, instead of those in carried, then the envelope attributes of in,
// then its other attributes by name, up to [MaxMessageAttributes]; empty values
// are left out (SQS refuses them). It also returns the names of the attributes
// dropped over the limit.
func copyInput(queueURL, body string, in, own map[string]string, delaySeconds int32) (*sqs.SendMessageInput, []string) {
	out := make(map[string]types.MessageAttributeValue, MaxMessageAttributes)
	var dropped []string
	add := func(name, value string) {
		switch {
		case value == "":
		case len(out) == MaxMessageAttributes:
			dropped = append(dropped, name)
		default:
			out[name] = types.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(value)}
		}
	}
	for _, name := range ownAttributes {
		add(name, own[name])
	}
	for _, name := range envelopeAttributes {
		add(name, in[name])
	}
	for _, name := range slices.Sorted(maps.Keys(in)) {
		if !slices.Contains(ownAttributes, name) && !slices.Contains(envelopeAttributes, name) {
			add(name, in[name])
		}
	}
	return &sqs.SendMessageInput{
		QueueUrl:          aws.String(queueURL),
		MessageBody:       aws.String(body),
		MessageAttributes: out,
		DelaySeconds:      delaySeconds,
	}, dropped
}

// textAttributes returns the String and Number message attributes of a
// received message as text, as message.Message carries them.
func textAttributes(attrs map[string]types.MessageAttributeValue) map[string]string {
	out := make(map[string]string, len(attrs))
	for name, v := range attrs {
		if v.StringValue != nil {
			out[name] = *v.StringValue
		}
	}
	return out
}
