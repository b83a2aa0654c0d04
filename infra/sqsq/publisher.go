package sqsq

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/tendlc/tendlc/statemachine"
)

// MaxMessageDelay is the longest delay SQS gives a message (its
// DelaySeconds cap).
const MaxMessageDelay = 15 * time.Minute

// Errors of [Publisher.Send] and [Producer.Send] about a message, found before
// anything is sent.
var (
	ErrUnknownDestination = errors.New("unknown destination")
	ErrInvalidDelay       = errors.New("delay out of range")
)

// Publisher sends the messages that decisions emit to their queues.
type Publisher struct {
	api    API
	queues map[statemachine.Destination]string
}

// NewPublisher returns a publisher that sends to queues, the queue URL of
// each destination. It returns an error if api is nil, queues is empty or a
// URL is empty.
func NewPublisher(api API, queues map[statemachine.Destination]string) (*Publisher, error) {
	var errs []error
	if api == nil {
		errs = append(errs, errors.New("SQS API is nil"))
	}
	if len(queues) == 0 {
		errs = append(errs, errors.New("no queues"))
	}
	own := make(map[statemachine.Destination]string, len(queues))
	for d, url := range queues {
		if url == "" {
			errs = append(errs, fmt.Errorf("queue URL of %q is empty", d))
		}
		own[d] = url
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("sqsq publisher: %w", err)
	}
	return &Publisher{api: api, queues: own}, nil
}

// Send sends out, grouped by queue, in batches. It first checks every message
// and sends nothing if any is invalid: the error then joins every problem,
// wrapping ErrUnknownDestination, ErrInvalidDelay or the errors of
// [statemachine.Envelope.Encode]. If some messages were not sent it returns a
// *SendError naming them; the caller retries the whole Send, and receivers
// treat the resulting duplicates as they treat any.
func (p *Publisher) Send(ctx context.Context, out []statemachine.Outgoing) error {
	var (
		order   []string // queue URLs in the order first used
		byQueue = make(map[string][]entry)
		errs    []error
	)
	for i, o := range out {
		url, ok := p.queues[o.To]
		if !ok {
			errs = append(errs, fmt.Errorf("message %d (%s %s): %w %q", i, o.Envelope.Type, o.Envelope.EventID, ErrUnknownDestination, o.To))
			continue
		}
		e, err := newEntry(o.Envelope, o.Delay)
		if err != nil {
			errs = append(errs, fmt.Errorf("message %d (%s %s): %w", i, o.Envelope.Type, o.Envelope.EventID, err))
			continue
		}
		if _, seen := byQueue[url]; !seen {
			order = append(order, url)
		}
		byQueue[url] = append(byQueue[url], e)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("nothing sent: %w", err)
	}
	var failed SendError
	for _, url := range order {
		sendAll(ctx, p.api, url, byQueue[url], &failed)
	}
	if len(failed.Failed) > 0 {
		return &failed
	}
	return nil
}

// newEntry encodes an envelope, mirrors its fields in message attributes and
// rounds delay up to whole seconds.
func newEntry(env statemachine.Envelope, delay time.Duration) (entry, error) {
	seconds, err := delaySeconds(delay)
	if err != nil {
		return entry{}, err
	}
	body, err := env.Encode()
	if err != nil {
		return entry{}, err
	}
	attrs := make(map[string]types.MessageAttributeValue)
	for name, v := range env.Attributes() {
		if v == "" { // SQS refuses empty attribute values
			continue
		}
		attrs[name] = attributeValue(name, v)
	}
	return entry{
		eventID: env.EventID,
		body:    string(body),
		attrs:   attrs,
		delay:   seconds,
	}, nil
}
