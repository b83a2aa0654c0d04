package sqsq

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/tendlc/tendlc/statemachine"
)

// Depth is what a queue holds, by SQS's approximate counts.
type Depth struct {
	Visible  int `json:"visible"`
	InFlight int `json:"in_flight"`
	Delayed  int `json:"delayed"`
}

// Total is every message the queue holds.
func (d Depth) Total() int { return d.Visible + d.InFlight + d.Delayed }

// QueueDepth reads the approximate counts of the queue at url. It returns
// the SDK's error, wrapped, or an error when a count does not parse.
func QueueDepth(ctx context.Context, api API, url string) (Depth, error) {
	out, err := api.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url),
		AttributeNames: []types.QueueAttributeName{
			types.QueueAttributeNameApproximateNumberOfMessages,
			types.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
			types.QueueAttributeNameApproximateNumberOfMessagesDelayed,
		},
	})
	if err != nil {
		return Depth{}, fmt.Errorf("get attributes of %s: %w", url, err)
	}
	var d Depth
	var errs []error
	for name, dst := range map[types.QueueAttributeName]*int{
		types.QueueAttributeNameApproximateNumberOfMessages:           &d.Visible,
		types.QueueAttributeNameApproximateNumberOfMessagesNotVisible: &d.InFlight,
		types.QueueAttributeNameApproximateNumberOfMessagesDelayed:    &d.Delayed,
	} {
		if *dst, err = strconv.Atoi(out.Attributes[string(name)]); err != nil {
			errs = append(errs, fmt.Errorf("attribute %s of %s: %w", name, url, err))
		}
	}
	return d, errors.Join(errs...)
}

// Depths tells whether the queues of destinations hold messages; it
// satisfies sweeper.Queues.
type Depths struct {
	API    API
	Queues map[statemachine.Destination]string // queue URL per destination
}

// Busy reports whether d's queue holds any message: visible, in flight or
// delayed. It returns an error for a destination without a queue, or
// QueueDepth's.
func (q Depths) Busy(ctx context.Context, d statemachine.Destination) (bool, error) {
	url, ok := q.Queues[d]
	if !ok {
		return false, fmt.Errorf("no queue for %s", d)
	}
	depth, err := QueueDepth(ctx, q.API, url)
	return depth.Total() > 0, err
}
