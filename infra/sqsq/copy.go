package sqsq

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"regexp"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/tendlc/tendlc/message"
	"github.com/tendlc/tendlc/retry"
	"github.com/tendlc/tendlc/statemachine"
)

// Sender sends one message; *sqs.Client satisfies it.
type Sender interface {
	SendMessage(ctx context.Context, params *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

var _ Sender = (*sqs.Client)(nil)

// MaxMessageAttributes is the SQS limit of message attributes on one message.
const MaxMessageAttributes = 10

// CopierConfig configures a [Copier]. Zero values mean the documented
// defaults.
type CopierConfig struct {
	// DeadLetters maps the URL of each queue to the URL of its dead-letter
	// queue; a queue missing from it has none.
	DeadLetters map[string]string
	// Logger logs the attributes a copy drops over the SQS limit when the
	// context carries no per-message logger (message.LoggerFrom); nil
	// discards.
	Logger *slog.Logger
}

// Copier sends copies of received messages for the retry middleware: back to
// their queue with a delay ([retry.Requeuer]) or to its dead-letter queue
// ([retry.DeadLetterer]). It is safe for concurrent use.
type Copier struct {
	api         Sender
	deadLetters map[string]string
	log         *slog.Logger
}

var (
	_ retry.Requeuer     = (*Copier)(nil)
	_ retry.DeadLetterer = (*Copier)(nil)
)

// NewCopier returns a Copier that sends with api. It returns an error if api
// is nil.
func NewCopier(api Sender, cfg CopierConfig) (*Copier, error) {
	if api == nil {
		return nil, errors.New("sqsq copier: SQS API is nil")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Copier{api: api, deadLetters: maps.Clone(cfg.DeadLetters), log: cfg.Logger}, nil
}

// Requeue sends a copy of m with own to its queue after delay, rounded up to
// whole seconds. It returns an error wrapping ErrInvalidDelay for a delay
// outside 0 to MaxMessageDelay, or the SQS error.
func (c *Copier) Requeue(ctx context.Context, m *message.Message, own map[string]string, delay time.Duration) error {
	return c.send(ctx, m.QueueURL, m, own, delay)
}

// DeadLetter sends a copy of m with own to the dead-letter queue of its queue
// and returns that queue's URL. It returns an error wrapping
// retry.ErrNoDeadLetterQueue if the queue has none, or the SQS error.
func (c *Copier) DeadLetter(ctx context.Context, m *message.Message, own map[string]string) (string, error) {
	dlq, ok := c.deadLetters[m.QueueURL]
	if !ok {
		return "", fmt.Errorf("%w for %s", retry.ErrNoDeadLetterQueue, m.QueueURL)
	}
	return dlq, c.send(ctx, dlq, m, own, 0)
}

// send puts a copy of m with own on queueURL.
func (c *Copier) send(ctx context.Context, queueURL string, m *message.Message, own map[string]string, delay time.Duration) error {
	seconds, err := delaySeconds(delay)
	if err != nil {
		return fmt.Errorf("send copy to %s: %w", queueURL, err)
	}
	in, dropped := copyInput(queueURL, string(m.Body), m.Attributes, own, seconds)
	if len(dropped) > 0 {
		message.LoggerFrom(ctx, c.log).Warn("message attributes dropped over the SQS limit", "dropped", dropped)
	}
	if _, err := c.api.SendMessage(ctx, in); err != nil {
		return fmt.Errorf("send copy to %s: %w", queueURL, err)
	}
	return nil
}

// envelopeAttributes mirror the envelope; a copy keeps them before any other
// but the retry package's own.
var envelopeAttributes = []string{
	statemachine.AttrEventType, statemachine.AttrSchemaVersion, statemachine.AttrEventID,
	statemachine.AttrEntityID, statemachine.AttrCorrelationID,
}

// copyInput returns the SendMessage input that puts a copy of a message (body
// and attributes in) on queueURL. The copy carries own, the retry package's
// attributes, instead of those in carried, then the envelope attributes of in,
// then its other attributes by name, up to [MaxMessageAttributes]; empty
// values are left out (SQS refuses them). Every attribute has the data type
// [attributeValue] gives it, as the message it copies had. It also returns
// the names of the attributes dropped over the limit.
func copyInput(queueURL, body string, in, own map[string]string, delaySeconds int32) (*sqs.SendMessageInput, []string) {
	ownNames := retry.OwnAttributes()
	out := make(map[string]types.MessageAttributeValue, MaxMessageAttributes)
	var dropped []string
	add := func(name, value string) {
		switch {
		case value == "":
		case len(out) == MaxMessageAttributes:
			dropped = append(dropped, name)
		default:
			out[name] = attributeValue(name, value)
		}
	}
	for _, name := range ownNames {
		add(name, own[name])
	}
	for _, name := range envelopeAttributes {
		add(name, in[name])
	}
	for _, name := range slices.Sorted(maps.Keys(in)) {
		if !slices.Contains(ownNames, name) && !slices.Contains(envelopeAttributes, name) {
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

// attributeValue is the one builder of a message attribute from its text: a
// Number for the schema version, which the envelope mirror declares numeric
// (statemachine.AttrSchemaVersion) when SQS takes it as one, a String for any
// other. The publisher and the copies both build with it (a received message
// no longer says which data type an attribute had). A schema version that is
// not a whole number (a foreign producer's "v1", sent as a String) stays a
// String: SQS refuses a Number that is not one, and the copy would never be
// sent.
func attributeValue(name, value string) types.MessageAttributeValue {
	dataType := "String"
	if name == statemachine.AttrSchemaVersion && wholeNumber.MatchString(value) {
		dataType = "Number"
	}
	return types.MessageAttributeValue{DataType: aws.String(dataType), StringValue: aws.String(value)}
}

// wholeNumber is a whole number within SQS's 38 digits of precision.
var wholeNumber = regexp.MustCompile(`^-?[0-9]{1,38}$`)

// delaySeconds rounds delay up to the whole seconds of DelaySeconds. It
// returns an error wrapping ErrInvalidDelay for a delay outside 0 to
// MaxMessageDelay.
func delaySeconds(delay time.Duration) (int32, error) {
	if delay < 0 || delay > MaxMessageDelay {
		return 0, fmt.Errorf("%w: %v (want 0 to %v)", ErrInvalidDelay, delay, MaxMessageDelay)
	}
	return int32((delay + time.Second - 1) / time.Second), nil
}
