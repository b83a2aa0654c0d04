package cfn

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
)

// queueRefs names the declared queues: their logical ids and ARNs.
type queueRefs struct {
	ids  map[string]string // logical name -> logical id
	arns []any             // every queue's ARN, in the set's order
}

// dlqArnMarker stands in for the dead-letter queue's ARN when the queue's
// attributes are rendered; it is replaced by an Fn::GetAtt of the DLQ.
const dlqArnMarker = "arn:tendlc:cfn:dead-letter-queue"

// queues declares every queue of the resource set, with an output for its URL.
func (b *builder) queues() queueRefs {
	q := queueRefs{ids: map[string]string{}}
	for _, sq := range b.set.Queues {
		q.ids[sq.Logical] = logicalID(sq.Logical, "Queue")
	}
	for _, sq := range b.set.Queues {
		id := q.ids[sq.Logical]
		name := b.set.QueueName(sq.Logical)
		b.name("queue", name, queueNameRE)
		props := object{"QueueName": name}
		dlqID := ""
		if !sq.IsDLQ() {
			dlq, ok := b.set.Queue(sq.DeadLetter)
			if !ok || !dlq.IsDLQ() {
				b.fail("queue %s: dead-letter queue %q is not a dead-letter queue of the resource set", sq.Logical, sq.DeadLetter)
				continue
			}
			dlqID = q.ids[dlq.Logical]
		}
		attrs := sq.Attributes(dlqArnMarker)
		for _, attr := range slices.Sorted(maps.Keys(attrs)) {
			v, err := queueProperty(attr, attrs[attr], dlqID)
			if err != nil {
				b.fail("queue %s: %w", sq.Logical, err)
				continue
			}
			props[attr] = v
		}
		b.resource(id, resource("AWS::SQS::Queue", props))
		b.output(id+"Url", "URL of the SQS queue "+name, ref(id))
		q.arns = append(q.arns, getAtt(id, "Arn"))
	}
	return q
}

// arn returns the ARN of the queue with the logical name.
func (q queueRefs) arn(logical string) object { return getAtt(q.ids[logical], "Arn") }

// queueProperty turns one SQS attribute, as provisioning sets it, into the
// AWS::SQS::Queue property of the same name: integer attributes become
// numbers, the redrive policy an object naming the DLQ by Fn::GetAtt.
func queueProperty(attr, value, dlqID string) (any, error) {
	switch attr {
	case "VisibilityTimeout", "MessageRetentionPeriod", "ReceiveMessageWaitTimeSeconds", "MaximumMessageSize":
		n, err := strconv.Atoi(value)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", attr, err)
		}
		return n, nil
	case "RedrivePolicy":
		var p object
		if err := json.Unmarshal([]byte(value), &p); err != nil {
			return nil, fmt.Errorf("attribute %s: %w", attr, err)
		}
		for k, v := range p {
			if v == dlqArnMarker {
				p[k] = getAtt(dlqID, "Arn")
			}
		}
		return p, nil
	}
	// A new attribute in the resource set needs its mapping here; failing keeps the
	// template from silently leaving it out.
	return nil, fmt.Errorf("attribute %s: no AWS::SQS::Queue property mapped for it", attr)
}
